/**
 * The Store implementation shared by both engines: one Kysely instance, the dialect chosen
 * by `openStore`. Engine differences stay below Kysely (statement shape, key-violation
 * codes); the queries themselves live in the per-noun `*-queries.ts` files.
 *
 *   constructed ─▶ migrate() (openStore does this) ─▶ serving ─▶ close() ─▶ closed
 */
import { Migrator, type Kysely } from 'kysely';
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import type { LocalServiceInstanceRecord, LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ClusterEvent, ClusterStateData, ExecutorRecord } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import type { Logger } from '../../common/logger.ts';
import * as apps from './app-queries.ts';
import * as cluster from './cluster-queries.ts';
import { STORE_MIGRATIONS, staticMigrationProvider } from './migrations/migration-provider.ts';
import * as localServices from './local-service-queries.ts';
import * as operations from './operation-queries.ts';
import type {
  EventQuery, InstanceQuery, InstanceTokenKey, LeaseStore, LocalServiceInstanceQuery, OperationQuery, Store, TaskQuery, WriteFence,
} from './store.ts';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, type StoreDatabase } from './store-tables.ts';
import * as tasks from './task-queries.ts';
import * as tokenKeys from './token-key-queries.ts';
import { errorMessage } from '../../common/error-message.ts';
import { checkFence } from './write-fence.ts';
import { TurnTransaction } from './turn-transaction.ts';

type Db = Kysely<StoreDatabase>;

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
  /** Lease and membership queries (PostgreSQL: several controllers may share the store). */
  lease?: LeaseStore;
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
  readonly lease: LeaseStore | undefined;
  private readonly db: Kysely<StoreDatabase>;
  /** Set on a fenced view (withFence): every write checks it in its own transaction. */
  private readonly fence: WriteFence | undefined;
  /** A fenced view shares its parent's connections and does not close them. */
  private readonly ownsConnections: boolean;
  private readonly options: KyselyStoreOptions;
  private readonly logger: Logger;
  private readonly migrator: Migrator;
  private readonly migrationSchema: string | undefined;
  private closed = false;
  /** Next event sequence number: read from the table once, then kept here (one writer per store). */
  private nextEventSeq: number | undefined;
  private eventSeqLoad: Promise<number> | undefined;
  /** SQLite: the writes of one turn share a transaction (one fsync); see turn-transaction.ts. */
  private readonly turn: TurnTransaction | undefined;

  constructor(options: KyselyStoreOptions, fence?: WriteFence) {
    this.options = options;
    this.fence = fence;
    this.ownsConnections = fence === undefined;
    this.lease = options.lease;
    this.kind = options.kind;
    this.db = options.db;
    this.location = options.location;
    this.logger = options.logger;
    this.migrationSchema = options.migrationSchema;
    this.turn = options.kind === 'sqlite' ? new TurnTransaction(options.db) : undefined;
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
      const reason = errorMessage(error);
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
    if (!this.ownsConnections) return;
    await this.lease?.close().catch((error: unknown) => this.logger.warn({ err: error }, 'closing the lease connections failed'));
    await this.db.destroy();
  }

  /** A view whose writes are all conditional on `fence` (store.ts); SQLite has no lease and stays as it is. */
  withFence(fence: WriteFence): Store {
    if (!this.lease) return this;
    return new KyselyStore(this.options, fence);
  }

  /**
   * The root of every write: on SQLite it joins the turn's transaction; fenced (PostgreSQL with
   * several controllers), it runs inside a transaction that first checks the lease
   * (write-fence.ts), so a stale leader writes nothing; otherwise it runs as it is.
   * `sweep`: a retention sweep, which deletes in many statements and yields between them, runs
   * outside the turn's transaction, so it never holds every other write back.
   */
  private write<T>(work: (db: Db) => Promise<T>, sweep = false): Promise<T> {
    if (this.turn && !sweep) return this.turn.run(work);
    const fence = this.fence;
    if (fence === undefined) return work(this.db);
    return this.db.transaction().execute(async (trx) => {
      await checkFence(trx, fence);
      return work(trx);
    });
  }

  probe(): Promise<void> {
    return this.write((db) => cluster.probe(db, Date.now()));
  }

  getClusterState(): Promise<ClusterStateData | undefined> {
    return cluster.getClusterState(this.db);
  }

  setClusterState(state: ClusterStateData): Promise<void> {
    return this.write((db) => cluster.setClusterState(db, state));
  }

  upsertExecutor(record: ExecutorRecord): Promise<void> {
    return this.write((db) => cluster.upsertExecutor(db, record));
  }

  getExecutor(executorId: string): Promise<ExecutorRecord | undefined> {
    return cluster.getExecutor(this.db, executorId);
  }

  listExecutors(): Promise<ExecutorRecord[]> {
    return cluster.listExecutors(this.db);
  }

  deleteExecutor(executorId: string): Promise<void> {
    return this.write((db) => cluster.deleteExecutor(db, executorId));
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
    await this.write((db) => cluster.appendEvents(db, events, first));
  }

  listEvents(query: EventQuery): Promise<ClusterEvent[]> {
    return cluster.listEvents(this.db, query);
  }

  countEventsByType(query: Omit<EventQuery, 'limit'>): Promise<Record<string, number>> {
    return cluster.countEventsByType(this.db, query);
  }

  pruneEvents(before: number): Promise<number> {
    return this.write((db) => cluster.pruneEvents(db, before), true);
  }

  insertTask(record: TaskRecord): Promise<void> {
    return this.write((db) => tasks.insertTasks(db, [record]));
  }

  insertTasks(records: TaskRecord[]): Promise<void> {
    return this.write((db) => tasks.insertTasks(db, records));
  }

  updateTask(record: TaskRecord): Promise<void> {
    return this.write((db) => tasks.updateTask(db, record));
  }

  updateTasks(records: TaskRecord[]): Promise<void> {
    return this.write((db) => tasks.updateTasks(db, records));
  }

  getTask(sourceAppName: string, taskId: string): Promise<TaskRecord | undefined> {
    return tasks.getTask(this.db, sourceAppName, taskId);
  }

  listTasks(query: TaskQuery): Promise<TaskRecord[]> {
    return tasks.listTasks(this.db, query);
  }

  deleteTask(sourceAppName: string, taskId: string): Promise<boolean> {
    return this.write((db) => tasks.deleteTask(db, sourceAppName, taskId));
  }

  pruneTasks(before: number): Promise<number> {
    return this.write((db) => tasks.pruneTasks(db, before), true);
  }

  insertApp(record: AppRecord): Promise<void> {
    return this.write((db) => apps.insertApp(db, record));
  }

  updateApp(record: AppRecord): Promise<void> {
    return this.write((db) => apps.updateApp(db, record));
  }

  getApp(appId: string): Promise<AppRecord | undefined> {
    return apps.getApp(this.db, appId);
  }

  listApps(): Promise<AppRecord[]> {
    return apps.listApps(this.db);
  }

  deleteApp(appId: string): Promise<void> {
    return this.write((db) => apps.deleteApp(db, appId));
  }

  upsertInstance(record: InstanceRecord): Promise<void> {
    return this.write((db) => apps.upsertInstances(db, [record]));
  }

  upsertInstances(records: InstanceRecord[]): Promise<void> {
    return this.write((db) => apps.upsertInstances(db, records));
  }

  getInstance(appId: string, instanceId: string): Promise<InstanceRecord | undefined> {
    return apps.getInstance(this.db, appId, instanceId);
  }

  listInstances(query: InstanceQuery): Promise<InstanceRecord[]> {
    return apps.listInstances(this.db, query);
  }

  pruneInstances(before: number, keepPerApp: number): Promise<number> {
    return this.write((db) => apps.pruneInstances(db, before, keepPerApp), true);
  }

  insertLocalService(record: LocalServiceRecord): Promise<void> {
    return this.write((db) => localServices.insertLocalService(db, record));
  }

  updateLocalService(record: LocalServiceRecord): Promise<void> {
    return this.write((db) => localServices.updateLocalService(db, record));
  }

  getLocalService(serviceId: string): Promise<LocalServiceRecord | undefined> {
    return localServices.getLocalService(this.db, serviceId);
  }

  listLocalServices(): Promise<LocalServiceRecord[]> {
    return localServices.listLocalServices(this.db);
  }

  deleteLocalService(serviceId: string): Promise<void> {
    return this.write((db) => localServices.deleteLocalService(db, serviceId));
  }

  upsertLocalServiceInstances(records: LocalServiceInstanceRecord[]): Promise<void> {
    return this.write((db) => localServices.upsertLocalServiceInstances(db, records));
  }

  getLocalServiceInstance(serviceId: string, instanceId: string): Promise<LocalServiceInstanceRecord | undefined> {
    return localServices.getLocalServiceInstance(this.db, serviceId, instanceId);
  }

  listLocalServiceInstances(query: LocalServiceInstanceQuery): Promise<LocalServiceInstanceRecord[]> {
    return localServices.listLocalServiceInstances(this.db, query);
  }

  pruneLocalServiceInstances(before: number, keepPerService: number): Promise<number> {
    return this.write((db) => localServices.pruneLocalServiceInstances(db, before, keepPerService), true);
  }

  insertOperation(record: OperationRecord): Promise<void> {
    return this.write((db) => operations.insertOperation(db, record));
  }

  updateOperation(record: OperationRecord): Promise<void> {
    return this.write((db) => operations.updateOperation(db, record));
  }

  saveOperations(records: OperationRecord[]): Promise<void> {
    return this.write((db) => operations.saveOperations(db, records));
  }

  getOperation(operationId: string): Promise<OperationRecord | undefined> {
    return operations.getOperation(this.db, operationId);
  }

  listOperations(query: OperationQuery): Promise<OperationRecord[]> {
    return operations.listOperations(this.db, query);
  }

  pruneOperations(before: number): Promise<number> {
    return this.write((db) => operations.pruneOperations(db, before), true);
  }

  listInstanceTokenKeys(): Promise<InstanceTokenKey[]> {
    return tokenKeys.listInstanceTokenKeys(this.db);
  }

  addInstanceTokenKey(key: InstanceTokenKey): Promise<void> {
    return this.write((db) => tokenKeys.addInstanceTokenKey(db, key));
  }

  deleteInstanceTokenKeys(kids: string[]): Promise<void> {
    return this.write((db) => tokenKeys.deleteInstanceTokenKeys(db, kids));
  }
}
