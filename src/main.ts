/**
 * The composition root's entry point: `npm start` / `node dist/src/main.js`.
 * Bad configuration stops start-up with one line naming the variable (exit 78,
 * EX_CONFIG), and so do credentials or TLS a backend refuses at start-up
 * (AccessError); SIGINT/SIGTERM shut down in order within 10 seconds.
 */
import { loadConfig, type Config } from './config.js';
import { AccessError, ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { createProduct } from './app.js';

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
    if (err instanceof AccessError) {
      // One line saying what failed and which variable to fix, like a ConfigError.
      process.stderr.write(`${err.message}\n`);
      await Promise.race([product.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
      process.exit(78);
    }
    logger.fatal({ err }, 'start-up failed');
    await product.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
