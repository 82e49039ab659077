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

/** The event log (migration 0006): each column as event-packing.ts writes it. */
export interface EventTable {
  /** Tie-breaker for events of the same millisecond: append order (SQLite: the rowid). */
  seq: number;
  /** The event id, 16 bytes (unique: a re-appended event is skipped). */
  id: Uint8Array;
  time: number;
  /** The type's number (EVENT_TYPE_CODES). */
  type: number;
  /** The rest of the event, packed (or the whole event as UTF-8 JSON, rows from before 0006). */
  doc: Uint8Array;
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

export interface LocalServiceTable {
  service_id: string;
  state: string;
  created: number;
  updated: number;
  doc: string;
}

export interface LocalServiceInstanceTable {
  service_id: string;
  instance_id: string;
  state: string;
  executor_id: string | null;
  created: number;
  updated: number;
  doc: string;
}

/** One row written by the store-health probe (store-health.ts). */
export interface StoreProbeTable {
  id: number;
  at: number;
}

/** A key that signs instance tokens (migration 0005). */
export interface InstanceTokenKeyTable {
  kid: string;
  secret: string;
  created: number;
}

/** The single leader-lease row (id 1); times are the database clock's epoch milliseconds. */
export interface LeaderLeaseTable {
  id: number;
  holder: string;
  holder_url: string;
  epoch: number;
  expires_at: number;
}

/** A controller process that joined the cluster (docs/ha.md); `last_seen` by the database clock. */
export interface ControllerTable {
  node_id: string;
  url: string;
  started: number;
  last_seen: number;
  secret_digest: string;
}

export interface StoreDatabase {
  cluster_state: ClusterStateTable;
  store_probe: StoreProbeTable;
  executors: ExecutorTable;
  events: EventTable;
  tasks: TaskTable;
  apps: AppTable;
  instances: InstanceTable;
  operations: OperationTable;
  instance_token_keys: InstanceTokenKeyTable;
  local_services: LocalServiceTable;
  local_service_instances: LocalServiceInstanceTable;
  leader_lease: LeaderLeaseTable;
  controllers: ControllerTable;
}

/** Where Kysely's Migrator records applied migrations (and its lock row). */
export const MIGRATION_TABLE = 'corral_migration';
export const MIGRATION_LOCK_TABLE = 'corral_migration_lock';
