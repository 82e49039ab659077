/**
 * Controller memory and storage holding 100,000 finished task records and 10,000 instances:
 * a real controller in its own process, a simulated fleet (mock driver) holding one app's
 * instances, and trivial tasks created through the API at a sustained rate. Prints the
 * controller's RSS and heap once everything is held (5 s after the load, and settled 30 s after it), after a restart that reloads it (and how
 * long the reload took), and the store's bytes per task, each beside its target.
 *
 *   npm run bench:memory -- [--tasks 100000] [--instances 10000] [--executors 100] [--rate 300] [--postgres]
 *       [--node-args=--heap-growing-percent=30]   (V8/Node flags for the controller, to try a heap policy)
 *
 * Targets: ≤ 256 MB RSS holding them (before and after a restart); a finished trivial task well
 * under 1 KB on disk. The cluster's event log (kept `eventRetention`, 1 h by default) is counted
 * apart: it is a window of recent history, not a cost that stays with each task.
 */
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { call, percentile, startBenchController, Targets } from './bench-cluster.ts';
import { startBenchFleet } from './bench-fleet.ts';
import { MIN_MEMORY_MB } from '../src/api/validation/container-schema.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    instances: { type: 'string', default: '10000' },
    executors: { type: 'string', default: '100' },
    rate: { type: 'string', default: '300' },
    postgres: { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
  },
});
const TASKS = Number(values.tasks);
const INSTANCES = Number(values.instances);
const EXECUTORS = Number(values.executors);
const RATE = Number(values.rate);

const opSpec = { timeout: '600s', parallelism: 512, failureStrategy: 'STOP' };
const appSpec = {
  name: 'mem', version: '1', type: 'SERVICE',
  executable: { type: 'PROCESS', command: '/bin/true' },
  exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
  healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '1 second', interval: '30 seconds', attempts: 3 },
  readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '1 second', interval: '20 ms', attempts: 50 },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (n: number) => `${n.toFixed(0)} MB`;

/** Resident memory by kind: V8's heap inside the anonymous mappings, the rest of them malloc's and stacks. */
function whereResident(maps: { brk: number; anon: number; file: number }, heap: { total: number; external: number }): string {
  return `resident: malloc main arena ${mb(maps.brk)}, anonymous ${mb(maps.anon)} (V8 heap ${mb(heap.total)}, so ~${mb(Math.max(0, maps.anon - heap.total))} other arenas, large mallocs and stacks), files ${mb(maps.file)}; external (buffers) ${mb(heap.external)}`;
}

const PER_APP = 2_000;
const APP_IDS = Array.from({ length: Math.ceil(INSTANCES / PER_APP) }, (_, i) => `mem${i}-1`);

async function healthyInstances(url: string): Promise<number> {
  const { body } = await call(`${url}/apis/v1/applications`);
  return (Object.values(body?.data ?? {}) as { healthyInstances?: number }[]).reduce((sum, a) => sum + Number(a.healthyInstances ?? 0), 0);
}

async function main(): Promise<void> {
  console.log(`corral memory benchmark: ${INSTANCES} instances on ${EXECUTORS} simulated executors, then ${TASKS} trivial tasks at ${RATE}/s (${values.postgres ? 'PostgreSQL' : 'SQLite'})`);
  const nodeArgs = values['node-args'].split(/\s+/).filter(Boolean);
  if (nodeArgs.length) console.log(`controller started with ${nodeArgs.join(' ')}`);
  const controller = await startBenchController({ postgres: values.postgres, nodeArgs });
  const fleet = await startBenchFleet(controller, EXECUTORS, { cores: Math.ceil((INSTANCES * 1.2) / EXECUTORS) + 8 });
  const targets = new Targets();
  try {
    const idleRss = controller.rssMb();
    // An app holds at most 2,048 instances (docs/apps.md): the instances are spread over apps of 2,000.
    const bodies = APP_IDS.flatMap((appId, i) => [
      { type: 'CREATE', spec: { ...appSpec, name: `mem${i}` }, instances: 0, opSpec },
      { type: 'SCALE', appId, requiredInstances: Math.min(PER_APP, INSTANCES - i * PER_APP), opSpec },
    ]);
    for (const body of bodies) {
      const reply = await call(`${controller.url}/apis/v1/applications/operations`, 'POST', body);
      if (reply.body?.status !== 'SUCCESS') throw new Error(`${body.type} refused: ${JSON.stringify(reply.body)}`);
    }
    const scaleStart = performance.now();
    while (await healthyInstances(controller.url) < INSTANCES) {
      if (performance.now() - scaleStart > 900_000) throw new Error('the instances did not all become HEALTHY within 15 minutes');
      await sleep(500);
    }
    const storeBefore = await controller.storeBytes();
    const withInstancesRss = controller.rssMb();

    // Open loop at RATE/s: one request every 1/RATE s, however long the previous ones take.
    const latencies: number[] = [];
    let refused = 0;
    let firstRefusal: string | undefined;
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    for (let i = 0; i < TASKS; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const sent = performance.now();
      const request = call(`${controller.url}/apis/v1/tasks/operations`, 'POST', {
        type: 'CREATE', opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
        spec: { sourceAppName: 'mem', taskId: `t-${i}`, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: MIN_MEMORY_MB }] },
      }).then(({ body }) => {
        latencies.push(performance.now() - sent);
        if (body?.status !== 'SUCCESS') {
          refused++;
          firstRefusal ??= JSON.stringify(body);
        }
      }, (error: unknown) => {
        refused++;
        firstRefusal ??= String(error);
      });
      inFlight.add(request);
      void request.then(() => inFlight.delete(request), () => undefined);
    }
    await Promise.all(inFlight);
    // Waiting below for refused tasks to stop would take an hour: say why they were refused instead.
    if (refused > 0) throw new Error(`${refused} of ${TASKS} task creates were refused; the first: ${firstRefusal}`);
    const submitSeconds = (performance.now() - started) / 1000;
    // Every task ended (mock tasks end at once): the newest ones are STOPPED.
    for (let i = Math.max(0, TASKS - 50); i < TASKS; i++) {
      for (let tries = 0; ; tries++) {
        const { body } = await call(`${controller.url}/apis/v1/tasks/mem/instances/t-${i}`);
        if (body?.data?.state === 'STOPPED' || tries > 600) break;
        await sleep(100);
      }
    }
    // Right after the load, and settled: V8 gives back the pages of a heap grown under load only
    // once its memory reducer sees the allocation rate fall (about 8 s of quiet, then a GC or
    // two), so both are printed; a long-running controller spends its life in the second.
    await sleep(5_000);
    const justAfterRss = controller.rssMb();
    const justAfterHeap = await controller.heapMb();
    await sleep(25_000);
    const heldRss = controller.rssMb();
    const heldHeap = await controller.heapMb();
    const heldMaps = controller.memoryMaps();
    const storeAfter = await controller.storeBytes();
    const reloadMs = await controller.restart();
    let reloadedMs = reloadMs;
    const reloadStart = performance.now();
    while (await healthyInstances(controller.url) < INSTANCES) {
      if (performance.now() - reloadStart > 120_000) throw new Error('the instances were not all HEALTHY again within 2 minutes of the restart');
      await sleep(100);
    }
    reloadedMs += performance.now() - reloadStart;
    const sample = await call(`${controller.url}/apis/v1/tasks/mem/instances/t-0`);
    if (sample.body?.data?.state !== 'STOPPED') throw new Error(`task t-0 after the restart: ${JSON.stringify(sample.body)}`);
    await sleep(5_000);
    const reloadedRss = controller.rssMb();
    const reloadedHeap = await controller.heapMb();
    const reloadedMaps = controller.memoryMaps();

    latencies.sort((a, b) => a - b);
    console.log('');
    console.log(`submitted ${TASKS} tasks in ${submitSeconds.toFixed(0)} s (${(TASKS / submitSeconds).toFixed(0)}/s), create p50 ${percentile(latencies, 50).toFixed(1)} ms p99 ${percentile(latencies, 99).toFixed(1)} ms, ${refused} refused`);
    console.log(`controller RSS: idle ${mb(idleRss)}, with ${INSTANCES} instances ${mb(withInstancesRss)}`);
    targets.check(`RSS holding ${TASKS} tasks + ${INSTANCES} instances`, mb(heldRss), heldRss <= 256, '≤ 256 MB');
    console.log(`  settled, 30 s after the load; 5 s after it: ${mb(justAfterRss)} (heap used ${mb(justAfterHeap.used)} of ${mb(justAfterHeap.total)})`);
    console.log(`  heap used ${mb(heldHeap.used)} of ${mb(heldHeap.total)}`);
    console.log(`  ${whereResident(heldMaps, heldHeap)}`);
    targets.check('RSS after a restart that reloads them', mb(reloadedRss), reloadedRss <= 256, '≤ 256 MB');
    console.log(`  ${whereResident(reloadedMaps, reloadedHeap)}`);
    console.log(`  heap used ${mb(reloadedHeap.used)} of ${mb(reloadedHeap.total)}; answering after ${reloadMs.toFixed(0)} ms, every instance HEALTHY again after ${reloadedMs.toFixed(0)} ms`);
    const perTask = (storeAfter - storeBefore) / TASKS;
    console.log(`store grew ${mb((storeAfter - storeBefore) / 1024 / 1024)} for ${TASKS} tasks: ${perTask.toFixed(0)} bytes per task, events included`);
    await controller.halt();
    if (!values.postgres) {
      const breakdown = tableBytes(controller.store.slice('sqlite:'.length));
      if (breakdown) {
        const records = (breakdown.get('tasks') ?? 0) + (breakdown.get('operations') ?? 0);
        const events = breakdown.get('events') ?? 0;
        targets.check('finished task on disk (task + operation rows)', `${(records / TASKS).toFixed(0)} B`, records / TASKS < 1024, '< 1 KB');
        const count = eventCount(controller.store.slice('sqlite:'.length));
        console.log(`  event log (kept 1 h, then pruned): ${(events / TASKS).toFixed(0)} bytes per task; ${count} events (${(count / TASKS).toFixed(1)} per task, instances' included), ${(events / count).toFixed(0)} bytes each`);
      }
    }
    targets.finish();
  } finally {
    await fleet.stop();
    await controller.stop().catch(() => undefined);
  }
}

function eventCount(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  const row = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
  db.close();
  return Number(row.n);
}

/** Bytes per table, its indexes included (SQLite's dbstat), or undefined when this SQLite lacks it. */
function tableBytes(file: string): Map<string, number> | undefined {
  try {
    const db = new DatabaseSync(file, { readOnly: true });
    const rows = db.prepare(`SELECT coalesce(m.tbl_name, d.name) AS owner, sum(d.pgsize) AS bytes FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY owner`).all() as { owner: string; bytes: number }[];
    db.close();
    return new Map(rows.map((r) => [r.owner, Number(r.bytes)]));
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
