/**
 * Statements compiled once and re-bound (compiled-statements.ts), on a real SQLite file and a
 * real PostgreSQL schema: the SQL is Kysely's own for the same query, each run writes its own
 * values (never the first run's), constants of the query survive, and rows read back exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { RowsStatement, StatementTemplate } from '../../src/controller/store/compiled-statements.ts';
import { openPostgresPool, parsePostgresUrl } from '../../src/controller/store/postgres/postgres-pool.ts';
import { openSqliteDatabase } from '../../src/controller/store/sqlite/sqlite-database.ts';
import type { StoreDatabase } from '../../src/controller/store/store-tables.ts';
import { PostgresSchemas } from './postgres-schemas.ts';

interface ThingTable {
  k: string;
  n: number;
  b: Uint8Array;
  s: string | null;
}
type TestDb = Kysely<{ things: ThingTable }>;
// The templates are typed for the store's tables; this test's table stands in for them.
const asStore = (db: TestDb) => db as unknown as Kysely<StoreDatabase>;
const things = (db: Kysely<StoreDatabase>) => db as unknown as TestDb;

const schemas = new PostgresSchemas('compiled');
const dirs: string[] = [];
afterAll(async () => {
  await schemas.dropAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const upsert = new RowsStatement<ThingTable>(['k', 'n', 'b', 's'], (db, rows) => things(db).insertInto('things').values(rows)
  .onConflict((oc) => oc.column('k').doUpdateSet((eb) => ({ n: eb.ref('excluded.n'), b: eb.ref('excluded.b'), s: eb.ref('excluded.s') }))));

/** A constant of the query itself (the `n >= 0`) sits among the slots. */
const rename = new StatementTemplate((db, _shape, slot) => things(db).updateTable('things').set({ s: slot(0) })
  .where('n', '>=', 0).where('k', '=', slot(1)));

const engines: [string, () => Promise<TestDb>][] = [
  ['sqlite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-compiled-'));
    dirs.push(dir);
    const db = new Kysely<{ things: ThingTable }>({ dialect: new SqliteDialect({ database: openSqliteDatabase({ kind: 'file', path: path.join(dir, 'store.db') }) }) });
    await sql`CREATE TABLE things (k text PRIMARY KEY, n bigint NOT NULL, b blob NOT NULL, s text)`.execute(db);
    return db;
  }],
  ['postgres', async () => {
    const { pool } = await openPostgresPool(parsePostgresUrl(schemas.url()), silentLogger);
    const db = new Kysely<{ things: ThingTable }>({ dialect: new PostgresDialect({ pool }) });
    await sql`CREATE TABLE things (k text PRIMARY KEY, n bigint NOT NULL, b bytea NOT NULL, s text)`.execute(db);
    return db;
  }],
];

const row = (k: string, n: number, s: string | null): ThingTable => ({ k, n, b: Uint8Array.from([n & 0xff, 0, 255]), s });

async function readBack(db: TestDb): Promise<ThingTable[]> {
  const rows = await db.selectFrom('things').selectAll().orderBy('k').execute();
  return rows.map((r) => ({ k: r.k, n: Number(r.n), b: Uint8Array.from(r.b), s: r.s }));
}

describe.each(engines)('compiled statements on %s', (engine, open) => {
  it('compile to the SQL Kysely builds for the same query, per row count', async () => {
    const db = await open();
    try {
      for (const count of [1, 2, 5]) {
        const rows = Array.from({ length: count }, (_, i) => row(`k${i}`, i, null));
        const own = db.insertInto('things').values(rows)
          .onConflict((oc) => oc.column('k').doUpdateSet((eb) => ({ n: eb.ref('excluded.n'), b: eb.ref('excluded.b'), s: eb.ref('excluded.s') })))
          .compile();
        expect(upsert.sql(asStore(db), count)).toBe(own.sql);
      }
    } finally {
      await db.destroy();
    }
  });

  it('compile a Kysely with plugins (a schema) on its own, not from the dialect’s cache', async () => {
    const db = await open();
    try {
      const plain = upsert.sql(asStore(db), 1);
      const schema = engine === 'sqlite' ? 'main' : 'public';
      const scoped = upsert.sql(asStore(db.withSchema(schema)), 1);
      expect(plain).not.toContain(`"${schema}"`);
      expect(scoped).toContain(`"${schema}"."things"`);
    } finally {
      await db.destroy();
    }
  });

  it('write each run’s own values, and the rows read back exactly', async () => {
    const db = await open();
    try {
      await upsert.run(asStore(db), [row('a', 1, 'one'), row('b', 2, null)]);
      // Same shape, other values: nothing of the first run may stick.
      await upsert.run(asStore(db), [row('c', 3, null), row('a', 10, 'ten')]);
      await upsert.run(asStore(db), [row('b', 1_700_000_000_123, 'big')]);
      expect(await readBack(db)).toEqual([row('a', 10, 'ten'), row('b', 1_700_000_000_123, 'big'), row('c', 3, null)]);
    } finally {
      await db.destroy();
    }
  });

  it('keep the query’s own constants between the values, and report the rows changed', async () => {
    const db = await open();
    try {
      await upsert.run(asStore(db), [row('a', 1, null), row('b', 2, null)]);
      expect((await rename.run(asStore(db), 1, ['renamed', 'b'])).numAffectedRows).toBe(1n);
      expect((await rename.run(asStore(db), 1, ['x', 'missing'])).numAffectedRows).toBe(0n);
      expect((await readBack(db)).map((r) => r.s)).toEqual([null, 'renamed']);
    } finally {
      await db.destroy();
    }
  });
});
