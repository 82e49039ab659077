/**
 * The controller's persistence boundary: domain operations only, no SQL or driver types.
 * Two adapters implement it through Kysely — SQLite on node:sqlite (embedded default) and
 * PostgreSQL on pg — and one conformance suite (test/store) runs against both.
 *
 * Records are stored whole (as JSON documents) next to the columns that queries filter on,
 * so adding a field to a record never needs a migration; adding a filter does.
 */
import type { AppRecord, InstanceRecord, InstanceState } from '../../api/app-types.ts';
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

export interface EventQuery {
  /** Only events with `time` strictly greater than this. */
  after?: number;
  limit?: number;
  /** Only these types (none = all). */
  types?: string[];
}

export interface TaskQuery {
  states?: TaskState[];
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

export interface OperationQuery {
  states?: OperationState[];
  appId?: string;
  type?: string;
  /** Newest first; paging over that order. */
  offset?: number;
  limit?: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Runs pending migrations (idempotent). Called once at start by `openStore`. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  getClusterState(): Promise<ClusterStateData | undefined>;
  setClusterState(state: ClusterStateData): Promise<void>;

  upsertExecutor(record: ExecutorRecord): Promise<void>;
  getExecutor(executorId: string): Promise<ExecutorRecord | undefined>;
  listExecutors(): Promise<ExecutorRecord[]>;
  deleteExecutor(executorId: string): Promise<void>;

  appendEvents(events: ClusterEvent[]): Promise<void>;
  /** Newest first. */
  listEvents(query: EventQuery): Promise<ClusterEvent[]>;
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

  insertOperation(record: OperationRecord): Promise<void>;
  updateOperation(record: OperationRecord): Promise<void>;
  /** Inserts or updates (by operationId) all of them in one transaction; the last version of an id wins. */
  saveOperations(records: OperationRecord[]): Promise<void>;
  getOperation(operationId: string): Promise<OperationRecord | undefined>;
  listOperations(query: OperationQuery): Promise<OperationRecord[]>;
  /** Deletes finished operations finished before `before`. */
  pruneOperations(before: number): Promise<number>;
}
