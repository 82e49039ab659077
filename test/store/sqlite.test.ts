/** The conformance suite on the embedded adapter (a fresh temp SQLite file, WAL, per test), plus SQLite-only checks. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/controller/store/open-store.ts';
import { openSqliteDatabase } from '../../src/controller/store/sqlite/sqlite-database.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { STORE_MIGRATIONS } from '../../src/controller/store/migrations/migration-provider.ts';
import { oldEventRowsConformance } from './old-event-rows.ts';
import { storeConformance } from './store-conformance.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'corral-store-'));
let n = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

storeConformance('sqlite', () => openStore(`sqlite:${path.join(dir, `db-${n++}`, 'controller.db')}`, { logger: silentLogger }));

describe('SQLite migrations', () => {
  oldEventRowsConformance(() => `sqlite:${path.join(dir, `old-events-${n++}`, 'controller.db')}`);

  it('refuses a database migrated by a newer corral, naming the unknown migration', async () => {
    const file = path.join(dir, 'future', 'controller.db');
    const store = await openStore(`sqlite:${file}`, { logger: silentLogger });
    await store.close();
    // Pretend a later version applied 0999; the lock is free again after close().
    const raw = new DatabaseSync(file);
    raw.prepare('INSERT INTO corral_migration (name, timestamp) VALUES (?, ?)').run('0999-future', new Date().toISOString());
    raw.close();
    await expect(openStore(`sqlite:${file}`, { logger: silentLogger })).rejects.toThrow(
      /was migrated by a newer corral \(unknown migrations: 0999-future\)/,
    );
    // The failed open released the file: another attempt gets the same answer, not a lock error.
    await expect(openStore(`sqlite:${file}`, { logger: silentLogger })).rejects.toThrow(/newer corral/);
  });

  it('records applied migrations in the corral_migration table', async () => {
    const file = path.join(dir, 'recorded', 'controller.db');
    await (await openStore(`sqlite:${file}`, { logger: silentLogger })).close();
    await (await openStore(`sqlite:${file}`, { logger: silentLogger })).close();
    const raw = new DatabaseSync(file);
    const rows = raw.prepare('SELECT name FROM corral_migration ORDER BY name').all();
    raw.close();
    expect(rows.map((row) => row.name)).toEqual(Object.keys(STORE_MIGRATIONS).sort());
  });
});

describe('SQLite durability', () => {
  it('fsyncs every commit by default (synchronous=FULL) and only at checkpoints with durability PROCESS', () => {
    const synchronous = (durability?: 'FULL' | 'PROCESS') => {
      const db = openSqliteDatabase({ kind: 'file', path: path.join(dir, `sync-${durability ?? 'default'}`, 'controller.db') }, { durability });
      try {
        return db.prepare('PRAGMA synchronous').all([]) as { synchronous: number }[];
      } finally {
        db.close();
      }
    };
    // SQLite: 1 = NORMAL, 2 = FULL.
    expect(synchronous()).toEqual([{ synchronous: 2 }]);
    expect(synchronous('FULL')).toEqual([{ synchronous: 2 }]);
    expect(synchronous('PROCESS')).toEqual([{ synchronous: 1 }]);
  });
});
