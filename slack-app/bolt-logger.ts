/** Bolt and the WebClient log through this adapter into the product's pino logger. */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../src/logger.js';

const toText = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');

/** pino's level → Bolt's; anything quieter than warn (error, fatal, silent) is Bolt's ERROR. */
const BOLT_LEVELS: Readonly<Record<string, LogLevel>> = { trace: LogLevel.DEBUG, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN };

export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  return {
    debug: (...msg: unknown[]) => child.debug(toText(msg)),
    info: (...msg: unknown[]) => child.info(toText(msg)),
    warn: (...msg: unknown[]) => child.warn(toText(msg)),
    error: (...msg: unknown[]) => child.error(toText(msg)),
    // The level is the product's (LOG_LEVEL); Bolt may not change it.
    setLevel: () => undefined,
    getLevel: () => BOLT_LEVELS[child.level] ?? LogLevel.ERROR,
    setName: () => undefined,
  };
}
