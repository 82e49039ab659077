/**
 * A store written before migration 0006 (events as JSON rows with a text id) is migrated and
 * its events are read exactly as they were written, beside new packed ones; a re-appended old id
 * is still skipped. Shared by the SQLite and PostgreSQL suites.
 */
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { expect, it } from 'vitest';
import type { ClusterEvent } from '../../src/api/cluster-types.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { STORE_MIGRATIONS } from '../../src/controller/store/migrations/migration-provider.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { openPostgresPool, parsePostgresUrl } from '../../src/controller/store/postgres/postgres-pool.ts';
import { openSqliteDatabase } from '../../src/controller/store/sqlite/sqlite-database.ts';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE } from '../../src/controller/store/store-tables.ts';
import { T0 } from './store-records.ts';

const BEFORE_0006 = Object.fromEntries(Object.entries(STORE_MIGRATIONS).filter(([name]) => name < '0006'));

const oldEvents: ClusterEvent[] = [
  { type: 'TASK_STATE_CHANGE', id: '11111111-2222-4333-8444-555555555555', time: T0 + 1, metadata: { APP_NAME: 'mem', TASK_ID: 't-1', CURRENT_STATE: 'PENDING', CREATED: T0 } },
  { type: 'OPERATION_STATE_CHANGE', id: 'legacy-op', time: T0 + 2, metadata: { OPERATION_ID: 'OP-1', CURRENT_STATE: 'RUNNING' } },
  { type: 'TASK_STATE_CHANGE', id: '66666666-7777-4888-9999-aaaaaaaaaaaa', time: T0 + 2, metadata: { APP_NAME: 'mem', TASK_ID: 't-1', CURRENT_STATE: 'STOPPED', CREATED: T0 } },
];

/** Opens `url` with only the migrations before 0006 applied. */
async function storeBefore0006(url: string): Promise<Kysely<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- the schema as it was then
  let db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  let schema: string | undefined;
  if (url.startsWith('sqlite:')) {
    db = new Kysely({ dialect: new SqliteDialect({ database: openSqliteDatabase({ kind: 'file', path: url.slice('sqlite:'.length) }) }) });
  } else {
    const opened = await openPostgresPool(parsePostgresUrl(url), silentLogger);
    schema = opened.schema;
    db = new Kysely({ dialect: new PostgresDialect({ pool: opened.pool }) });
  }
  const migrator = new Migrator({
    db, provider: { getMigrations: async () => BEFORE_0006 },
    migrationTableName: MIGRATION_TABLE, migrationLockTableName: MIGRATION_LOCK_TABLE, migrationTableSchema: schema,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
  return db;
}

export function oldEventRowsConformance(newUrl: () => string): void {
  it('migrates events stored as JSON before 0006 and reads them exactly, beside packed ones', async () => {
    const url = newUrl();
    const before = await storeBefore0006(url);
    await before.insertInto('events').values(oldEvents.map((event, i) => ({
      event_id: event.id, time: event.time, seq: i + 1, type: event.type, doc: JSON.stringify(event),
    }))).execute();
    // Older ones, more than one copy slice of them, sharing seq numbers (PostgreSQL never made seq unique).
    const filler = Array.from({ length: 1_100 }, (_, i) => ({ type: 'EXECUTOR_ADDED', id: `old-${i}`, time: T0 - 5_000 + i, metadata: { EXECUTOR_ID: `e-${i}` } }));
    for (let i = 0; i < filler.length; i += 100) {
      await before.insertInto('events').values(filler.slice(i, i + 100).map((event, j) => ({
        event_id: event.id, time: event.time, seq: url.startsWith('sqlite:') ? 10 + i + j : 10 + Math.floor((i + j) / 3), type: event.type, doc: JSON.stringify(event),
      }))).execute();
    }
    await before.destroy();

    const store = await openStore(url, { logger: silentLogger });
    try {
      expect((await store.listEvents({ types: ['EXECUTOR_ADDED'] })).map((event) => event.id).toSorted()).toEqual(filler.map((event) => event.id).toSorted());
      const read = await store.listEvents({ after: T0 });
      expect(read.map((event) => JSON.stringify(event))).toEqual(oldEvents.toReversed().map((event) => JSON.stringify(event)));

      const fresh: ClusterEvent = { type: 'TASK_STATE_CHANGE', id: 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff', time: T0 + 2, metadata: { APP_NAME: 'mem', TASK_ID: 't-2', CURRENT_STATE: 'PENDING' } };
      // Old ids, UUID or not, are still known: re-appending them changes nothing.
      await store.appendEvents([{ ...oldEvents[0], time: T0 + 9 }, { ...oldEvents[1], time: T0 + 9 }, fresh]);
      const ids = async (query: Parameters<typeof store.listEvents>[0]) => (await store.listEvents(query)).map((event) => event.id);
      // Appended after the old rows: newest first, the same millisecond in reverse append order.
      expect(await ids({ after: T0 })).toEqual([fresh.id, oldEvents[2].id, oldEvents[1].id, oldEvents[0].id]);
      expect(await ids({ types: ['TASK_STATE_CHANGE'], after: T0 + 1 })).toEqual([fresh.id, oldEvents[2].id]);
      expect(await ids({ types: ['OPERATION_STATE_CHANGE'] })).toEqual(['legacy-op']);
      expect(await store.pruneEvents(T0 + 2)).toBe(1 + filler.length);
      expect(await ids({})).toEqual([fresh.id, oldEvents[2].id, oldEvents[1].id]);
    } finally {
      await store.close();
    }
  });
}
