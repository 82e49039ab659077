/**
 * The store's tables as Kysely sees them. Every record is kept whole in `doc` (JSON text)
 * next to the columns queries filter or sort on; `doc` is the source of truth when reading.
 *
 * JSON is `text` in both engines: the store never queries inside a document, text is what
 * node:sqlite and pg hand back without re-encoding, and one migration source then fits both
 * dialects. (Operators can still use `doc::jsonb` in PostgreSQL.)
 * Times are epoch milliseconds in `bigint` columns (INTEGER affinity in SQLite).
 */

export interface ClusterStateTable {
  id: number;
  doc: string;
}

export interface ExecutorTable {
  executor_id: string;
  updated: number;
  doc: string;
}

export interface EventTable {
  event_id: string;
  time: number;
  /** Tie-breaker for events of the same millisecond: append order. */
  seq: number;
  type: string;
  doc: string;
}

export interface TaskTable {
  source_app_name: string;
  task_id: string;
  instance_id: string;
  state: string;
  executor_id: string | null;
  parent_task_id: string | null;
  created: number;
  updated: number;
  doc: string;
}

export interface AppTable {
  app_id: string;
  state: string;
  created: number;
  updated: number;
  doc: string;
}

export interface InstanceTable {
  app_id: string;
  instance_id: string;
  state: string;
  executor_id: string | null;
  created: number;
  updated: number;
  doc: string;
}

export interface OperationTable {
  operation_id: string;
  type: string;
  /** The target app for app operations; null for task operations. */
  app_id: string | null;
  state: string;
  created: number;
  updated: number;
  finished: number | null;
  doc: string;
}

export interface StoreDatabase {
  cluster_state: ClusterStateTable;
  executors: ExecutorTable;
  events: EventTable;
  tasks: TaskTable;
  apps: AppTable;
  instances: InstanceTable;
  operations: OperationTable;
}

/** Where Kysely's Migrator records applied migrations (and its lock row). */
export const MIGRATION_TABLE = 'corral_migration';
export const MIGRATION_LOCK_TABLE = 'corral_migration_lock';
