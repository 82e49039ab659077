/**
 * The instance upserts (apps' and local services'), compiled once per dialect and row count
 * (compiled-statements.ts): their SQL is the text Kysely builds for the same query at every row
 * count `chunks` produces, and on a real SQLite file and a real PostgreSQL schema every column
 * reads back as written, batch after batch, across slices and overwrites.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/api/app-types.ts';
import { silentLogger } from '../../src/common/logger.ts';
import {
  APP_INSTANCES, LOCAL_SERVICE_INSTANCES, instanceUpsert, type InstanceTableName,
} from '../../src/controller/store/instance-table-queries.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { openPostgresPool, parsePostgresUrl } from '../../src/controller/store/postgres/postgres-pool.ts';
import { openSqliteDatabase } from '../../src/controller/store/sqlite/sqlite-database.ts';
import type { Store } from '../../src/controller/store/store.ts';
import { chunks, ROWS_PER_STATEMENT } from '../../src/controller/store/store-rows.ts';
import type { InstanceTable, StoreDatabase } from '../../src/controller/store/store-tables.ts';
import { PostgresSchemas } from './postgres-schemas.ts';
import { T0, instanceRecord } from './store-records.ts';

type Db = Kysely<StoreDatabase>;

const schemas = new PostgresSchemas('compiledinst');
const dirs: string[] = [];
afterAll(async () => {
  await schemas.dropAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Every row count `chunks` cuts a batch into: the full slice and the powers of two below it. */
const SHAPES = [...new Set(Array.from({ length: ROWS_PER_STATEMENT }, (_, n) => chunks(new Array<number>(n + 1).fill(0)).map((slice) => slice.length)).flat())]
  .sort((a, b) => a - b);

/** A store on one engine, and a plain Kysely on the same database to compile and read with. */
interface Engine {
  store: Store;
  /** Closes the store (SQLite: before its file is opened again) and returns the plain Kysely. */
  raw(): Promise<Db>;
}

const engines: [string, () => Promise<Engine>][] = [
  ['sqlite', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-compiled-inst-'));
    dirs.push(dir);
    const file = path.join(dir, 'store.db');
    const store = await openStore(`sqlite:${file}`, { logger: silentLogger });
    return {
      store,
      raw: async () => {
        await store.close();
        return new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database: openSqliteDatabase({ kind: 'file', path: file }) }) });
      },
    };
  }],
  ['postgres', async () => {
    const url = schemas.url();
    const store = await openStore(url, { logger: silentLogger });
    return {
      store,
      raw: async () => {
        await store.close();
        const { pool } = await openPostgresPool(parsePostgresUrl(url), silentLogger);
        return new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
      },
    };
  }],
];

/** The query the upsert was before it was compiled once: built and compiled by Kysely per call. */
function kyselyUpsertSql(db: Db, name: InstanceTableName, count: number): string {
  const { table, owner } = name as { table: 'instances'; owner: 'app_id' };
  const rows = Array.from({ length: count }, (_, i) => ({
    [owner]: `owner-${i}`, instance_id: `I-${i}`, state: 'HEALTHY', executor_id: null, created: i, updated: i, doc: '{}',
  }) as InstanceTable);
  return db.insertInto(table).values(rows)
    .onConflict((oc) => oc.columns([owner, 'instance_id']).doUpdateSet((eb) => ({
      state: eb.ref('excluded.state'),
      executor_id: eb.ref('excluded.executor_id'),
      created: eb.ref('excluded.created'),
      updated: eb.ref('excluded.updated'),
      doc: eb.ref('excluded.doc'),
    })))
    .compile().sql;
}

/** `count` instances of `ownerCount` owners, each field varied so a value of another row would show. */
function records(count: number, ownerCount: number, version: number): InstanceRecord[] {
  return Array.from({ length: count }, (_, i) => instanceRecord({
    appId: `owner-${i % ownerCount}`,
    instanceId: `I-${String(i).padStart(4, '0')}`,
    executorId: i % 3 === 0 ? undefined : `ex-${i % 5}`,
    state: (['PENDING', 'PROVISIONING', 'HEALTHY', 'STOPPED'] as const)[(i + version) % 4],
    created: T0 + i,
    updated: T0 + 1_000_000 * version + i,
    errorMessage: version > 0 ? `v${version} of ${i}` : '',
  }));
}

interface ColumnsRead { owner: string; instanceId: string; state: string; executorId: string | null; created: number; updated: number; doc: unknown }

async function readColumns(db: Db, name: InstanceTableName): Promise<ColumnsRead[]> {
  const { table, owner } = name as { table: 'instances'; owner: 'app_id' };
  const rows = await db.selectFrom(table).selectAll().orderBy(owner).orderBy('instance_id').execute();
  return rows.map((row) => ({
    owner: row[owner], instanceId: row.instance_id, state: row.state, executorId: row.executor_id,
    created: Number(row.created), updated: Number(row.updated), doc: JSON.parse(row.doc),
  }));
}

function expectedColumns(expected: InstanceRecord[]): ColumnsRead[] {
  return expected
    .map((record) => ({
      owner: record.appId, instanceId: record.instanceId, state: record.state, executorId: record.executorId ?? null,
      created: record.created, updated: record.updated, doc: JSON.parse(JSON.stringify(record)),
    }))
    .sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.instanceId < b.instanceId ? -1 : 1));
}

const tables: [string, InstanceTableName][] = [['app instances', APP_INSTANCES], ['local service instances', LOCAL_SERVICE_INSTANCES]];

describe.each(engines)('compiled instance upserts on %s', (_engine, open) => {
  it.each(tables)('compile %s to the SQL Kysely builds, at every row count chunks produces', async (_label, name) => {
    const { raw } = await open();
    const db = await raw();
    try {
      expect(SHAPES).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, ROWS_PER_STATEMENT]);
      for (const count of SHAPES) expect(instanceUpsert(name).sql(db, count)).toBe(kyselyUpsertSql(db, name, count));
    } finally {
      await db.destroy();
    }
  });

  it.each(tables)('write %s batch after batch, and every column reads back exactly', async (_label, name) => {
    const { store, raw } = await open();
    const upsert = (batch: InstanceRecord[]) => (name === APP_INSTANCES ? store.upsertInstances(batch) : store.upsertLocalServiceInstances(batch));
    const list = (ownerId: string) => (name === APP_INSTANCES
      ? store.listInstances({ appId: ownerId })
      : store.listLocalServiceInstances({ serviceId: ownerId }));
    const first = records(3, 2, 0);
    await upsert(first);
    // Same shapes, other values (and one key twice in a batch: the last wins); a new row too.
    const second = records(3, 2, 1);
    await upsert([{ ...second[0], state: 'LOST' }, second[0], second[1], instanceRecord({ appId: 'owner-9', instanceId: 'I-new', executorId: undefined })]);
    const third = records(3, 2, 2);
    await upsert([third[2]]);
    // More than one statement's worth: several slices of several shapes in one transaction.
    const many = records(ROWS_PER_STATEMENT + 37, 7, 3);
    await upsert(many);

    const byKey = new Map<string, InstanceRecord>();
    for (const record of [...first, second[0], second[1], instanceRecord({ appId: 'owner-9', instanceId: 'I-new', executorId: undefined }), third[2], ...many]) {
      byKey.set(`${record.appId}/${record.instanceId}`, record);
    }
    const expected = [...byKey.values()];
    expect(await list('owner-9')).toEqual([instanceRecord({ appId: 'owner-9', instanceId: 'I-new', executorId: undefined })]);
    expect((await list('owner-1')).length).toBe(expected.filter((record) => record.appId === 'owner-1').length);

    const db = await raw();
    try {
      expect(await readColumns(db, name)).toEqual(expectedColumns(expected));
    } finally {
      await db.destroy();
    }
  });
});
