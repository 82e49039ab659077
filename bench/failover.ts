/**
 * Failover of the control plane (docs/ha.md): 3 `corral controller` processes on one PostgreSQL
 * schema (a throwaway one, dropped at the end), 3 `corral executor` processes given every
 * controller URL (mock driver), a steady stream of task CREATEs and app SCALEs sent to whichever
 * controller is the leader (found by ping, as the CLI does). The leader is SIGKILLed N times
 * (restarted each time, as a follower) and SIGSTOPped once (continued after a successor took over).
 *
 * Printed for each failure: time until a new leader accepted a write (target ≤ 5 s, docs/targets.md),
 * and the operations the new leader resumed (its log). At the end: acknowledged operations missing
 * from the store (target 0), and workloads lost or duplicated (target 0): every acknowledged task
 * is known and was never LOST, and the app runs exactly its expected instances, each once.
 *
 *   npm run bench:failover -- --kills 3 [--store postgres://postgres@127.0.0.1:5432/postgres]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { until } from './bench-jobs.ts';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '3' },
    store: { type: 'string', default: process.env.CORRAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'base-port': { type: 'string', default: '0' },
  },
});
const KILLS = Number(values.kills);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
const SECRET = 'bench-failover-secret';
const SCHEMA = `bench_failover_${process.pid}`;
const STORE = `${values.store}${values.store.includes('?') ? '&' : '?'}schema=${SCHEMA}`;
const TERMINAL_TASK = new Set(['STOPPED', 'LOST']);

interface Node { port: number; url: string; child?: ChildProcess; log: string }

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startController(node: Node): void {
  node.log = '';
  const child = spawn(NODE, [path.join(ROOT, 'bin/corral.js'), 'controller', '--port', String(node.port), '--store', STORE, '--advertise-url', node.url], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORRAL_LOG_LEVEL: 'info', CORRAL_CLUSTER_SECRET: SECRET },
  });
  child.stdout!.on('data', (d: Buffer) => (node.log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (node.log += d.toString()));
  node.child = child;
}

async function ping(node: Node): Promise<number> {
  try {
    const response = await fetch(`${node.url}/apis/v1/ping`, { headers: { authorization: AUTH }, signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** The one node answering ping 200, or undefined. */
async function leaderOf(nodes: Node[]): Promise<Node | undefined> {
  const statuses = await Promise.all(nodes.map(ping));
  const leaders = nodes.filter((_, i) => statuses[i] === 200);
  return leaders.length === 1 ? leaders[0] : undefined;
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: string; data?: any; message?: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, {
    method, headers: { authorization: AUTH, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined, signal: AbortSignal.timeout(5_000),
  });
  return await response.json() as { status: string; data?: unknown; message?: string };
}

const OPSPEC = { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' };

function taskBody(taskId: string): unknown {
  return {
    type: 'CREATE', opSpec: OPSPEC,
    spec: {
      sourceAppName: 'BENCH', taskId, executable: { type: 'PROCESS', command: '/bin/true' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }], env: { MOCK_RUN_MS: '3000' },
    },
  };
}

const appSpec = {
  name: 'bench-ha', version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: '/bin/true' },
  exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }], resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
  healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '500 ms', attempts: 3 },
  readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '100 ms', attempts: 3 },
  exposureSpec: { vhost: 'bench-ha.test', portName: 'http', mode: 'ALL' },
};

async function main(): Promise<void> {
  console.log(`corral failover benchmark: 3 controllers + 3 executors on PostgreSQL (schema ${SCHEMA}), ${KILLS} SIGKILLs and 1 SIGSTOP of the leader under load`);
  const base = Number(values['base-port']);
  const nodes: Node[] = [];
  for (let i = 0; i < 3; i++) {
    const port = base ? base + i : await freePort();
    nodes.push({ port, url: `http://127.0.0.1:${port}`, log: '' });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-failover-'));
  const executors: ChildProcess[] = [];
  let stopLoad = false;
  try {
    startController(nodes[0]);
    await until(async () => (await ping(nodes[0])) === 200, 60_000, 'the first controller to lead', 100);
    startController(nodes[1]);
    startController(nodes[2]);
    await until(async () => (await Promise.all(nodes.map(ping))).filter((s) => s === 400).length === 2, 60_000, 'two followers', 100);
    const endpoints = nodes.map((n) => n.url).join(',');
    for (let i = 0; i < 3; i++) {
      const port = base ? base + 3 + i : await freePort();
      executors.push(spawn(NODE, [path.join(ROOT, 'bin/corral.js'), 'executor', '--controller', endpoints, '--name', `bench-${i}`, '--port', String(port),
        '--driver', 'mock', '--cores', '64', '--memory-mb', '65536', '--data-dir', path.join(dir, `executor-${i}`), '--kill-workloads-on-exit'],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn', CORRAL_CLUSTER_SECRET: SECRET } }));
    }
    let leader = (await leaderOf(nodes))!;
    await until(async () => ((await call(`${leader.url}/apis/v1/cluster`, 'GET')).data?.numExecutors ?? 0) === 3, 60_000, 'three executors', 100);

    // The app, and the load: task CREATEs and SCALEs, each acknowledged one remembered.
    const created = await call(`${leader.url}/apis/v1/applications/operations`, 'POST', { type: 'CREATE', spec: appSpec, instances: 2, opSpec: OPSPEC });
    const appId = created.data.appId as string;
    const acknowledged: { kind: 'task' | 'scale'; operationId: string; taskId?: string; instances?: number }[] = [];
    let expectedInstances = 2;
    let refused = 0;
    const send = async (kind: 'task' | 'scale', seq: number): Promise<void> => {
      const current = await leaderOf(nodes);
      if (!current) {
        refused++;
        return;
      }
      try {
        if (kind === 'task') {
          const taskId = `t-${seq}`;
          const reply = await call(`${current.url}/apis/v1/tasks/operations`, 'POST', taskBody(taskId));
          if (reply.status === 'SUCCESS') acknowledged.push({ kind, taskId, operationId: reply.data.operationId });
          else refused++;
        } else {
          const instances = 2 + (seq % 2);
          const reply = await call(`${current.url}/apis/v1/applications/operations`, 'POST', { type: 'SCALE', appId, requiredInstances: instances, opSpec: OPSPEC });
          if (reply.status === 'SUCCESS') {
            acknowledged.push({ kind, operationId: reply.data.operationId, instances });
            expectedInstances = instances;
          } else refused++;
        }
      } catch {
        refused++;
      }
    };
    let seq = 0;
    const load = (async () => {
      while (!stopLoad) {
        seq++;
        await send(seq % 10 === 0 ? 'scale' : 'task', seq);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const failovers: { how: string; ms: number; resumed: number }[] = [];
    const failOver = async (how: 'SIGKILL' | 'SIGSTOP'): Promise<void> => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const old = (await leaderOf(nodes))!;
      const others = nodes.filter((n) => n !== old);
      const logMarks = others.map((n) => n.log.length);
      const started = performance.now();
      old.child!.kill(how);
      let accepted = 0;
      await until(async () => {
        const next = await leaderOf(others);
        if (!next) return false;
        const reply = await call(`${next.url}/apis/v1/tasks/operations`, 'POST', taskBody(`probe-${how}-${failovers.length}`)).catch(() => undefined);
        if (reply?.status !== 'SUCCESS') return false;
        acknowledged.push({ kind: 'task', taskId: `probe-${how}-${failovers.length}`, operationId: reply.data.operationId });
        accepted = performance.now() - started;
        leader = next;
        return true;
      }, 60_000, 'a new leader to accept a write', 20);
      const resumedLine = others.map((n, i) => n.log.slice(logMarks[i])).join('\n').match(/"resumed":(\d+)[^\n]*resumed active operations/);
      failovers.push({ how, ms: Math.round(accepted), resumed: resumedLine ? Number(resumedLine[1]) : 0 });
      console.log(`  ${how.padEnd(7)} leader ${old.url}: new leader ${leader.url} accepted a write after ${(accepted / 1000).toFixed(2)} s; operations resumed: ${failovers.at(-1)!.resumed}`);
      if (how === 'SIGSTOP') old.child!.kill('SIGCONT');
      else {
        await new Promise<void>((resolve) => (old.child!.exitCode !== null || old.child!.signalCode !== null ? resolve() : old.child!.once('exit', () => resolve())));
        startController(old);
      }
      await until(async () => (await ping(old)) === 400, 60_000, 'the old leader to come back as a follower', 100);
    };
    for (let i = 0; i < KILLS; i++) await failOver('SIGKILL');
    await failOver('SIGSTOP');
    stopLoad = true;
    await load;

    // Settle, then account for every acknowledged operation and every workload.
    leader = (await leaderOf(nodes))!;
    await until(async () => {
      const ops = await call(`${leader.url}/apis/v1/operations?state=ACTIVE&size=1000`, 'GET').catch(() => undefined);
      return Array.isArray(ops?.data) && ops.data.length === 0;
    }, 120_000, 'every operation to finish', 500).catch(() => console.log('  (some operations were still active after 120 s)'));
    let missing = 0;
    let lostTasks = 0;
    const outcomes = new Map<string, number>();
    for (const ack of acknowledged) {
      const op = await call(`${leader.url}/apis/v1/operations/${ack.operationId}`, 'GET');
      if (op.status !== 'SUCCESS') missing++;
      else outcomes.set(op.data.state, (outcomes.get(op.data.state) ?? 0) + 1);
      if (ack.taskId) {
        const task = await call(`${leader.url}/apis/v1/tasks/BENCH/instances/${ack.taskId}`, 'GET');
        if (task.status !== 'SUCCESS') missing++;
        else if (task.data.state === 'LOST') lostTasks++;
        else if (!TERMINAL_TASK.has(task.data.state)) await until(async () => TERMINAL_TASK.has((await call(`${leader.url}/apis/v1/tasks/BENCH/instances/${ack.taskId}`, 'GET')).data?.state), 30_000, `task ${ack.taskId} to finish`, 200).catch(() => undefined);
      }
    }
    const instances = ((await call(`${leader.url}/apis/v1/applications/${appId}/instances?state=HEALTHY`, 'GET')).data ?? []) as { instanceId: string; executorId: string }[];
    const reported: string[] = [];
    for (const executor of (await call(`${leader.url}/apis/v1/cluster/executors`, 'GET')).data as { executorId: string }[]) {
      const details = await call(`${leader.url}/apis/v1/cluster/executors/${executor.executorId}`, 'GET');
      for (const instance of details.data.instances ?? []) if (instance.appId === appId) reported.push(instance.instanceId);
    }
    const duplicated = reported.length - new Set(reported).size;
    const worst = Math.max(...failovers.map((f) => f.ms));
    console.log('');
    console.log(`  acknowledged operations: ${acknowledged.length} (${acknowledged.filter((a) => a.kind === 'task').length} task CREATEs, ${acknowledged.filter((a) => a.kind === 'scale').length} SCALEs); refused or unanswered during failovers: ${refused}`);
    console.log(`  time to a new leader accepting writes: worst ${(worst / 1000).toFixed(2)} s, mean ${(failovers.reduce((s, f) => s + f.ms, 0) / failovers.length / 1000).toFixed(2)} s (target ≤ 5 s)`);
    console.log(`  acknowledged operations missing afterwards: ${missing} (target 0); their states now: ${[...outcomes].map(([state, n]) => `${state} ${n}`).join(', ')}`);
    console.log(`  workloads lost: ${lostTasks} tasks LOST; app instances HEALTHY ${instances.length} of ${expectedInstances} expected, reported by executors ${reported.length} (target: equal)`);
    console.log(`  workloads duplicated: ${duplicated + Math.max(0, reported.length - expectedInstances)} (target 0)`);
    console.log(`  operations resumed by new leaders: ${failovers.map((f) => f.resumed).join(', ')}`);
  } finally {
    stopLoad = true;
    for (const node of nodes) node.child?.kill('SIGCONT');
    for (const executor of executors) executor.kill('SIGTERM');
    await Promise.all(executors.map((e) => new Promise((resolve) => (e.exitCode !== null ? resolve(null) : e.once('exit', resolve)))));
    for (const node of nodes) node.child?.kill('SIGTERM');
    await Promise.all(nodes.map((n) => new Promise((resolve) => (!n.child || n.child.exitCode !== null || n.child.signalCode !== null ? resolve(null) : n.child.once('exit', resolve)))));
    const client = new pg.Client({ connectionString: values.store });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
