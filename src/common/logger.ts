import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino). `CORRAL_LOG_LEVEL` sets the level; tests default to `warn`
 * so their output stays readable.
 */
export function createLogger(name: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.CORRAL_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');
  return options.destination ? pino({ name, level }, options.destination) : pino({ name, level });
}

export const silentLogger: Logger = pino({ level: 'silent' });
