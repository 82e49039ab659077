/**
 * What the fleet benchmarks share: a real `corral controller` in a child process of its own
 * (SQLite in a temp dir, or a throwaway PostgreSQL database with `--postgres`), a keep-alive HTTP
 * client, the machine's facts, and the rule that a missed target exits non-zero after everything
 * is printed. The simulated fleet is in bench-fleet.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { controllerConfigToFile } from '../src/controller/config-loader.ts';
import { defaultControllerConfig, type ControllerConfig } from '../src/controller/config.ts';
import { freePort } from '../src/sim/sim-controller.ts';
import { processCpuMs } from './proc-cpu.ts';


export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
const POSTGRES_ADMIN = process.env.CORRAL_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Interrupted, the benchmark still ends the controller it started (its 'exit' handler kills it).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export function machine(): string {
  return `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Collects "figure vs target" lines; `finish()` prints the verdict and sets the exit code. */
export class Targets {
  private readonly misses: string[] = [];

  /** `why`: for a miss, what the measured figures say about it (printed beneath, indented). */
  check(label: string, figure: string, met: boolean, target: string, why?: string): void {
    console.log(`${label.padEnd(44)} ${figure.padStart(14)}   target ${target}   ${met ? 'met' : 'MISSED'}`);
    if (!met) this.misses.push(label);
    if (!met && why) console.log(`  why: ${why}`);
  }

  finish(): void {
    console.log(`machine: ${machine()}`);
    if (this.misses.length > 0) {
      console.log(`missed: ${this.misses.join('; ')}`);
      process.exitCode = 1;
    }
  }
}

/**
 * A miss explained by CPU alone: what `msEach` of one process's CPU per unit at `perSecond` asks
 * of it. The controller's work runs on one thread (its event loop), so whatever the machine, it
 * has one core to give: the rate needs `msEach` under 1000 / `perSecond` ms, with room to spare
 * for a stall to drain.
 */
export function cpuDemand(who: string, msEach: number, perSecond: number, unit: string): string {
  const cores = (msEach * perSecond) / 1000;
  const oneThread = cores >= 0.8
    ? `more than the ${who}'s one thread can give (its event loop: one core at most, and a loop busier than ~80 % drains a stall only slowly); `
      + `meeting it takes under ${(800 / perSecond).toFixed(2)} ms per ${unit} or the work spread beyond one thread (docs/scale.md, "The path beyond one leader")`
    : `within one thread, but on ${availableParallelism()} cores shared with everything else the benchmark runs`;
  return `${perSecond}/s at ${msEach.toFixed(2)} ms of ${who} CPU per ${unit} is ${cores.toFixed(2)} cores: ${oneThread}`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** One API call over keep-alive HTTP; resolves with the status and parsed body. */
export function call(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method, agent,
      headers: { authorization: AUTH, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch (error) {
          reject(error);
        }
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
}

export interface BenchController {
  url: string;
  pid: () => number;
  config: ControllerConfig;
  store: string;
  /** Bytes the store holds on disk (SQLite: file + WAL; PostgreSQL: the database's size). */
  storeBytes(): Promise<number>;
  /** Resident memory of the controller process (MB), from /proc. */
  rssMb(): number;
  /** The controller's own heap figures (MB) from its /metrics. */
  heapMb(): Promise<{ used: number; total: number; external: number }>;
  /** Where the resident memory is (processMemoryMaps). */
  memoryMaps(): { brk: number; anon: number; file: number };
  /** CPU time (ms) the controller process has used so far. */
  cpuMs(): number;
  /** Stops the process (SIGTERM) and starts it again on the same store (with `overrides` to its config); resolves with the ms until it answered. */
  restart(overrides?: Partial<ControllerConfig>): Promise<number>;
  /** Stops the process, keeping the store (to inspect it). */
  halt(): Promise<void>;
  /** Stops the process and deletes the store. */
  stop(): Promise<void>;
}

/** CPU time (ms) process `pid` has used so far, from /proc (bench/proc-cpu.ts holds the /proc readers). */
export { processCpuMs };

/** Resident memory (MB) of process `pid`, from /proc. */
export function processRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/**
 * Where a process's resident memory is, from /proc/PID/smaps (MB): `brk` is glibc's main malloc
 * arena (`[heap]`), `anon` every other anonymous mapping (V8's heap pages, other malloc arenas,
 * large mallocs, thread stacks), `file` mapped files (the node binary, libraries).
 */
export function processMemoryMaps(pid: number): { brk: number; anon: number; file: number } {
  const totals = { brk: 0, anon: 0, file: 0 };
  let kind: keyof typeof totals = 'anon';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1];
      kind = name === '[heap]' ? 'brk' : name === '' || name.startsWith('[') ? 'anon' : 'file';
    } else if (line.startsWith('Rss:')) {
      totals[kind] += Number(line.split(/\s+/)[1]) / 1024;
    }
  }
  return totals;
}

/**
 * Starts `corral controller` in a child process; `nodeArgs` are passed to its Node (e.g. a CPU
 * profile), and so are the flags in CORRAL_BENCH_NODE_ARGS, for any benchmark: a way to compare a
 * heap policy's memory and its price in CPU and latency on the same load
 * (`CORRAL_BENCH_NODE_ARGS=--heap-growing-percent=100 npm run bench:api`).
 */
export async function startBenchController(options: { postgres?: boolean; config?: Partial<ControllerConfig>; nodeArgs?: string[] } = {}): Promise<BenchController> {
  const fromEnv = (process.env.CORRAL_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  if (fromEnv.length > 0) console.log(`controller's Node started with ${fromEnv.join(' ')} (CORRAL_BENCH_NODE_ARGS)`);
  const nodeArgs = [...(options.nodeArgs ?? []), ...fromEnv];
  // CORRAL_BENCH_CONTROLLER_LOG=FILE: the controller's log at level info, appended to FILE (to see
  // what it did during a run, e.g. its memory returns); otherwise errors only, on stderr.
  const logFile = process.env.CORRAL_BENCH_CONTROLLER_LOG;
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-'));
  let database: string | undefined;
  let store = `sqlite:${path.join(dir, 'controller.db')}`;
  if (options.postgres) {
    database = `corral_bench_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = new URL(POSTGRES_ADMIN);
    url.pathname = `/${database}`;
    store = url.toString();
  }
  const port = await freePort();
  const config = defaultControllerConfig({ port, store, ...options.config });
  const file = path.join(dir, 'controller.json');
  writeFileSync(file, JSON.stringify(controllerConfigToFile(config)));
  let child: ChildProcess;
  const launch = async (): Promise<number> => {
    const started = performance.now();
    child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [...nodeArgs, path.join(ROOT, 'bin/corral.js'), 'controller', '--config', file], {
      stdio: ['ignore', logFile ? openSync(logFile, 'a') : 'ignore', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: logFile ? 'info' : 'error' },
    });
    const current = child;
    process.once('exit', () => current.kill('SIGKILL'));
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the controller exited with ${child.exitCode}`);
      try {
        if ((await call(`http://127.0.0.1:${port}/apis/v1/ping`)).status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  await launch();
  const url = `http://127.0.0.1:${port}`;
  return {
    url, config, store,
    pid: () => child.pid!,
    async storeBytes() {
      if (!database) {
        const size = (f: string) => { try { return statSync(f).size; } catch { return 0; } };
        const db = path.join(dir, 'controller.db');
        return size(db) + size(`${db}-wal`);
      }
      const client = new pg.Client({ connectionString: store });
      await client.connect();
      const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size');
      await client.end();
      return Number(rows[0].size);
    },
    rssMb: () => processRssMb(child.pid!),
    memoryMaps: () => processMemoryMaps(child.pid!),
    async heapMb() {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: AUTH } });
      const text = await response.text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
      return { used: value('corral_nodejs_heap_size_used_bytes'), total: value('corral_nodejs_heap_size_total_bytes'), external: value('corral_nodejs_external_memory_bytes') };
    },
    cpuMs: () => processCpuMs(child.pid!),
    async restart(overrides?: Partial<ControllerConfig>) {
      await stopChild();
      if (overrides) writeFileSync(file, JSON.stringify(controllerConfigToFile({ ...config, ...overrides })));
      return launch();
    },
    halt: stopChild,
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
      if (database) {
        const admin = new pg.Client({ connectionString: POSTGRES_ADMIN });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await admin.end();
      }
    },
  };
}

/** A simulated fleet of `executors` against the controller, all connected before it resolves. */
