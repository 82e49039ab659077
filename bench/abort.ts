/**
 * Abort at scale, against a real controller in this process (SQLite in a temp dir,
 * tasks + applications modules) and one real `corral executor` child:
 *
 *  1. N running tasks (default 1,000; mock driver, or `--driver process` for real `sleep`s)
 *     FORCE-aborted with one `POST /apis/v1/operations/abort` — time until every task is
 *     STOPPED with a result. Target (docs/targets.md): ≤ 2 s for 1,000.
 *  2. A GRACEFUL abort of a SCALE to M instances (default 200, mock driver) while it is in
 *     flight — time until the operation is CANCELLED, and the app's settled state.
 *
 *   npm run bench:abort -- --tasks 1000 --instances 200 [--driver process]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClusterEvent } from '../src/api/cluster-types.ts';
import { silentLogger } from '../src/common/logger.ts';
import { createAppModule } from '../src/controller/apps/app-module.ts';
import { defaultControllerConfig } from '../src/controller/config.ts';
import { startController } from '../src/controller/controller.ts';
import { createTaskModule } from '../src/controller/tasks/task-module.ts';
import { pool, until } from './bench-jobs.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    instances: { type: 'string', default: '200' },
    driver: { type: 'string', default: 'mock' },
  },
});
const TASKS = Number(values.tasks);
const INSTANCES = Number(values.instances);
const DRIVER = values.driver === 'process' ? 'process' : 'mock';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

async function call(url: string, method: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, {
    method, headers: { authorization: AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  const reply = await response.json() as { status: string; data: unknown };
  if (reply.status !== 'SUCCESS') throw new Error(`${method} ${url}: ${JSON.stringify(reply)}`);
  return reply.data;
}

async function main(): Promise<void> {
  console.log(`corral abort benchmark: ${TASKS} running tasks FORCE-aborted at once (${DRIVER} driver); GRACEFUL abort of a SCALE to ${INSTANCES} (mock driver)`);
  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-abort-'));
  const config = defaultControllerConfig({ port: 0, store: `sqlite:${path.join(dir, 'controller.db')}`, killTimeoutMs: 2_000, snapshotIntervalMs: 5_000 });
  const controller = await startController(config, { modules: [createTaskModule, createAppModule], logger: silentLogger });
  const executors: ChildProcess[] = [];
  const startExecutor = async (name: string, port: number, driver: string): Promise<void> => {
    const before = controller.ctx.executors.list().filter((e) => e.connected).length;
    executors.push(spawn(path.join(ROOT, 'node_modules/.bin/node'), [
      path.join(ROOT, 'bin/corral.js'), 'executor', '--controller', controller.url, '--secret', config.clusterSecret,
      '--name', name, '--port', String(port), '--driver', driver, '--cores', String(Math.max(TASKS, INSTANCES) + 8),
      '--memory-mb', String((Math.max(TASKS, INSTANCES) + 8) * 16), '--data-dir', path.join(dir, name), '--kill-workloads-on-exit',
    ], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' } }));
    await until(() => controller.ctx.executors.list().filter((e) => e.connected).length > before, 20_000, `executor ${name}`);
  };
  try {
    // ---------------------------------------------------------------- 1. tasks
    await startExecutor('tasks', 39997, DRIVER === 'mock' ? 'mock' : 'auto');
    const states = new Map<string, string>();
    const results = new Map<string, string>();
    controller.ctx.events.subscribe((event: ClusterEvent) => {
      if (event.type !== 'TASK_STATE_CHANGE') return;
      const id = String(event.metadata.TASK_ID);
      states.set(id, String(event.metadata.CURRENT_STATE));
      if (event.metadata.RESULT_STATUS !== undefined) results.set(id, String(event.metadata.RESULT_STATUS));
    });
    const executable = { type: 'PROCESS', command: '/bin/sleep' }; // the mock driver reads MOCK_RUN_MS instead
    await pool(TASKS, 32, async (i) => {
      await call(`${controller.url}/apis/v1/tasks/operations`, 'POST', {
        type: 'CREATE', opSpec: { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' },
        spec: {
          sourceAppName: 'bench', taskId: `t-${i}`, executable, args: ['600'], env: { MOCK_RUN_MS: '600000' },
          resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
        },
      });
    });
    await until(() => [...states.values()].filter((s) => s === 'RUNNING').length >= TASKS, 120_000, `${TASKS} tasks RUNNING`, 50);
    const abortStart = performance.now();
    const { results: answers } = await call(`${controller.url}/apis/v1/operations/abort`, 'POST', { mode: 'FORCE' });
    const acknowledged = performance.now() - abortStart;
    const aborted = (answers as { aborted: boolean }[]).filter((a) => a.aborted).length;
    await until(() => [...states.values()].filter((s) => s === 'STOPPED').length >= TASKS, 60_000, 'every task STOPPED', 5);
    const allStopped = performance.now() - abortStart;
    const cancelled = [...results.values()].filter((r) => r === 'CANCELLED').length;

    // ---------------------------------------------------------------- 2. graceful abort of a scale
    await startExecutor('apps', 39996, 'mock');
    const ops = `${controller.url}/apis/v1/applications/operations`;
    const opSpec = { timeout: '60s', parallelism: 16, failureStrategy: 'STOP' };
    const check = { mode: { type: 'CMD', command: 'true' }, timeout: '1s', interval: '200 ms', attempts: 3 };
    const { appId } = await call(ops, 'POST', {
      type: 'CREATE', opSpec,
      spec: {
        name: 'bench-scale', version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: '/bin/sleep' }, args: ['600'],
        exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }], resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
        readiness: check, healthcheck: check,
      },
    });
    const { operationId } = await call(ops, 'POST', { type: 'SCALE', appId, requiredInstances: INSTANCES, opSpec });
    await until(async () => (await call(`${controller.url}/apis/v1/operations/${operationId}`, 'GET')).progress.done >= INSTANCES / 4, 120_000, 'a quarter of the scale');
    const gracefulStart = performance.now();
    await call(`${controller.url}/apis/v1/operations/abort`, 'POST', { operationIds: [operationId], mode: 'GRACEFUL' });
    let op: { state: string; progress: { done: number; total: number } } = { state: '', progress: { done: 0, total: 0 } };
    await until(async () => {
      op = await call(`${controller.url}/apis/v1/operations/${operationId}`, 'GET');
      return op.state === 'CANCELLED';
    }, 120_000, 'the scale to be CANCELLED', 5);
    const gracefulSeconds = (performance.now() - gracefulStart) / 1000;
    const summary = await call(`${controller.url}/apis/v1/applications/${appId}`, 'GET');

    console.log('');
    console.log(`FORCE abort of ${TASKS} running tasks: acknowledged in ${acknowledged.toFixed(0)} ms (${aborted} aborted), `
      + `all STOPPED with a result in ${allStopped.toFixed(0)} ms (${cancelled} CANCELLED)   target ≤ 2000 ms`);
    console.log(`GRACEFUL abort of a SCALE to ${INSTANCES} (parallelism ${opSpec.parallelism}): CANCELLED ${(gracefulSeconds * 1000).toFixed(0)} ms after the abort, `
      + `${op.progress.done}/${op.progress.total} steps done; app ${summary.state}, ${summary.healthyInstances} healthy = expected ${summary.requiredInstances}`);
  } finally {
    await Promise.all(executors.map((executor) => new Promise((resolve) => {
      if (executor.exitCode !== null) return resolve(undefined);
      executor.once('exit', resolve);
      executor.kill('SIGTERM');
    })));
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
