/**
 * The composition root's entry point: `npm start` / `node dist/src/main.js`.
 * Bad configuration stops start-up with one line naming the variable (exit 78,
 * EX_CONFIG), and so do credentials or TLS a backend refuses at start-up
 * (AccessError); SIGINT/SIGTERM shut down in order within 10 seconds.
 */
import { loadConfig, type Config } from './config.js';
import { AccessError, ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { createProduct } from './compose.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`configuration error: ${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const logger = createLogger({ level: config.logLevel });
  routeProcessWarnings(logger);
  const product = await createProduct(config, logger);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    product
      .stop()
      .then(() => {
        logger.info('stopped cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  // Roles without a listening server (stream, sink) hold no handle of their own
  // between Kafka fetches; the process must live until it is told to stop.
  // (shutdown() ends the process with process.exit.)
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await product.start();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AccessError) {
      // A backend refused the configured credentials or certificate: one line naming
      // what failed and which variable to fix, like a bad value.
      process.stderr.write(err instanceof ConfigError ? `configuration error: ${err.message}\n` : `${err.message}\n`);
      await Promise.race([product.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
      process.exit(78);
    }
    logger.fatal({ err }, 'start-up failed');
    await product.stop().catch(() => undefined);
    process.exit(1);
  }
}

/**
 * Node.js warnings into our log instead of raw lines on stderr (which must carry only
 * the one start-up error line). kafkajs 2.2.4 arms a negative timeout whenever its
 * request queue is idle (`throttledUntil` starts at -1), which Node.js 24 reports as
 * TimeoutNegativeWarning; Node runs it after 1 ms, which is what kafkajs means, so it
 * is logged at debug only.
 */
function routeProcessWarnings(logger: Logger): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    const fields = { warning: { name: w.name, message: w.message } };
    if (w.name === 'TimeoutNegativeWarning') logger.debug(fields, 'Node.js warning');
    else logger.warn(fields, 'Node.js warning');
  });
}

void main();
