import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** `json`: one JSON object per line (pino's own); `pretty`: one readable line per entry (pino-pretty). */
export type LogFormat = 'json' | 'pretty';

/**
 * The log format: `CORRAL_LOG_FORMAT=json|pretty` when set, else `pretty` when the logs go to a
 * terminal (a person reads them: `corral dev`, a role started by hand) and `json` otherwise (a
 * service under systemd or in a container, a pipe, a file: something parses them).
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stream: { isTTY?: boolean } = process.stdout): LogFormat {
  const asked = env.CORRAL_LOG_FORMAT?.toLowerCase();
  if (asked === 'json' || asked === 'pretty') return asked;
  return stream.isTTY ? 'pretty' : 'json';
}

/**
 * Logs (pino). `CORRAL_LOG_LEVEL` sets the level; tests default to `warn` so their output stays
 * readable. On stdout the format follows logFormat(); a given destination always gets JSON.
 */
export function createLogger(name: string, options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.CORRAL_LOG_LEVEL ?? (process.env.VITEST ? 'warn' : 'info');
  if (options.destination) return pino({ name, level }, options.destination);
  if (logFormat() === 'pretty') return pino({ name, level }, prettyStdout());
  return pino({ name, level });
}

/**
 * pino-pretty writing synchronously to stdout: `08:12:03 WARN (executor): message {fields}`.
 * Loaded on first use, so the client commands, which never log, do not pay for it.
 */
function prettyStdout(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return pretty({
    destination: 1,
    sync: true,
    colorize: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname',
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * A rejection handler that logs (`.catch(logRejection(logger, 'cleaning logs failed'))`): for
 * background work whose failure must be seen but must not crash the process.
 */
export function logRejection(logger: Logger, message: string, context: Record<string, unknown> = {}): (error: unknown) => void {
  return (error: unknown) => logger.warn({ ...context, err: error }, message);
}
