/**
 * Store throughput on the hot paths (task writes), printed as operations per second.
 *
 *   node bench/store.ts                      # SQLite in a temp file (WAL; STORE_DURABILITY=FULL|PROCESS, default FULL)
 *   node bench/store.ts postgres://postgres@127.0.0.1:5432/postgres
 *                                            # PostgreSQL, in a throwaway schema
 *   STORE_BENCH_N=20000 node bench/store.ts  # more records
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TaskRecord } from '../src/api/task-types.ts';
import { silentLogger } from '../src/common/logger.ts';
import { openStore } from '../src/controller/store/open-store.ts';
import type { Store } from '../src/controller/store/store.ts';

const N = Number(process.env.STORE_BENCH_N ?? 10_000);
const T0 = 1_700_000_000_000;

function task(i: number, prefix: string): TaskRecord {
  return {
    sourceAppName: 'bench', taskId: `${prefix}-${i}`, instanceId: `TI-${prefix}-${i}`,
    spec: {
      sourceAppName: 'bench', taskId: `${prefix}-${i}`, executable: { type: 'PROCESS', command: '/bin/true' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }], env: { A: '1' }, args: ['x'],
    },
    opSpec: { timeout: { count: 300, unit: 'seconds' }, parallelism: 1, failureStrategy: 'STOP' },
    executorId: `ex-${i % 10}`, hostname: 'host', resources: [{ type: 'CPU', cores: { '0': [1] } }, { type: 'MEMORY', memoryInMB: { '0': 64 } }],
    state: 'PENDING', errorMessage: '', metadata: {}, created: T0 + i, updated: T0 + i,
    events: [{ time: T0 + i, type: 'Received', message: 'accepted' }],
  };
}

async function measure(label: string, count: number, run: () => Promise<void>): Promise<void> {
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label.padEnd(44)} ${Math.round(count / seconds).toLocaleString('en-US').padStart(10)} /s   (${count} in ${(seconds * 1000).toFixed(0)} ms)`);
}

async function bench(store: Store): Promise<void> {
  const single = Array.from({ length: N }, (_, i) => task(i, 'single'));
  await measure('insertTask, one per call (autocommit)', N, async () => {
    for (const record of single) await store.insertTask(record);
  });
  const batched = Array.from({ length: N }, (_, i) => task(i, 'batch'));
  await measure('insertTasks, batches of 100', N, async () => {
    for (let i = 0; i < N; i += 100) await store.insertTasks(batched.slice(i, i + 100));
  });
  await measure('updateTask, one per call (autocommit)', N, async () => {
    for (const record of single) await store.updateTask({ ...record, state: 'RUNNING', updated: record.updated + 1 });
  });
  for (const size of [100, 1000]) {
    await measure(`updateTasks, batches of ${size}`, N, async () => {
      for (let i = 0; i < N; i += size) {
        await store.updateTasks(batched.slice(i, i + size).map((r) => ({ ...r, state: 'RUNNING', updated: r.updated + size })));
      }
    });
  }
  await measure('getTask', N, async () => {
    for (const record of single) await store.getTask(record.sourceAppName, record.taskId);
  });
  await measure('listTasks({ executorId }) (2N rows, 1/10 match)', 20, async () => {
    for (let i = 0; i < 20; i++) await store.listTasks({ executorId: `ex-${i % 10}` });
  });
  await measure('appendEvents, one per call', N, async () => {
    for (let i = 0; i < N; i++) await store.appendEvents([{ type: 'TASK_STATE_CHANGE', id: `ev-${i}`, time: T0 + i, metadata: { i } }]);
  });
}

const target = process.argv[2];
if (target?.startsWith('postgres')) {
  const schema = `bench_${process.pid}`;
  const store = await openStore(`${target}${target.includes('?') ? '&' : '?'}schema=${schema}`, { logger: silentLogger });
  console.log(`PostgreSQL (${target}), N=${N}`);
  try {
    await bench(store);
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  }
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-'));
  const store = await openStore(`sqlite:${path.join(dir, 'controller.db')}`, { logger: silentLogger, durability: process.env.STORE_DURABILITY === 'PROCESS' ? 'PROCESS' : 'FULL' });
  console.log(`SQLite (node:sqlite, WAL, synchronous=NORMAL), N=${N}`);
  try {
    await bench(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
