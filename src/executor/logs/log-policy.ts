/**
 * Local log retention policy, compiled once from the spec's `logging` (docs/api.md §6.11):
 * `maxSize` like Docker's json-file (`10m`, `1g`, `512k`, plain bytes), `maxFiles` counting the
 * live file, `compress` gzipping rotated files. Default 10m / 3 / true.
 */
import { parseLogSize } from '../../api/log-size.ts';
import type { LoggingSpec } from '../../api/spec-types.ts';

export { parseLogSize };

export interface LogPolicy {
  maxBytes: number;
  maxFiles: number;
  compress: boolean;
}

export const DEFAULT_LOG_POLICY: LogPolicy = { maxBytes: 10 * 1024 * 1024, maxFiles: 3, compress: true };

/**
 * The LOCAL policy for a spec. RSYSLOG keeps the default rotation: its lines are shipped by
 * log-shipper.ts in addition to the local output.log, which the log APIs keep serving.
 */
export function compileLogPolicy(logging: LoggingSpec | undefined): LogPolicy | { error: string } {
  if (!logging || logging.type !== 'LOCAL') return DEFAULT_LOG_POLICY;
  const maxBytes = parseLogSize(logging.maxSize);
  if (typeof maxBytes !== 'number') return { error: `logging.maxSize ${maxBytes.error}` };
  if (!Number.isInteger(logging.maxFiles) || logging.maxFiles < 1 || logging.maxFiles > 100) {
    return { error: `logging.maxFiles must be a whole number from 1 to 100, got ${logging.maxFiles}` };
  }
  return { maxBytes, maxFiles: logging.maxFiles, compress: logging.compress !== false };
}
