/**
 * The controller's persistence boundary: domain operations only, no SQL or driver types.
 * Two adapters implement it through Kysely — SQLite on node:sqlite (embedded default) and
 * PostgreSQL on pg — and one conformance suite (test/store) runs against both.
 *
 * Records are stored whole (as JSON documents) next to the columns that queries filter on,
 * so adding a field to a record never needs a migration; adding a filter does.
 */
import type { AppRecord, InstanceRecord, InstanceState } from '../../api/app-types.ts';
import type { LocalServiceInstanceRecord, LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ClusterEvent, ClusterStateData, ExecutorRecord } from '../../api/cluster-types.ts';
import type { OperationRecord, OperationState } from '../../api/operation-types.ts';
import type { TaskRecord, TaskState } from '../../api/task-types.ts';

export class DuplicateRecordError extends Error {
  readonly code = 'DUPLICATE_RECORD';
}

/** Another controller holds the database (SQLite file lock, or a PostgreSQL leader lease). */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED';
}

/** The leader lease as the database sees it now (docs/ha.md). */
export interface LeaseState {
  /** Node id of the holder ('' before anyone held it). */
  holder: string;
  holderUrl: string;
  epoch: number;
  /** Milliseconds left by the database clock (0: expired or released). */
  remainingMs: number;
}

/** A controller process of the cluster (docs/ha.md). */
export interface ControllerMember {
  nodeId: string;
  url: string;
  /** Database-clock milliseconds when it joined. */
  started: number;
  /** It said it was alive recently. */
  alive: boolean;
}

/** The lease and membership queries of a store that several controllers share (PostgreSQL). */
export interface LeaseStore {
  /** Takes the lease when it is free or expired; otherwise says who holds it. */
  tryAcquire(nodeId: string, url: string, ttlMs: number): Promise<{ acquired: true; epoch: number; previous: LeaseState } | { acquired: false; current: LeaseState }>;
  /** Extends the lease by `ttlMs` from the database's now; false when it is no longer ours. */
  renew(nodeId: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Ends our lease at once (graceful shutdown), so a successor need not wait for it to expire. */
  release(nodeId: string, epoch: number): Promise<void>;
  read(): Promise<LeaseState>;
  heartbeat(nodeId: string, url: string, secretDigest: string): Promise<void>;
  /** The URL of a controller alive within `aliveWithinMs` whose secret digest is not `secretDigest`. */
  otherSecret(secretDigest: string, aliveWithinMs: number): Promise<string | undefined>;
  /** The database's clock (epoch ms). */
  dbNow(): Promise<number>;
  leave(nodeId: string): Promise<void>;
  members(aliveWithinMs: number): Promise<ControllerMember[]>;
  close(): Promise<void>;
}

/**
 * What every write of a store view is conditional on: the lease row still naming `holder` with
 * `epoch`, unexpired, checked inside the write's own transaction (write-fence.ts); or `refuse`,
 * a view that writes nothing at all (a follower's).
 */
export type WriteFence = { holder: string; epoch: number } | 'refuse';

export interface EventQuery {
  /** Only events with `time` strictly greater than this. */
  after?: number;
  limit?: number;
  /** Only these types (none = all). */
  types?: string[];
}

export interface TaskQuery {
  states?: TaskState[];
  /** Unfinished tasks placed on this executor (a finished task's row does not index its executor; its record still names it). */
  executorId?: string;
  parentTaskId?: string;
  sourceAppName?: string;
}

export interface InstanceQuery {
  appId?: string;
  states?: InstanceState[];
  executorId?: string;
  offset?: number;
  limit?: number;
}

export interface LocalServiceInstanceQuery {
  serviceId?: string;
  states?: InstanceState[];
  executorId?: string;
  offset?: number;
  limit?: number;
}

export interface OperationQuery {
  states?: OperationState[];
  appId?: string;
  type?: string;
  /** Newest first; paging over that order. */
  offset?: number;
  limit?: number;
}

/** A key that signs instance tokens: `secret` is base64url of 32 random bytes. */
export interface InstanceTokenKey {
  kid: string;
  secret: string;
  created: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Present when several controllers may share this store (PostgreSQL): leader election uses it. */
  readonly lease?: LeaseStore;
  /**
   * A view of this store whose every write is fenced by `fence` (NotLeaderError when the lease
   * moved on, and nothing written). Its close() does nothing: the store owns the connections.
   */
  withFence?(fence: WriteFence): Store;
  /** Runs pending migrations (idempotent). Called once at start by `openStore`. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** A harmless write (its own one-row table): resolves only when the store takes writes. */
  probe(): Promise<void>;

  getClusterState(): Promise<ClusterStateData | undefined>;
  setClusterState(state: ClusterStateData): Promise<void>;

  upsertExecutor(record: ExecutorRecord): Promise<void>;
  getExecutor(executorId: string): Promise<ExecutorRecord | undefined>;
  listExecutors(): Promise<ExecutorRecord[]>;
  deleteExecutor(executorId: string): Promise<void>;

  appendEvents(events: ClusterEvent[]): Promise<void>;
  /** Newest first. */
  listEvents(query: EventQuery): Promise<ClusterEvent[]>;
  /** How many events of each type match (types with none are absent). */
  countEventsByType(query: Omit<EventQuery, 'limit'>): Promise<Record<string, number>>;
  /** Deletes events with `time` < `before`; returns how many. */
  pruneEvents(before: number): Promise<number>;

  /** Throws DuplicateRecordError when `{sourceAppName, taskId}` exists. */
  insertTask(record: TaskRecord): Promise<void>;
  /** Inserts several tasks atomically (a fanned-out parent and its subtasks); all or nothing. */
  insertTasks(records: TaskRecord[]): Promise<void>;
  updateTask(record: TaskRecord): Promise<void>;
  /** Writes several task records in one transaction (hot path: batched state changes). */
  updateTasks(records: TaskRecord[]): Promise<void>;
  getTask(sourceAppName: string, taskId: string): Promise<TaskRecord | undefined>;
  listTasks(query: TaskQuery): Promise<TaskRecord[]>;
  /** Returns whether a record was deleted. */
  deleteTask(sourceAppName: string, taskId: string): Promise<boolean>;
  /** Deletes terminal tasks (STOPPED, LOST) last updated before `before`; returns how many. */
  pruneTasks(before: number): Promise<number>;

  /** Throws DuplicateRecordError when the appId exists. */
  insertApp(record: AppRecord): Promise<void>;
  updateApp(record: AppRecord): Promise<void>;
  getApp(appId: string): Promise<AppRecord | undefined>;
  /** In appId order. */
  listApps(): Promise<AppRecord[]>;
  /** Deletes the app and every instance record of it. */
  deleteApp(appId: string): Promise<void>;

  upsertInstance(record: InstanceRecord): Promise<void>;
  upsertInstances(records: InstanceRecord[]): Promise<void>;
  getInstance(appId: string, instanceId: string): Promise<InstanceRecord | undefined>;
  /** Ordered by `created`. */
  listInstances(query: InstanceQuery): Promise<InstanceRecord[]>;
  /** Deletes non-active instances updated before `before`, and beyond `keepPerApp` newest per app. */
  pruneInstances(before: number, keepPerApp: number): Promise<number>;

  /** Throws DuplicateRecordError when the serviceId exists. */
  insertLocalService(record: LocalServiceRecord): Promise<void>;
  updateLocalService(record: LocalServiceRecord): Promise<void>;
  getLocalService(serviceId: string): Promise<LocalServiceRecord | undefined>;
  /** In serviceId order. */
  listLocalServices(): Promise<LocalServiceRecord[]>;
  /** Deletes the service and every instance record of it. */
  deleteLocalService(serviceId: string): Promise<void>;
  /** Local-service instances carry the serviceId in `appId` (localservice-types.ts). */
  upsertLocalServiceInstances(records: LocalServiceInstanceRecord[]): Promise<void>;
  getLocalServiceInstance(serviceId: string, instanceId: string): Promise<LocalServiceInstanceRecord | undefined>;
  /** Ordered by `created`. */
  listLocalServiceInstances(query: LocalServiceInstanceQuery): Promise<LocalServiceInstanceRecord[]>;
  /** Deletes non-active instances updated before `before`, and beyond `keepPerService` newest per service. */
  pruneLocalServiceInstances(before: number, keepPerService: number): Promise<number>;

  insertOperation(record: OperationRecord): Promise<void>;
  updateOperation(record: OperationRecord): Promise<void>;
  /** Inserts or updates (by operationId) all of them in one transaction; the last version of an id wins. */
  saveOperations(records: OperationRecord[]): Promise<void>;
  getOperation(operationId: string): Promise<OperationRecord | undefined>;
  listOperations(query: OperationQuery): Promise<OperationRecord[]>;
  /** Deletes finished operations finished before `before`. */
  pruneOperations(before: number): Promise<number>;

  /** Instance-token signing keys, oldest first. */
  listInstanceTokenKeys(): Promise<InstanceTokenKey[]>;
  addInstanceTokenKey(key: InstanceTokenKey): Promise<void>;
  deleteInstanceTokenKeys(kids: string[]): Promise<void>;
}
