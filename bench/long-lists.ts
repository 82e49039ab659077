/**
 * Long lists: 1,000,000 finished task records in the store (written straight through the store,
 * as a controller would have over days), then a real controller in its own process on it:
 * reads stay fast (a task by id, the active list, the operations page — all indexed, none
 * loads the finished million), and the retention sweep deletes the million without stalling the
 * event loop (a ping every 5 ms during the sweep; its p99 and max, and the controller's own
 * event-loop delay p99).
 *
 *   npm run bench:long-lists -- [--tasks 1000000] [--postgres]
 *
 * Targets: reads p99 ≤ 20 ms (the API read target); event-loop delay p99 ≤ 50 ms during the sweep.
 */
import { parseArgs } from 'node:util';
import type { TaskRecord } from '../src/api/task-types.ts';
import { openStore } from '../src/controller/store/open-store.ts';
import { call, percentile, startBenchController, Targets } from './bench-cluster.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000000' },
    postgres: { type: 'boolean', default: false },
  },
});
const N = Number(values.tasks);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The i-th finished record: each ended a millisecond after the one before it, over the hour before
 * the run, as tasks end one after another. (Records sharing one `updated` value are deleted
 * together, so a thousand to a millisecond would make the sweep's smallest batch a thousand rows.)
 */
function finished(i: number, now: number): TaskRecord {
  const taskId = `t-${i}`;
  return {
    sourceAppName: `app-${i % 100}`, taskId, instanceId: `TI-${i}`,
    spec: { sourceAppName: `app-${i % 100}`, taskId, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 1 }] },
    opSpec: { timeout: { count: 60, unit: 'seconds' }, parallelism: 1, failureStrategy: 'STOP' },
    hostname: 'host-1', executorId: 'ex-1', resources: [{ type: 'CPU', cores: { '0': [1] } }, { type: 'MEMORY', memoryInMB: { '0': 1 } }],
    state: 'STOPPED', errorMessage: '', metadata: {}, created: now - 3_600_000 - N + i, updated: now - 3_600_000 - N + i, createdBy: 'admin',
    events: [{ time: now, type: 'Terminated', message: 'Exit code 0' }], taskResult: { status: 'SUCCESSFUL', exitCode: 0 },
  } as TaskRecord;
}

async function timedReads(label: string, path: () => string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { status } = await call(path());
    times.push(performance.now() - started);
    if (status !== 200) throw new Error(`${label}: HTTP ${status}`);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  console.log(`corral long-lists benchmark: ${N} finished task records (${values.postgres ? 'PostgreSQL' : 'SQLite'})`);
  const controller = await startBenchController({ postgres: values.postgres });
  const targets = new Targets();
  try {
    await controller.halt();
    const store = await openStore(controller.store);
    const now = Date.now();
    const filling = performance.now();
    for (let i = 0; i < N; i += 500) await store.insertTasks(Array.from({ length: Math.min(500, N - i) }, (_, j) => finished(i + j, now)));
    await store.close();
    console.log(`wrote ${N} records in ${((performance.now() - filling) / 1000).toFixed(0)} s; store ${(await controller.storeBytes() / 1024 / 1024).toFixed(0)} MB`);

    const startMs = await controller.restart();
    console.log(`controller answering ${startMs.toFixed(0)} ms after start, RSS ${controller.rssMb().toFixed(0)} MB`);
    const byId = await timedReads('task by id', () => { const i = Math.floor(Math.random() * N); return `${controller.url}/apis/v1/tasks/app-${i % 100}/instances/t-${i}`; }, 1000);
    const active = await timedReads('active tasks', () => `${controller.url}/apis/v1/tasks`, 200);
    const ops = await timedReads('operations page', () => `${controller.url}/apis/v1/operations?size=50`, 200);
    const events = await timedReads('events', () => `${controller.url}/apis/v1/cluster/events?size=100`, 200);

    // Retention 1 minute: the restarted controller's first sweep finds the whole million expired.
    const pings: number[] = [];
    await controller.restart({ taskRetentionMs: 60_000 });
    const sweepStart = performance.now();
    let last = `${controller.url}/apis/v1/tasks/app-${(N - 1) % 100}/instances/t-${N - 1}`;
    for (;;) {
      const started = performance.now();
      await call(`${controller.url}/apis/v1/ping`);
      pings.push(performance.now() - started);
      // An unknown task id is answered 200 with status FAILED, as Drove does (docs/api.md).
      if (pings.length % 50 === 0 && (await call(last)).body?.status === 'FAILED') break;
      if (performance.now() - sweepStart > 900_000) throw new Error('the sweep did not finish within 15 minutes');
      await sleep(5);
    }
    const sweepSeconds = (performance.now() - sweepStart) / 1000;
    last = '';
    const metrics = await (await fetch(`${controller.url}/metrics`, { headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } })).text();
    const loopP99 = Number(/^corral_nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN) * 1000;
    const loopMax = Number(/^corral_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN) * 1000;
    pings.sort((a, b) => a - b);

    console.log('');
    const read = (label: string, times: number[]) => targets.check(`${label} (p50 ${percentile(times, 50).toFixed(1)} ms)`, `p99 ${percentile(times, 99).toFixed(1)} ms`, percentile(times, 99) <= 20, '≤ 20 ms');
    read('GET a task by id', byId);
    read('GET /apis/v1/tasks (active)', active);
    read('GET /apis/v1/operations?size=50', ops);
    read('GET /apis/v1/cluster/events?size=100', events);
    console.log(`retention sweep of ${N} records: ${sweepSeconds.toFixed(1)} s`);
    targets.check('  ping during the sweep', `p99 ${percentile(pings, 99).toFixed(1)} ms`, percentile(pings, 99) <= 50, '≤ 50 ms');
    console.log(`  ping max ${pings[pings.length - 1].toFixed(1)} ms over ${pings.length} pings`);
    targets.check('  controller event-loop delay', `p99 ${loopP99.toFixed(1)} ms`, loopP99 <= 50, '≤ 50 ms');
    console.log(`  event-loop delay max ${loopMax.toFixed(1)} ms`);
    targets.finish();
  } finally {
    await controller.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
