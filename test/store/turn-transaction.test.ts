/**
 * SQLite: the writes of one turn of the event loop share one transaction (one commit, one
 * fsync), and a write that fails in it rejects alone while the others are stored. Commits are
 * counted in the real database's write-ahead log (the store holds the database exclusively, so
 * no second connection can watch): each commit ends with a frame that carries the database size.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import { DuplicateRecordError, type Store } from '../../src/controller/store/store.ts';
import { executorRecord, taskRecord } from './store-records.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'corral-turn-'));
let n = 0;
let store: Store;
let wal = '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  const file = path.join(dir, `db-${n++}`, 'controller.db');
  store = await openStore(`sqlite:${file}`, { logger: silentLogger });
  wal = `${file}-wal`;
});
afterEach(async () => {
  await store.close();
});

/**
 * Commit frames in the WAL (its format: sqlite.org/fileformat2.html#walformat): a 32-byte header
 * (page size at 8, salts at 16 and 20), then frames of a 24-byte header and a page; a frame whose
 * second word (database size after the commit) is not zero ends a commit. Frames whose salts
 * differ from the header's are left over from before the last reset and do not count.
 */
function commits(): number {
  const bytes = readFileSync(wal);
  const pageSize = bytes.readUInt32BE(8);
  const salts = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  let count = 0;
  for (let at = 32; at + 24 + pageSize <= bytes.length; at += 24 + pageSize) {
    if (bytes.readUInt32BE(at + 8) !== salts[0] || bytes.readUInt32BE(at + 12) !== salts[1]) break;
    if (bytes.readUInt32BE(at + 4) !== 0) count++;
  }
  return count;
}

describe('SQLite writes of one turn', () => {
  it('share one commit', async () => {
    const before = commits();
    await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => store.insertTask(taskRecord({ taskId: `t-${i}`, instanceId: `TI-${i}` }))),
      ...Array.from({ length: 10 }, (_, i) => store.upsertExecutor(executorRecord({ executorId: `e-${i}` }))),
    ]);
    expect(commits() - before).toBe(1);
    expect(await store.listExecutors()).toHaveLength(10);
    expect((await store.listTasks({})).map((t) => t.taskId).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `t-${i}`).sort());
    // Writes asked for in later turns make commits of their own.
    await store.upsertExecutor(executorRecord({ executorId: 'e-late' }));
    await store.upsertExecutor(executorRecord({ executorId: 'e-later' }));
    expect(commits() - before).toBe(3);
  });

  it('a write that fails rejects alone; the others of its turn are stored', async () => {
    await store.insertTask(taskRecord({ taskId: 'taken', instanceId: 'TI-taken' }));
    const outcomes = await Promise.allSettled([
      store.upsertExecutor(executorRecord({ executorId: 'e-1' })),
      store.insertTask(taskRecord({ taskId: 'taken', instanceId: 'TI-again' })),
      store.insertTask(taskRecord({ taskId: 'fresh', instanceId: 'TI-fresh' })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateRecordError);
    expect((await store.listExecutors()).map((e) => e.executorId)).toEqual(['e-1']);
    expect((await store.listTasks({})).map((t) => t.taskId).sort()).toEqual(['fresh', 'taken']);
  });
});
