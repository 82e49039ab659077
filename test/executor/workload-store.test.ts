/**
 * The executor's workload journal on a real directory: urgent and lazy saves, forget,
 * restore after a "crash" (a second store on the same data dir, as a restarted agent would
 * open it), torn lines, compaction, and records left by older versions as state files.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newWorkloadRecord, type WorkloadRecord } from '../../src/executor/state/workload-record.ts';
import { JOURNAL_FILE, WorkloadStore } from '../../src/executor/state/workload-store.ts';
import { taskSpec } from './helpers/specs.ts';
import { eventually, tempDir } from './helpers/workload-fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
const stores: WorkloadStore[] = [];

function open(options: ConstructorParameters<typeof WorkloadStore>[2] = {}): WorkloadStore {
  const store = new WorkloadStore(dir, undefined, options);
  stores.push(store);
  return store;
}

function record(id: string, created = Date.now()): WorkloadRecord {
  return newWorkloadRecord({
    kind: 'task', instanceId: id, spec: taskSpec('/bin/true'), allocation: { numaNode: '0', cores: [0], memoryMB: 64 }, killTimeoutMs: 1_000, now: created,
  });
}

async function journalLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(path.join(dir, JOURNAL_FILE), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('corral-journal-'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await cleanup();
});

describe('workload journal', () => {
  it('appends urgent saves at once, coalesces lazy ones, and restores the newest version', async () => {
    const store = open({ lazyMs: 20 });
    await store.loadAll();
    const a = record('TI-a', 1);
    const b = record('TI-b', 2);
    await store.save(a, 'now');
    expect(await journalLines()).toEqual([{ save: expect.objectContaining({ instanceId: 'TI-a', state: 'PENDING' }) }]);
    // owner-only: records carry the workloads' env and instance tokens
    expect((await stat(path.join(dir, JOURNAL_FILE))).mode & 0o777).toBe(0o600);

    b.state = 'PROVISIONING';
    const first = store.save(b);
    b.state = 'STARTING';
    const second = store.save(b);
    expect((await journalLines()).length).toBe(1); // still waiting for company
    await Promise.all([first, second]);
    expect((await journalLines()).map((l) => (l.save as WorkloadRecord).state)).toEqual(['PENDING', 'STARTING']);

    a.state = 'RUNNING';
    await store.save(a, 'now');
    const restored = await open().loadAll();
    expect(restored.map((r) => [r.instanceId, r.state])).toEqual([['TI-a', 'RUNNING'], ['TI-b', 'STARTING']]);
  });

  it('forget drops the record and any pending save; the tombstones of a turn share one append', async () => {
    const store = open({ laterMs: 60_000 });
    await store.loadAll();
    const ids = ['TI-1', 'TI-2', 'TI-3'];
    for (const id of ids) await store.save(record(id), 'now');
    const late = record('TI-late');
    await store.save(late, 'now');
    late.state = 'STOPPED';
    const dropped = store.save(late, 'later');
    await Promise.all([...ids, 'TI-late'].map((id) => store.forget(id)));
    await dropped; // settled without writing
    await eventually(async () => (await journalLines()).some((l) => l.forget));
    const lines = await journalLines();
    expect(lines.filter((l) => l.forget).map((l) => l.forget)).toEqual([...ids, 'TI-late']);
    expect(lines.some((l) => (l.save as WorkloadRecord | undefined)?.state === 'STOPPED')).toBe(false);
    expect(await open().loadAll()).toEqual([]);
  });

  it('skips a torn last line and unreadable records instead of failing the restore', async () => {
    const store = open();
    await store.loadAll();
    await store.save(record('TI-ok'), 'now');
    await store.close();
    const file = path.join(dir, JOURNAL_FILE);
    await writeFile(file, `${await readFile(file, 'utf8')}{"save":{"version":99,"instanceId":"TI-x"}}\n{"save":{"instanceId":"TI-t`);
    const restored = await open().loadAll();
    expect(restored.map((r) => r.instanceId)).toEqual(['TI-ok']);
    // the restore rewrote the journal with the live records only
    expect((await journalLines()).map((l) => (l.save as WorkloadRecord).instanceId)).toEqual(['TI-ok']);
  });

  it('compacts the journal once it is mostly history', async () => {
    const store = open({ compactAfterBytes: 64 * 1024 });
    await store.loadAll();
    const keep = record('TI-keep');
    await store.save(keep, 'now');
    for (let i = 0; i < 200; i++) {
      const r = record(`TI-${i}`);
      await store.save(r, 'now');
      await store.forget(r.instanceId);
    }
    await store.flush();
    const size = (await stat(path.join(dir, JOURNAL_FILE))).size;
    expect(size).toBeLessThan(64 * 1024 + 8 * 1024);
    const restored = await open().loadAll();
    expect(restored.map((r) => r.instanceId)).toEqual(['TI-keep']);
  });

  it('moves state files of older versions into the journal', async () => {
    const old = record('TI-old', 5);
    old.state = 'RUNNING';
    const oldDir = path.join(dir, 'workloads', 'TI-old');
    await mkdir(oldDir, { recursive: true });
    await writeFile(path.join(oldDir, 'state.json'), JSON.stringify(old));
    await mkdir(path.join(dir, 'workloads', 'TI-bad'), { recursive: true });
    await writeFile(path.join(dir, 'workloads', 'TI-bad', 'state.json'), '{not json');

    await mkdir(path.join(dir, 'workloads', 'TI-forgotten', 'logs'), { recursive: true }); // older layout, long forgotten

    const store = open();
    const restored = await store.loadAll();
    expect(restored.map((r) => [r.instanceId, r.state])).toEqual([['TI-old', 'RUNNING']]);
    await expect(stat(path.join(oldDir, 'state.json'))).rejects.toThrow(/ENOENT/);
    // their logs stay where they were written
    expect(store.paths('TI-old').logDir).toBe(path.join(oldDir, 'logs'));
    expect(await store.findLogDir('TI-forgotten')).toBe(path.join(dir, 'workloads', 'TI-forgotten', 'logs'));
    expect(store.paths('TI-new').logDir).toBe(path.join(dir, 'workloads', 'TI-new'));
    expect(await store.findLogDir('TI-new')).toBeUndefined();
    await expect(stat(path.join(dir, 'workloads', 'TI-bad', 'state.json'))).resolves.toBeTruthy(); // left untouched
    expect((await open().loadAll()).map((r) => r.instanceId)).toEqual(['TI-old']);
  });

  it('cleans only directories of forgotten workloads that are old enough', async () => {
    const store = open();
    await store.loadAll();
    for (const id of ['TI-live', 'TI-gone']) await mkdir(store.paths(id).logDir, { recursive: true });
    await store.save(record('TI-live'), 'now');
    expect(await store.cleanForgotten(60_000, Date.now())).toBe(0);
    expect(await store.cleanForgotten(60_000, Date.now() + 120_000)).toBe(1);
    await expect(stat(store.paths('TI-gone').root)).rejects.toThrow(/ENOENT/);
    await expect(stat(store.paths('TI-live').root)).resolves.toBeTruthy();
  });

  it('writes nothing in memory-only mode', async () => {
    const store = open({ memoryOnly: true });
    expect(await store.loadAll()).toEqual([]);
    await store.save(record('TI-m'), 'now');
    await store.flush();
    await expect(stat(path.join(dir, JOURNAL_FILE))).rejects.toThrow(/ENOENT/);
  });
});
