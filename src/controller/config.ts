/**
 * Controller configuration: a YAML or JSON file (`corral controller --config FILE`), compiled
 * once at the boundary into this shape (durations in ms). Every field has a default so the
 * dev cluster needs no file at all.
 */
import type { ClusterOpSpec } from '../api/spec-types.ts';
import type { Role } from '../api/auth-types.ts';

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
  /**
   * A task start its (connected) executor has not acknowledged within this long fails with the
   * reason: the executor never got it or cannot run it (docs/tasks.md).
   */
  startAckTimeoutMs: number;
  /** Largest body a CONTROLLER_HTTP_FETCH config may fetch (bytes); larger fails the start. */
  controllerFetchMaxBytes: number;
  /**
   * SQLite durability: `FULL` (default) keeps every acknowledged write across an OS crash or
   * power loss (an fsync per group commit); `PROCESS` survives a crash of the controller process
   * only (faster; for tests and throwaway clusters). PostgreSQL follows its own settings.
   */
  storeDurability: 'FULL' | 'PROCESS';
  /** Host directory prefixes volumes may mount (empty = any). */
  allowedMountDirs: string[];
  enableRawDeviceAccess: boolean;
  disableCmdlArgs: boolean;
  /** Request body limit (bytes). */
  bodyLimitBytes: number;
  /** `/metrics` needs credentials (any role); only `corral dev` turns this off by default. */
  metricsAuth: boolean;
  /**
   * Origins (`https://ui.example.com`) besides the controller's own whose browsers may send
   * write requests; a write with any other `Origin` header is refused (docs/security.md).
   */
  allowedOrigins: string[];
  /** A request (headers and body) must have arrived completely within this long. */
  requestTimeoutMs: number;
  /** Failed logins allowed per client address and minute before it gets 429 for the rest of it. */
  authFailuresPerMinute: number;
  /** Open event streams (SSE) one user may hold at once. */
  maxEventStreamsPerUser: number;
  /** Log downloads one executor serves at once; more are answered 429. */
  maxLogDownloadsPerExecutor: number;
  /**
   * When resident memory has grown this many MB over its lowest and stopped growing, one
   * memory-reducing collection gives V8's pooled pages back (memory-return.ts); 0 = never.
   */
  memoryReturnMb: number;
  /**
   * The base URL other controllers, executors and clients reach this controller at (shown in the
   * cluster view, sent as `X-Corral-Leader`). Default: `http://<host or hostname>:<port>`.
   */
  advertiseUrl?: string;
  /**
   * Leader lease length on a PostgreSQL store (docs/ha.md): a dead leader is replaced within
   * about this long plus one follower poll (lease/6); it renews every lease/3 and steps down
   * lease/5 before the lease could expire.
   */
  leaderLeaseMs: number;
}

/** The cluster secret of `corral dev` and of a controller started without one: never valid beyond loopback. */
export const DEV_CLUSTER_SECRET = 'corral-dev-secret';

export function defaultControllerConfig(overrides: Partial<ControllerConfig> = {}): ControllerConfig {
  return {
    host: '127.0.0.1',
    port: 4000,
    store: 'sqlite:./.corral/controller.db',
    clusterSecret: DEV_CLUSTER_SECRET,
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
    startAckTimeoutMs: 30_000,
    controllerFetchMaxBytes: 4 * 1024 * 1024,
    storeDurability: 'FULL',
    allowedMountDirs: [],
    enableRawDeviceAccess: false,
    disableCmdlArgs: false,
    bodyLimitBytes: 1024 * 1024,
    metricsAuth: true,
    allowedOrigins: [],
    requestTimeoutMs: 30_000,
    authFailuresPerMinute: 20,
    maxEventStreamsPerUser: 16,
    maxLogDownloadsPerExecutor: 4,
    leaderLeaseMs: 3_000,
    memoryReturnMb: 64,
    ...overrides,
  };
}
