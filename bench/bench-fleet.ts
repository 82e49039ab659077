/**
 * The simulated fleet of the fleet benchmarks: `corral sim` in a process of its own (or several,
 * `processes`), driven over its HTTP control endpoint (src/sim/sim-control.ts). Out of the
 * benchmark's process because a thousand agents and their workloads on the client's event loop
 * made the client — and the agents' pings — fall behind (docs/scale.md): the controller then saw
 * executors it was not slow to serve as lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FleetStatus, SlotState } from '../src/sim/sim-fleet.ts';
import { call, processCpuMs, processRssMb, ROOT, type BenchController } from './bench-cluster.ts';

export interface FleetOptions {
  /** Cores each simulated executor offers. */
  cores?: number;
  /** How many `corral sim` processes share the fleet (each gets its own hostname prefix). */
  processes?: number;
  prefix?: string;
}

export interface BenchFleet {
  status(): Promise<FleetStatus>;
  executorIds(state?: SlotState): Promise<string[]>;
  kill(amount: string): Promise<string[]>;
  partition(amount: string): Promise<string[]>;
  heal(): Promise<number>;
  revive(): Promise<number>;
  /** CPU time (ms) the fleet's processes have used so far. */
  cpuMs(): number;
  /** Resident memory of the fleet's processes (MB). */
  rssMb(): number;
  stop(): Promise<void>;
}

interface SimProcess {
  child: ChildProcess;
  control: string;
  executors: number;
}

/** Starts the fleet and resolves once the controller counts every executor connected. */
export async function startBenchFleet(controller: BenchController, executors: number, options: FleetOptions = {}): Promise<BenchFleet> {
  const count = Math.max(1, Math.min(options.processes ?? 1, executors));
  const prefix = options.prefix ?? 'bench';
  const sims = await Promise.all(Array.from({ length: count }, (_, i) => {
    const share = Math.floor(executors / count) + (i < executors % count ? 1 : 0);
    return startSim(controller, share, options.cores ?? 64, count === 1 ? prefix : `${prefix}${i}`);
  }));
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { body } = await call(`${controller.url}/apis/v1/cluster`);
    if (body?.data?.numExecutors >= executors) break;
    if (Date.now() > deadline) throw new Error(`only ${body?.data?.numExecutors} of ${executors} simulated executors connected within 3 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const each = async <T>(route: string, method: string): Promise<T[]> => Promise.all(sims.map(async (sim) => {
    const { status, body } = await call(`${sim.control}${route}`, method);
    if (status !== 200) throw new Error(`corral sim ${route}: ${JSON.stringify(body)}`);
    return body as T;
  }));
  // A share splits over the processes as it is (10% of each); a count is divided between them.
  const split = (amount: string, i: number) => amount.endsWith('%') ? amount
    : String(Math.floor(Number(amount) / count) + (i < Number(amount) % count ? 1 : 0));
  const act = async (word: 'kill' | 'partition', amount: string) => (await Promise.all(sims.map(async (sim, i) => {
    const { status, body } = await call(`${sim.control}/${word}?amount=${encodeURIComponent(split(amount, i))}`, 'POST');
    if (status !== 200) throw new Error(`corral sim ${word}: ${JSON.stringify(body)}`);
    return (body as { executorIds: string[] }).executorIds;
  }))).flat();
  return {
    async status() {
      const all = await each<FleetStatus>('/status', 'GET');
      const sum = (key: 'asked' | 'started' | 'connected' | 'partitioned' | 'killed' | 'workloads') => all.reduce((n, s) => n + s[key], 0);
      return { asked: sum('asked'), started: sum('started'), connected: sum('connected'), partitioned: sum('partitioned'), killed: sum('killed'), workloads: sum('workloads') };
    },
    async executorIds(state) {
      return (await each<{ executorIds: string[] }>(`/executors${state ? `?state=${state}` : ''}`, 'GET')).flatMap((b) => b.executorIds);
    },
    kill: (amount) => act('kill', amount),
    partition: (amount) => act('partition', amount),
    async heal() {
      return (await each<{ count: number }>('/heal', 'POST')).reduce((n, b) => n + b.count, 0);
    },
    async revive() {
      return (await each<{ count: number }>('/revive', 'POST')).reduce((n, b) => n + b.count, 0);
    },
    cpuMs: () => sims.reduce((n, sim) => n + processCpuMs(sim.child.pid!), 0),
    rssMb: () => sims.reduce((n, sim) => n + processRssMb(sim.child.pid!), 0),
    async stop() {
      await Promise.all(sims.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }));
    },
  };
}

async function startSim(controller: BenchController, executors: number, cores: number, prefix: string): Promise<SimProcess> {
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [
    path.join(ROOT, 'bin/corral.js'), 'sim', '--executors', String(executors), '--controller', controller.url,
    '--secret', controller.config.clusterSecret, '--control-port', '0', '--cores', String(cores), '--memory-mb', String(1 << 20),
    '--racks', '10', '--tagged-share', '0', '--prefix', prefix, '--max-loop-delay-ms', '5000',
  ], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: 'error' } });
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  child.stdout!.setEncoding('utf8');
  const control = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`corral sim (${prefix}) printed no control endpoint within 3 minutes:\n${output}`)), 180_000);
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const match = /control endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`corral sim (${prefix}) exited with ${code}:\n${output}`));
    });
  });
  const limited = /this machine carries (\d+) of the/.exec(output);
  if (limited) throw new Error(`this machine cannot carry ${executors} simulated executors in one process: ${output.trim()}`);
  return { child, control, executors };
}
