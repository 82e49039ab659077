/**
 * What confining host processes costs: N `/bin/true` workloads started, waited for and destroyed
 * through the process driver (spawn helper, shared exit log — the agent's mode), once without
 * confinement and once in a cgroup each (this host's real cgroups: made, limited, joined before
 * exec, removed), at a given concurrency. Prints workloads/s and the mean cost per workload.
 * Each confined workload is pinned to one CPU, taken in turn: on a busy machine part of the
 * difference is waiting for that CPU rather than taking any free one — pinning's own price.
 *
 *   npm run bench:confinement -- --workloads 500 --concurrency 8
 *
 * Needs writable cgroups (root on a cgroup v1 or v2 host); without them only the unconfined
 * figure is printed, with the reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { WorkloadStartSpec } from '../src/executor/drivers/driver.ts';
import type { Confinement } from '../src/executor/drivers/process/process-confinement.ts';
import { ProcessDriver } from '../src/executor/drivers/process/process-driver.ts';
import { openCgroups } from '../src/executor/host/cgroups/open-cgroups.ts';
import { readHostTopology } from '../src/executor/host/host-topology.ts';
import { hostPlacement, planResources } from '../src/executor/host/resource-plan.ts';
import { pool } from './bench-jobs.ts';

const { values } = parseArgs({ options: { workloads: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '8' } } });
const count = Number(values.workloads);
const concurrency = Number(values.concurrency);
const root = mkdtempSync(path.join(tmpdir(), 'corral-bench-confinement-'));
const never = new AbortController().signal;

let next = 0;
/** Workloads take the offered CPUs in turn, as placement spreads them. */
function spec(cpus: number[]): WorkloadStartSpec {
  const instanceId = `TI-${randomUUID()}`;
  const logDir = path.join(root, 'workloads', instanceId);
  return {
    kind: 'task', instanceId, ownerId: 'bench', executable: { type: 'PROCESS', command: '/bin/true' }, args: [], env: {},
    workDir: path.join(logDir, 'work'), logDir, configFiles: [], allocation: { numaNode: '0', cores: [cpus[next++ % cpus.length]], memoryMB: 64 }, ports: [], volumes: [], labels: {},
  };
}

async function run(label: string, confinement: Confinement): Promise<void> {
  const dataDir = path.join(root, label);
  mkdirSync(path.join(dataDir, 'exits'), { recursive: true });
  const driver = new ProcessDriver({ dataDir, exitLogDir: path.join(dataDir, 'exits'), confinement });
  const once = async () => {
    const s = spec(plan.offeredCpus);
    const handle = await driver.start(s, never);
    const exit = await driver.wait(handle, never);
    if (exit.exitCode !== 0) throw new Error(`${label}: /bin/true exited ${JSON.stringify(exit)}`);
    await driver.destroy(handle);
  };
  await pool(20, concurrency, once); // warm-up: the spawn helper starts
  const started = performance.now();
  await pool(count, concurrency, once);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(12)} ${count} workloads at concurrency ${concurrency}: ${(count / seconds).toFixed(0)}/s, ${((seconds * 1000 * concurrency) / count).toFixed(2)} ms each`);
  driver.close();
}

// The driver keeps no handle of its own referenced (the executor does): hold the loop open.
const keepAlive = setInterval(() => undefined, 1_000);
const plan = planResources(await readHostTopology());
await run('unconfined', { mode: 'none' });
const setup = await openCgroups({ executorId: `bench-${process.pid}`, probe: { cpus: plan.offeredCpus, mems: plan.offeredMems } });
if (setup.cgroups) {
  await run(`cgroup ${setup.version}`, { mode: 'cgroups', cgroups: setup.cgroups, placement: (a) => hostPlacement(plan, a) });
  await setup.cgroups.removeParentsIfEmpty();
} else {
  console.log(`cgroups: not measured (${setup.problem})`);
}
rmSync(root, { recursive: true, force: true });
clearInterval(keepAlive);
