/**
 * Placements across a simulated fleet: a real controller in its own process, 1,000 simulated
 * executors (real agents on real channels, mock driver), and (1) one app scaled 0 → 10,000,
 * (2) 100 apps scaled 0 → 100 each at once — instances per second until every one is HEALTHY
 * (an app's running state) in the controller's view, polled from its API.
 *
 *   npm run bench:placement -- [--executors 1000] [--instances 10000] [--apps 100] [--parallelism 512] [--fleet-processes 1] [--postgres]
 *
 * Target: ≥ 5,000 instances/s (Nomad's C1M placed 3,750/s with 5 servers).
 */
import { parseArgs } from 'node:util';
import { MAX_INSTANCES } from '../src/api/validation/instance-limits.ts';
import { call, cpuDemand, startBenchController, Targets } from './bench-cluster.ts';
import { startBenchFleet } from './bench-fleet.ts';

const { values } = parseArgs({
  options: {
    executors: { type: 'string', default: '1000' },
    instances: { type: 'string', default: '10000' },
    apps: { type: 'string', default: '100' },
    parallelism: { type: 'string', default: '512' },
    // How many `corral sim` processes carry the fleet (bench/bench-fleet.ts).
    'fleet-processes': { type: 'string', default: '1' },
    postgres: { type: 'boolean', default: false },
    // The SQLite store's durability (docs/operations.md): FULL fsyncs every commit, PROCESS only at checkpoints.
    durability: { type: 'string', default: 'FULL' },
    // Writes a V8 CPU profile of the controller into this directory when it stops.
    profile: { type: 'string' },
  },
});
const EXECUTORS = Number(values.executors);
const INSTANCES = Number(values.instances);
const APPS = Number(values.apps);
const PARALLELISM = Number(values.parallelism);
const TARGET = 5_000;
const ONE_APP = Math.min(INSTANCES, MAX_INSTANCES);

const check = { mode: { type: 'CMD', command: 'true' }, timeout: '1 second', interval: '20 ms', attempts: 50 };
const spec = (name: string) => ({
  name, version: '1', type: 'SERVICE',
  executable: { type: 'PROCESS', command: '/bin/true' },
  exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
  readiness: check,
  // Health is checked rarely: the benchmark is about placing, not about 10,000 checks a second.
  healthcheck: { ...check, interval: '60 seconds' },
});

async function submit(body: unknown): Promise<void> {
  const { body: reply } = await call(`${url}/apis/v1/applications/operations`, 'POST', body);
  if (reply?.status !== 'SUCCESS') throw new Error(`refused: ${JSON.stringify(reply)}`);
}

async function healthy(appIds: string[]): Promise<number> {
  const { body } = await call(`${url}/apis/v1/applications`);
  const apps = Object.values(body?.data ?? {}) as { id: string; healthyInstances: number }[];
  const wanted = new Set(appIds);
  return apps.filter((a) => wanted.has(a.id)).reduce((sum, a) => sum + Number(a.healthyInstances ?? 0), 0);
}

/** Submits `scales` at once; resolves with the seconds until `total` instances of `appIds` are HEALTHY. */
async function timed(appIds: string[], scales: unknown[], total: number): Promise<number> {
  const started = performance.now();
  await Promise.all(scales.map(submit));
  for (;;) {
    if (await healthy(appIds) >= total) return (performance.now() - started) / 1000;
    if (performance.now() - started > 600_000) throw new Error(`not all ${total} instances HEALTHY within 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let url = '';

async function main(): Promise<void> {
  console.log(`corral placement benchmark: ${EXECUTORS} simulated executors; 1 app × ${ONE_APP}, then ${APPS} apps × ${INSTANCES / APPS} (parallelism ${PARALLELISM}; ${values.postgres ? 'PostgreSQL' : 'SQLite'})`);
  const controller = await startBenchController({
    postgres: values.postgres, config: { storeDurability: values.durability === 'PROCESS' ? 'PROCESS' : 'FULL' }, nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
  });
  url = controller.url;
  const perExecutor = Math.ceil((2 * INSTANCES) / EXECUTORS) + 4;
  const fleetStart = performance.now();
  const fleet = await startBenchFleet(controller, EXECUTORS, { cores: perExecutor, processes: Number(values['fleet-processes']) });
  console.log(`fleet of ${EXECUTORS} registered in ${((performance.now() - fleetStart) / 1000).toFixed(1)} s`);
  const targets = new Targets();
  try {
    const opSpec = { timeout: '600s', parallelism: PARALLELISM, failureStrategy: 'STOP' };
    await submit({ type: 'CREATE', spec: spec('one'), instances: 0, opSpec });
    const cpuBefore = controller.cpuMs();
    const oneSeconds = await timed(['one-1'], [{ type: 'SCALE', appId: 'one-1', requiredInstances: ONE_APP, opSpec }], ONE_APP);
    const oneCpu = controller.cpuMs() - cpuBefore;
    const perApp = Math.floor(INSTANCES / APPS);
    const names = Array.from({ length: APPS }, (_, i) => `many${i}`);
    for (const name of names) await submit({ type: 'CREATE', spec: spec(name), instances: 0, opSpec: { ...opSpec, parallelism: Math.min(PARALLELISM, perApp) } });
    const cpuBeforeMany = controller.cpuMs();
    const manySeconds = await timed(names.map((n) => `${n}-1`), names.map((n) => ({
      type: 'SCALE', appId: `${n}-1`, requiredInstances: perApp, opSpec: { ...opSpec, parallelism: Math.min(PARALLELISM, perApp) },
    })), perApp * APPS);
    const manyCpu = controller.cpuMs() - cpuBeforeMany;
    if (values.profile) console.log(`controller CPU profile: ${values.profile}`);

    console.log('');
    const rate = (n: number, s: number) => n / s;
    targets.check(`1 app × ${ONE_APP} to HEALTHY`, `${rate(ONE_APP, oneSeconds).toFixed(0)} /s`, rate(ONE_APP, oneSeconds) >= TARGET, `≥ ${TARGET}/s`,
      cpuDemand('controller', oneCpu / ONE_APP, TARGET, 'instance'));
    console.log(`  ${oneSeconds.toFixed(1)} s; controller CPU ${(oneCpu / ONE_APP).toFixed(2)} ms per instance${ONE_APP < INSTANCES ? ` (an app holds at most ${MAX_INSTANCES} instances: docs/apps.md)` : ''}`);
    targets.check(`${APPS} apps × ${perApp} to HEALTHY`, `${rate(perApp * APPS, manySeconds).toFixed(0)} /s`, rate(perApp * APPS, manySeconds) >= TARGET, `≥ ${TARGET}/s`,
      cpuDemand('controller', manyCpu / (perApp * APPS), TARGET, 'instance'));
    console.log(`  ${manySeconds.toFixed(1)} s; controller CPU ${(manyCpu / (perApp * APPS)).toFixed(2)} ms per instance`);
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
