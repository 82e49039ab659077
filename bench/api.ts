/**
 * API latency under load: a real controller in its own process holding a loaded cluster (1,000
 * simulated executors, 10,000 instances), then an open-loop client at fixed rates — reads at
 * 5,000 req/s (app summaries, specs, executor details, the cluster summary), then mutating
 * requests at 500 ops/s (task CREATEs, each a persisted operation). Latency counts from when a
 * request was due, not when it was sent, so a stalled controller cannot hide its backlog
 * (coordinated omission). A request-per-schedule loop rather than autocannon: autocannon's
 * `overallRate` sends in bursts with many connections, which measures the bursts.
 *
 *   npm run bench:api -- [--executors 1000] [--instances 10000] [--seconds 20] [--read-rate 5000]
 *       [--write-rate 500] [--postgres] [--profile DIR]
 *
 * Targets: mutating p99 ≤ 50 ms at 500 ops/s; reads p99 ≤ 20 ms at 5,000 req/s.
 */
import { parseArgs } from 'node:util';
import { MIN_MEMORY_MB } from '../src/api/validation/container-schema.ts';
import { call, cpuDemand, percentile, startBenchController, Targets } from './bench-cluster.ts';
import { startBenchFleet } from './bench-fleet.ts';
import { machineBusyShare, machineCpuTicks } from './proc-cpu.ts';

const { values } = parseArgs({
  options: {
    executors: { type: 'string', default: '1000' },
    instances: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '20' },
    'read-rate': { type: 'string', default: '5000' },
    'write-rate': { type: 'string', default: '500' },
    postgres: { type: 'boolean', default: false },
    // Writes a V8 CPU profile of the controller into this directory when it stops.
    profile: { type: 'string' },
  },
});
const EXECUTORS = Number(values.executors);
const INSTANCES = Number(values.instances);
const SECONDS = Number(values.seconds);
const PER_APP = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  latencies: number[];
  errors: number;
  /** Requests answered per second, the drain of a backlog included (the served rate when the controller saturates). */
  achieved: number;
  /** Controller CPU (ms) per request over the run. */
  cpuPerRequest: number;
  /** Share of the machine's cores busy over the run (0–1), everything on it included. */
  machineBusy: number;
  /** The three seconds of the run whose requests waited longest, worst first. */
  worstSeconds: string;
}

/** Issues `request(i)` at `rate`/s for SECONDS, open loop; latency from each request's due time. */
async function fixedRate(rate: number, cpuMs: () => number, request: (i: number) => Promise<boolean>): Promise<Run> {
  const cpuBefore = cpuMs();
  const machineBefore = machineCpuTicks();
  const latencies: number[] = [];
  /** The worst latency of the requests due in each second of the run: where in time a tail sits. */
  const worstBySecond = new Array<number>(SECONDS).fill(0);
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const total = rate * SECONDS;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const dueAt = started + (sent * 1000) / rate;
      const second = Math.floor(sent / rate);
      const p = request(sent).then((ok) => {
        const latency = performance.now() - dueAt;
        latencies.push(latency);
        worstBySecond[second] = Math.max(worstBySecond[second], latency);
        if (!ok) errors++;
      }, () => {
        errors++;
      }).then(() => {
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return {
    latencies: latencies.sort((a, b) => a - b), errors, achieved: total / ((performance.now() - started) / 1000),
    cpuPerRequest: (cpuMs() - cpuBefore) / total,
    machineBusy: machineBusyShare(machineBefore, machineCpuTicks()),
    worstSeconds: worstBySecond.map((ms, second) => ({ second, ms })).sort((a, b) => b.ms - a.ms).slice(0, 3)
      .map(({ second, ms }) => `${ms.toFixed(0)} ms for requests due in second ${second}`).join(', '),
  };
}

async function main(): Promise<void> {
  console.log(`corral API benchmark: ${EXECUTORS} simulated executors, ${INSTANCES} instances; reads at ${values['read-rate']}/s, writes at ${values['write-rate']}/s, ${SECONDS} s each (${values.postgres ? 'PostgreSQL' : 'SQLite'})`);
  const controller = await startBenchController({ postgres: values.postgres, nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [] });
  const fleet = await startBenchFleet(controller, EXECUTORS, { cores: Math.ceil((1.5 * INSTANCES) / EXECUTORS) + 4 });
  const targets = new Targets();
  const url = controller.url;
  try {
    const check = { mode: { type: 'CMD', command: 'true' }, timeout: '1 second', interval: '20 ms', attempts: 50 };
    const opSpec = { timeout: '600s', parallelism: 512, failureStrategy: 'STOP' };
    const appIds = Array.from({ length: Math.ceil(INSTANCES / PER_APP) }, (_, i) => `api${i}-1`);
    for (const [i, appId] of appIds.entries()) {
      const spec = {
        name: `api${i}`, version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: '/bin/true' },
        exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
        resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
        readiness: check, healthcheck: { ...check, interval: '60 seconds' },
      };
      for (const body of [{ type: 'CREATE', spec, instances: 0, opSpec }, { type: 'SCALE', appId, requiredInstances: Math.min(PER_APP, INSTANCES - i * PER_APP), opSpec }]) {
        const reply = await call(`${url}/apis/v1/applications/operations`, 'POST', body);
        if (reply.body?.status !== 'SUCCESS') throw new Error(`${body.type} refused: ${JSON.stringify(reply.body)}`);
      }
    }
    const loading = performance.now();
    for (;;) {
      const { body } = await call(`${url}/apis/v1/applications`);
      const healthy = (Object.values(body?.data ?? {}) as { healthyInstances?: number }[]).reduce((s, a) => s + Number(a.healthyInstances ?? 0), 0);
      if (healthy >= INSTANCES) break;
      if (performance.now() - loading > 900_000) throw new Error('the instances did not all become HEALTHY');
      await sleep(500);
    }
    const executorIds = await fleet.executorIds('up');
    const reads = [
      (i: number) => `${url}/apis/v1/applications/${appIds[i % appIds.length]}`,
      (i: number) => `${url}/apis/v1/applications/${appIds[i % appIds.length]}/spec`,
      (i: number) => `${url}/apis/v1/cluster/executors/${executorIds[i % executorIds.length]}`,
      () => `${url}/apis/v1/cluster`,
    ];
    const readRun = await fixedRate(Number(values['read-rate']), () => controller.cpuMs(), async (i) => (await call(reads[i % reads.length](i))).status === 200);
    const writeRun = await fixedRate(Number(values['write-rate']), () => controller.cpuMs(), async (i) => {
      const { body } = await call(`${url}/apis/v1/tasks/operations`, 'POST', {
        type: 'CREATE', opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
        spec: { sourceAppName: 'api', taskId: `t-${i}`, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: MIN_MEMORY_MB }] },
      });
      return body?.status === 'SUCCESS';
    });

    console.log('');
    const report = (label: string, run: Run, target: number, rate: number) => {
      const p99 = percentile(run.latencies, 99);
      targets.check(`${label} (p50 ${percentile(run.latencies, 50).toFixed(1)} ms, max ${run.latencies[run.latencies.length - 1].toFixed(0)} ms)`, `p99 ${p99.toFixed(1)} ms`, p99 <= target && run.errors === 0, `≤ ${target} ms`,
        run.errors > 0 ? `${run.errors} requests failed` : `${cpuDemand('controller', run.cpuPerRequest, rate, 'request')}; `
          + `the machine's cores were ${(run.machineBusy * 100).toFixed(0)} % busy during the run (controller, fleet and this client), so any stall leaves a backlog drained only at the margin left`);
      console.log(`  served ${run.achieved.toFixed(0)}/s, ${run.errors} errors, controller CPU ${run.cpuPerRequest.toFixed(3)} ms per request`);
      console.log(`  slowest: ${run.worstSeconds}`);
    };
    report(`reads at ${values['read-rate']}/s`, readRun, 20, Number(values['read-rate']));
    report(`task CREATEs at ${values['write-rate']}/s`, writeRun, 50, Number(values['write-rate']));
    targets.finish();
  } finally {
    await fleet.stop();
    await controller.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
