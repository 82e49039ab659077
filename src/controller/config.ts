/**
 * Controller configuration: a YAML or JSON file (`corral controller --config FILE`), compiled
 * once at the boundary into this shape (durations in ms). Every field has a default so the
 * dev cluster needs no file at all.
 */
import type { ClusterOpSpec } from '../api/spec-types.ts';
import type { Role } from './context.ts';

export interface UserConfig {
  username: string;
  /** Plain text, or a bcrypt hash (`$2a$`/`$2b$`/`$2y$` prefix). */
  password: string;
  role: Role;
}

export interface ControllerConfig {
  host: string;
  port: number;
  /** `sqlite:PATH` or a `postgres://` URL. */
  store: string;
  clusterSecret: string;
  authEnabled: boolean;
  /** Drove's `disableReadAuth`: the LOGS role group passes for every authenticated user. */
  disableReadAuth: boolean;
  users: UserConfig[];
  defaultOpSpec: ClusterOpSpec;
  /** How often executors send a full snapshot. */
  snapshotIntervalMs: number;
  /** An executor silent this long is declared lost (its workloads LOST). */
  executorLostAfterMs: number;
  /** A lost executor is removed from the live view after this long. */
  executorRemovedAfterMs: number;
  /** Writes stay blocked this long after maintenance is unset. */
  maintenanceGraceMs: number;
  /** Terminal task records are deleted this long after they ended. */
  taskRetentionMs: number;
  /** Old instance records are deleted after this long, keeping at most `maxOldInstancesPerApp`. */
  instanceRetentionMs: number;
  maxOldInstancesPerApp: number;
  /** Finished operation records are deleted after this long. */
  operationRetentionMs: number;
  /** Events are kept this long. */
  eventRetentionMs: number;
  /** SIGTERM → SIGKILL wait for KILL of tasks and instance stops. */
  killTimeoutMs: number;
  /** Host directory prefixes volumes may mount (empty = any). */
  allowedMountDirs: string[];
  enableRawDeviceAccess: boolean;
  disableCmdlArgs: boolean;
  /** Request body limit (bytes). */
  bodyLimitBytes: number;
}

export function defaultControllerConfig(overrides: Partial<ControllerConfig> = {}): ControllerConfig {
  return {
    host: '127.0.0.1',
    port: 4000,
    store: 'sqlite:./.corral/controller.db',
    clusterSecret: 'corral-dev-secret',
    authEnabled: true,
    disableReadAuth: false,
    users: [
      { username: 'admin', password: 'admin', role: 'DROVE_EXTERNAL_ROOT' },
      { username: 'guest', password: 'guest', role: 'DROVE_EXTERNAL_READ_ONLY' },
    ],
    defaultOpSpec: { timeout: { count: 300, unit: 'seconds' }, parallelism: 1, failureStrategy: 'STOP' },
    snapshotIntervalMs: 5_000,
    executorLostAfterMs: 10_000,
    executorRemovedAfterMs: 300_000,
    maintenanceGraceMs: 40_000,
    taskRetentionMs: 2 * 86_400_000,
    instanceRetentionMs: 7 * 86_400_000,
    maxOldInstancesPerApp: 100,
    operationRetentionMs: 7 * 86_400_000,
    eventRetentionMs: 60 * 60_000,
    killTimeoutMs: 5_000,
    allowedMountDirs: [],
    enableRawDeviceAccess: false,
    disableCmdlArgs: false,
    bodyLimitBytes: 1024 * 1024,
    ...overrides,
  };
}
