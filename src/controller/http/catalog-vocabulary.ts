/** The query parameters and answers that several sections of the API catalog share. */
import { z } from 'zod';

export const MAX_INT = 2147483646;
/** The answer of a write the store cannot take (docs/api.md §1.4). */
export const STORE_DOWN = 'The controller\'s store cannot take writes (disk full, database down): nothing was changed; retry later.';
export const page = (what: string, max: number, fallback: number) =>
  z.int().min(0).max(max).optional().describe(`${what} (default ${fallback}).`);

export const INSTANCE_STATE = z.enum([
  'PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'UNHEALTHY', 'DEPROVISIONING', 'STOPPING',
  'STOPPED', 'LOST', 'PROVISIONING_FAILED', 'START_FAILED', 'READINESS_CHECK_FAILED', 'UNKNOWN',
]);
export const OPERATION_TYPE = z.enum([
  'CREATE', 'START_INSTANCES', 'SCALE', 'SUSPEND', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'DESTROY', 'RECOVER', 'BLACKLIST_MOVE', 'KILL',
  'ACTIVATE', 'DEACTIVATE', 'DEPLOY_TEST_INSTANCE', 'ADJUST_INSTANCES', 'UPDATE_INSTANCE_COUNT', 'RESTART',
]);
export const lastSyncTime = z.int().min(0).optional().describe('Epoch milliseconds; only events strictly newer (default 0).');
export const executorIds = z.object({ id: z.array(z.string()).min(1).describe('Executor ids, repeated: `?id=a&id=b`.') });

