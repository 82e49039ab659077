/**
 * Short process tasks end to end: N `/bin/true` tasks through the real HTTP API, a real
 * controller (in this process, SQLite in a temp dir) and a real `corral executor` child
 * process, at a given concurrency — accepted → STOPPED with a result. Printed beside the raw
 * `child_process.spawn('/bin/true')` rate measured in the same run at the same concurrency,
 * with p50/p99 of accepted → RUNNING (event time of RUNNING minus the record's `created`).
 *
 *   npm run bench:tasks -- --tasks 2000 --concurrency 16
 *
 * Phases: raw spawn rate → idle latency (tasks one at a time) → throughput at the concurrency.
 * Targets (PRODUCT.md): ≥ 80 % of the raw spawn rate; p99 accepted → RUNNING ≤ 50 ms idle.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClusterEvent } from '../src/api/cluster-types.ts';
import { silentLogger } from '../src/common/logger.ts';
import { defaultControllerConfig } from '../src/controller/config.ts';
import { startController } from '../src/controller/controller.ts';
import { createTaskModule } from '../src/controller/tasks/task-module.ts';
import { pool } from './bench-jobs.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    idle: { type: 'string', default: '100' },
    // Writes V8 CPU profiles of the executor and its spawn helper into this directory (run the
    // benchmark itself with `node --cpu-prof` for the controller's side).
    profile: { type: 'string' },
  },
});
const N = Number(values.tasks);
const C = Number(values.concurrency);
const IDLE = Math.min(Number(values.idle), N);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASK_TIMEOUT_MS = 30_000;
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// A keep-alive agent and plain node:http keep the client's own cost small next to the controller's.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, payload: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: AUTH, 'content-length': Buffer.byteLength(payload) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
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

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** `/proc/<pid>/stat` fields after the command name (field 3, the state, is index 0). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (ms) of a process tree from /proc: the root's own, and everything below it. */
interface TreeCpu {
  own: number;
  /** Live descendants' own time plus every reaped child's (the executor's spawn helper lives as long as the executor; the tasks are its children). */
  below: number;
}

function treeCpu(root: number): TreeCpu {
  const parents = new Map<number, number>();
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (!fields) continue;
    parents.set(pid, Number(fields[1]));
    stats.set(pid, fields);
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parents.get(p), hops++) {
      if (p === root) return true;
    }
    return false;
  };
  // utime stime cutime cstime are fields 14–17 (1-based), i.e. 11–14 after the state field; USER_HZ is 100.
  const ms = (ticks: number) => (ticks * 1000) / 100;
  const cpu: TreeCpu = { own: 0, below: 0 };
  for (const [pid, fields] of stats) {
    if (!inTree(pid)) continue;
    const own = ms(Number(fields[11]) + Number(fields[12]));
    const reaped = ms(Number(fields[13]) + Number(fields[14]));
    if (pid === root) cpu.own += own;
    else cpu.below += own;
    cpu.below += reaped;
  }
  return cpu;
}

function cpuSince(before: TreeCpu, after: TreeCpu): TreeCpu {
  return { own: after.own - before.own, below: after.below - before.below };
}

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  console.log(`corral task benchmark: ${N} tasks of /bin/true, concurrency ${C} (idle phase: ${IDLE} one at a time)`);
  await pool(50, C, spawnTrue); // warm up
  const rawBefore = treeCpu(process.pid);
  const rawSeconds = await pool(N, C, spawnTrue);
  const rawCpu = cpuSince(rawBefore, treeCpu(process.pid));
  const rawRate = N / rawSeconds;

  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-'));
  const config = defaultControllerConfig({ port: 0, store: `sqlite:${path.join(dir, 'controller.db')}`, snapshotIntervalMs: 5_000 });
  const controller = await startController(config, { modules: [createTaskModule], logger: silentLogger });
  let executor: ChildProcess | undefined;
  try {
    const created = new Map<string, number>();
    const running = new Map<string, number>();
    const stopped = new Map<string, { time: number; status: string }>();
    const waiters = new Map<string, () => void>();
    const stuck: string[] = [];
    controller.ctx.events.subscribe((event: ClusterEvent) => {
      if (event.type !== 'TASK_STATE_CHANGE') return;
      const id = String(event.metadata.TASK_ID);
      if (event.metadata.CURRENT_STATE === 'RUNNING' && !running.has(id)) running.set(id, event.time);
      if (event.metadata.CURRENT_STATE === 'STOPPED' || event.metadata.CURRENT_STATE === 'LOST') {
        created.set(id, Number(event.metadata.CREATED));
        stopped.set(id, { time: event.time, status: String(event.metadata.RESULT_STATUS) });
        waiters.get(id)?.();
      }
    });

    const profileArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
    executor = spawn(path.join(ROOT, 'node_modules/.bin/node'), [
      ...profileArgs, path.join(ROOT, 'bin/corral.js'), 'executor', '--controller', controller.url, '--secret', config.clusterSecret,
      '--name', 'bench', '--port', '39999', '--cores', String(Math.max(C * 2, 8)), '--memory-mb', String(Math.max(C * 2, 8) * 64),
      '--data-dir', path.join(dir, 'executor'), '--kill-workloads-on-exit',
    ], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' } });
    const child = executor;
    // Never leave the executor behind, even when the benchmark is interrupted.
    process.once('exit', () => child.kill('SIGKILL'));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
    await waitUntil(() => controller.ctx.executors.list().some((e) => e.connected), 20_000, 'the executor to register');

    const runTask = async (taskId: string): Promise<void> => {
      const done = new Promise<void>((resolve) => waiters.set(taskId, resolve));
      const body = await post(`${controller.url}/apis/v1/tasks/operations`, JSON.stringify({
          type: 'CREATE',
          spec: {
            sourceAppName: 'bench', taskId, executable: { type: 'PROCESS', command: '/bin/true' },
            resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 1 }],
          },
          opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
      })) as { status: string; message: string };
      if (body.status !== 'SUCCESS') throw new Error(`CREATE ${taskId} refused: ${JSON.stringify(body)}`);
      // A task that never ends is counted and left behind rather than hanging the benchmark.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          stuck.push(taskId);
          resolve();
        }, TASK_TIMEOUT_MS);
      });
      await Promise.race([done, late]);
      clearTimeout(timer);
      waiters.delete(taskId);
    };

    const latencies = (ids: string[]) => ids.map((id) => running.get(id)! - created.get(id)!).filter(Number.isFinite).sort((a, b) => a - b);

    const idleIds = Array.from({ length: IDLE }, (_, i) => `idle-${i}`);
    await pool(IDLE, 1, (i) => runTask(idleIds[i]));
    const idle = latencies(idleIds);

    const ids = Array.from({ length: N }, (_, i) => `t-${i}`);
    const cpuBefore = process.cpuUsage();
    const executorBefore = treeCpu(executor.pid!);
    const seconds = await pool(N, C, (i) => runTask(ids[i]));
    const controllerCpuMs = cpuMs(process.cpuUsage(cpuBefore));
    const executorCpu = cpuSince(executorBefore, treeCpu(executor.pid!));
    const rate = N / seconds;
    const loaded = latencies(ids);
    const failed = ids.filter((id) => stopped.get(id)?.status !== 'SUCCESSFUL').length;
    const endToEnd = ids.filter((id) => stopped.has(id)).map((id) => stopped.get(id)!.time - created.get(id)!).sort((a, b) => a - b);

    const fmt = (n: number) => n.toFixed(1).padStart(8);
    console.log('');
    console.log(`raw spawn('/bin/true')        ${fmt(rawRate)} /s   (${N} in ${(rawSeconds * 1000).toFixed(0)} ms)`);
    console.log(`tasks accepted → STOPPED      ${fmt(rate)} /s   (${N} in ${(seconds * 1000).toFixed(0)} ms, ${failed} not SUCCESSFUL)`);
    console.log(`ratio                         ${fmt((100 * rate) / rawRate)} %    (target ≥ 80 %)`);
    console.log(`accepted → RUNNING, idle      p50 ${percentile(idle, 50)} ms   p99 ${percentile(idle, 99)} ms   (target p99 ≤ 50 ms)`);
    console.log(`accepted → RUNNING, loaded    p50 ${percentile(loaded, 50)} ms   p99 ${percentile(loaded, 99)} ms`);
    console.log(`accepted → STOPPED, loaded    p50 ${percentile(endToEnd, 50)} ms   p99 ${percentile(endToEnd, 99)} ms`);
    const perTask = (ms: number) => `${(ms / N).toFixed(2)} ms`;
    console.log(`CPU per task                  controller+client ${perTask(controllerCpuMs)}, executor ${perTask(executorCpu.own)}, spawn helper+task ${perTask(executorCpu.below)}; total ${perTask(controllerCpuMs + executorCpu.own + executorCpu.below)}`);
    console.log(`CPU per raw spawn             parent ${perTask(rawCpu.own)}, child ${perTask(rawCpu.below)}; total ${perTask(rawCpu.own + rawCpu.below)}`);
    console.log(`machine load average          ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
    if (stuck.length > 0) console.log(`${stuck.length} task(s) did not end within ${TASK_TIMEOUT_MS / 1000} s: ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ' …' : ''}`);
  } finally {
    if (executor && executor.exitCode === null) {
      const exited = new Promise((resolve) => executor!.once('exit', resolve));
      executor.kill('SIGTERM');
      await exited;
    }
    agent.destroy();
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
