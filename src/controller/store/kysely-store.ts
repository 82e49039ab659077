/**
 * The Store implementation shared by both engines: one Kysely instance, the dialect chosen
 * by `openStore`. Engine differences stay below Kysely (statement shape, key-violation
 * codes); the queries themselves live in the per-noun `*-queries.ts` files.
 *
 *   constructed ─▶ migrate() (openStore does this) ─▶ serving ─▶ close() ─▶ closed
 */
import { Migrator, type Kysely } from 'kysely';
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import type { ClusterEvent, ClusterStateData, ExecutorRecord } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import type { Logger } from '../../common/logger.ts';
import * as apps from './app-queries.ts';
import * as cluster from './cluster-queries.ts';
import { STORE_MIGRATIONS, staticMigrationProvider } from './migrations/migration-provider.ts';
import * as operations from './operation-queries.ts';
import type { EventQuery, InstanceQuery, OperationQuery, Store, TaskQuery } from './store.ts';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, type StoreDatabase } from './store-tables.ts';
import * as tasks from './task-queries.ts';

export interface KyselyStoreOptions {
  kind: Store['kind'];
  db: Kysely<StoreDatabase>;
  logger: Logger;
  /** Where the data lives, for logs and messages (a path, or a URL without its password). */
  location: string;
  /**
   * Schema holding the migration tables (PostgreSQL). Kysely's Migrator checks for its
   * tables across *all* schemas unless told which one, and would be fooled by another
   * schema's copy.
   */
  migrationSchema?: string;
}

/** One applied (or pending) migration. */
export interface MigrationStatus {
  name: string;
  /** When it was applied; undefined while pending. */
  executedAt?: Date;
}

/** Store over Kysely; build it through `openStore`, which also runs the migrations. */
export class KyselyStore implements Store {
  readonly kind: Store['kind'];
  readonly location: string;
  private readonly db: Kysely<StoreDatabase>;
  private readonly logger: Logger;
  private readonly migrator: Migrator;
  private readonly migrationSchema: string | undefined;
  private closed = false;
  /** Next event sequence number: read from the table once, then kept here (one writer per store). */
  private nextEventSeq: number | undefined;
  private eventSeqLoad: Promise<number> | undefined;

  constructor(options: KyselyStoreOptions) {
    this.kind = options.kind;
    this.db = options.db;
    this.location = options.location;
    this.logger = options.logger;
    this.migrationSchema = options.migrationSchema;
    this.migrator = new Migrator({
      db: this.db,
      provider: staticMigrationProvider,
      migrationTableName: MIGRATION_TABLE,
      migrationLockTableName: MIGRATION_LOCK_TABLE,
      migrationTableSchema: options.migrationSchema,
    });
  }

  async migrate(): Promise<void> {
    const { error, results = [] } = await this.migrator.migrateToLatest();
    const failed = results.find((result) => result.status === 'Error');
    if (error) {
      const unknown = await this.unknownAppliedMigrations();
      if (unknown.length > 0) {
        throw new Error(
          `The store at ${this.location} was migrated by a newer corral (unknown migrations: ${unknown.join(', ')}); ` +
          'run a corral version at least as new as the one that last used it',
          { cause: error },
        );
      }
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Store migration ${failed ? `${failed.migrationName} ` : ''}failed on ${this.location}: ${reason}`,
        { cause: error },
      );
    }
    const applied = results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
    if (applied.length > 0) this.logger.info({ store: this.kind, location: this.location, applied }, 'store migrations applied');
  }

  /** Applied migrations this code does not know (the database is from a newer version). */
  private async unknownAppliedMigrations(): Promise<string[]> {
    try {
      // The migration table is Kysely's, not in StoreDatabase; `withTables` types just this read.
      const db = this.db.withTables<{ [MIGRATION_TABLE]: { name: string } }>();
      const scoped = this.migrationSchema ? db.withSchema(this.migrationSchema) : db;
      const rows = await scoped.selectFrom(MIGRATION_TABLE).select('name').execute();
      return rows.map((row) => row.name).filter((name) => !(name in STORE_MIGRATIONS));
    } catch {
      return [];
    }
  }

  /** Every known migration and when it was applied (pending ones have no `executedAt`). */
  async migrationStatus(): Promise<MigrationStatus[]> {
    const infos = await this.migrator.getMigrations();
    return infos.map((info) => ({ name: info.name, executedAt: info.executedAt }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
  }

  getClusterState(): Promise<ClusterStateData | undefined> {
    return cluster.getClusterState(this.db);
  }

  setClusterState(state: ClusterStateData): Promise<void> {
    return cluster.setClusterState(this.db, state);
  }

  upsertExecutor(record: ExecutorRecord): Promise<void> {
    return cluster.upsertExecutor(this.db, record);
  }

  getExecutor(executorId: string): Promise<ExecutorRecord | undefined> {
    return cluster.getExecutor(this.db, executorId);
  }

  listExecutors(): Promise<ExecutorRecord[]> {
    return cluster.listExecutors(this.db);
  }

  deleteExecutor(executorId: string): Promise<void> {
    return cluster.deleteExecutor(this.db, executorId);
  }

  async appendEvents(events: ClusterEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (this.nextEventSeq === undefined) {
      this.eventSeqLoad ??= cluster.maxEventSeq(this.db).finally(() => { this.eventSeqLoad = undefined; });
      const max = await this.eventSeqLoad;
      this.nextEventSeq ??= max + 1;
    }
    // Reserved before any await so concurrent appends never share numbers.
    const first = this.nextEventSeq;
    this.nextEventSeq += events.length;
    await cluster.appendEvents(this.db, events, first);
  }

  listEvents(query: EventQuery): Promise<ClusterEvent[]> {
    return cluster.listEvents(this.db, query);
  }

  pruneEvents(before: number): Promise<number> {
    return cluster.pruneEvents(this.db, before);
  }

  insertTask(record: TaskRecord): Promise<void> {
    return tasks.insertTasks(this.db, [record]);
  }

  insertTasks(records: TaskRecord[]): Promise<void> {
    return tasks.insertTasks(this.db, records);
  }

  updateTask(record: TaskRecord): Promise<void> {
    return tasks.updateTask(this.db, record);
  }

  updateTasks(records: TaskRecord[]): Promise<void> {
    return tasks.updateTasks(this.db, records);
  }

  getTask(sourceAppName: string, taskId: string): Promise<TaskRecord | undefined> {
    return tasks.getTask(this.db, sourceAppName, taskId);
  }

  listTasks(query: TaskQuery): Promise<TaskRecord[]> {
    return tasks.listTasks(this.db, query);
  }

  deleteTask(sourceAppName: string, taskId: string): Promise<boolean> {
    return tasks.deleteTask(this.db, sourceAppName, taskId);
  }

  pruneTasks(before: number): Promise<number> {
    return tasks.pruneTasks(this.db, before);
  }

  insertApp(record: AppRecord): Promise<void> {
    return apps.insertApp(this.db, record);
  }

  updateApp(record: AppRecord): Promise<void> {
    return apps.updateApp(this.db, record);
  }

  getApp(appId: string): Promise<AppRecord | undefined> {
    return apps.getApp(this.db, appId);
  }

  listApps(): Promise<AppRecord[]> {
    return apps.listApps(this.db);
  }

  deleteApp(appId: string): Promise<void> {
    return apps.deleteApp(this.db, appId);
  }

  upsertInstance(record: InstanceRecord): Promise<void> {
    return apps.upsertInstances(this.db, [record]);
  }

  upsertInstances(records: InstanceRecord[]): Promise<void> {
    return apps.upsertInstances(this.db, records);
  }

  getInstance(appId: string, instanceId: string): Promise<InstanceRecord | undefined> {
    return apps.getInstance(this.db, appId, instanceId);
  }

  listInstances(query: InstanceQuery): Promise<InstanceRecord[]> {
    return apps.listInstances(this.db, query);
  }

  pruneInstances(before: number, keepPerApp: number): Promise<number> {
    return apps.pruneInstances(this.db, before, keepPerApp);
  }

  insertOperation(record: OperationRecord): Promise<void> {
    return operations.insertOperation(this.db, record);
  }

  updateOperation(record: OperationRecord): Promise<void> {
    return operations.updateOperation(this.db, record);
  }

  saveOperations(records: OperationRecord[]): Promise<void> {
    return operations.saveOperations(this.db, records);
  }

  getOperation(operationId: string): Promise<OperationRecord | undefined> {
    return operations.getOperation(this.db, operationId);
  }

  listOperations(query: OperationQuery): Promise<OperationRecord[]> {
    return operations.listOperations(this.db, query);
  }

  pruneOperations(before: number): Promise<number> {
    return operations.pruneOperations(this.db, before);
  }
}
