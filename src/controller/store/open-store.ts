/**
 * The store's entry point: picks the engine from the URL, opens it, runs the migrations.
 *
 *   sqlite:PATH          embedded file (parent directories created), single controller per file
 *   sqlite::memory:      in-memory, for tests
 *   postgres://…         PostgreSQL (also postgresql://), optional `?schema=NAME`
 */
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { createLogger, type Logger } from '../../common/logger.ts';
import { KyselyStore } from './kysely-store.ts';
import { PostgresLeaseStore } from './postgres/leader-lease.ts';
import { maskPassword, openPostgresPool, parsePostgresUrl } from './postgres/postgres-pool.ts';
import { openSqliteDatabase, type SqliteTarget } from './sqlite/sqlite-database.ts';
import type { Store } from './store.ts';
import { StoreUrlError } from './store-errors.ts';
import type { StoreDatabase } from './store-tables.ts';

const URL_FORMS = 'sqlite:PATH, sqlite::memory: or postgres://USER@HOST:PORT/DATABASE[?schema=NAME]';

export interface OpenStoreOptions {
  logger?: Logger;
  /** SQLite: `FULL` (default) survives an OS crash, `PROCESS` only a process crash (ControllerConfig.storeDurability). */
  durability?: 'FULL' | 'PROCESS';
  /**
   * PostgreSQL: the leader lease length (default 3 s, docs/ha.md). A lease query taking longer
   * than a third of it counts as failed; a transaction left idle for half of it is ended by the
   * server, so a paused leader cannot hold the lease row's lock past its lease.
   */
  leaderLeaseMs?: number;
}

/**
 * Opens the store named by `url` and brings its schema up to date. Throws StoreUrlError for a
 * URL it cannot use, StoreLockedError when another controller holds the SQLite file, and an
 * Error naming the database when it cannot be reached or migrated.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const logger = options.logger?.child({ component: 'store' }) ?? createLogger('store');
  const trimmed = typeof url === 'string' ? url.trim() : '';
  let store: KyselyStore;
  if (trimmed.startsWith('sqlite:')) {
    const target = parseSqliteUrl(trimmed);
    const database = openSqliteDatabase(target, { durability: options.durability });
    store = new KyselyStore({
      kind: 'sqlite',
      db: new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database }) }),
      logger,
      location: target.kind === 'memory' ? ':memory:' : target.path,
    });
  } else if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    const target = parsePostgresUrl(trimmed);
    const leaseMs = options.leaderLeaseMs ?? 3_000;
    const { pool, schema } = await openPostgresPool(target, logger, { idleInTransactionMs: Math.max(500, Math.round(leaseMs / 2)) });
    store = new KyselyStore({
      kind: 'postgres',
      db: new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) }),
      logger,
      location: `${target.display} (schema ${schema})`,
      migrationSchema: schema,
      lease: new PostgresLeaseStore(target, logger, Math.max(250, Math.round(leaseMs / 3)), pool),
    });
  } else {
    throw new StoreUrlError(trimmed
      ? `Unsupported store URL "${maskPassword(trimmed)}": use ${URL_FORMS}`
      : `The store URL is empty: use ${URL_FORMS}`);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  logger.debug({ store: store.kind, location: store.location }, 'store opened');
  return store;
}

function parseSqliteUrl(url: string): SqliteTarget {
  let rest = url.slice('sqlite:'.length);
  if (rest === ':memory:') return { kind: 'memory' };
  // sqlite:///abs/path and sqlite://rel/path are accepted as spelled in other tools.
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest.trim() === '') {
    throw new StoreUrlError(`The SQLite store URL "${url}" has no path: use sqlite:PATH (e.g. sqlite:./.corral/controller.db) or sqlite::memory:`);
  }
  return { kind: 'file', path: rest };
}
