import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Pretty, human-oriented output (development only). @default false */
  pretty?: boolean;
  name?: string;
}

/**
 * Structured JSON logs (pino). Children carry context: `logger.child({ topic,
 * partition, offset })` wherever a record is handled.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = 'info', pretty = false, name = 'feedback-gateway' } = options;
  return pino({
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

/** A logger that drops everything, for tests and benches. */
export const silentLogger: Logger = pino({ level: 'silent' });
