/**
 * Scaling one PROCESS app (a tiny HTTP server, test/apps/fixtures/http-app.ts) 0 → N → 0 over
 * real processes: a real controller in this process (SQLite in a temp dir, the applications
 * module), one real `corral executor` child with the process driver, HTTP readiness and health
 * checks. Printed beside the raw rate of starting the same server by hand (spawn → answers
 * /ready → SIGTERM → exited) measured in the same run at the same concurrency.
 *
 *   npm run bench:apps -- --instances 50 --parallelism 16
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/common/logger.ts';
import { createAppModule } from '../src/controller/apps/app-module.ts';
import { defaultControllerConfig } from '../src/controller/config.ts';
import { startController } from '../src/controller/controller.ts';
import { pool, until } from './bench-jobs.ts';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '50' },
    parallelism: { type: 'string', default: '16' },
  },
});
const N = Number(values.instances);
const P = Number(values.parallelism);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = path.join(ROOT, 'test/apps/fixtures/http-app.ts');
const AUTH = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The by-hand baseline: start the server, poll /ready every 50 ms (as the app's readiness check does), stop it, wait for the exit. */
async function rawStartStop(): Promise<void> {
  const port = await freePort();
  // The environment the process driver gives a workload (not ours: e.g. NODE_EXTRA_CA_CERTS
  // alone makes every Node start parse a CA bundle).
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', PORT_8080: String(port) };
  const child = spawn(process.execPath, [APP], { stdio: 'ignore', env });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await until(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 20_000, 'the raw server', 50);
  child.kill('SIGTERM');
  await exited;
}

async function call(url: string, method: string, body?: unknown): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const response = await fetch(url, {
    method, headers: { authorization: AUTH, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  const reply = await response.json() as { status: string; data: Record<string, unknown> };
  if (reply.status !== 'SUCCESS') throw new Error(`${method} ${url}: ${JSON.stringify(reply)}`);
  return reply.data;
}

async function main(): Promise<void> {
  console.log(`corral app benchmark: scale one PROCESS app (HTTP server, HTTP checks) 0 → ${N} → 0, parallelism ${P}`);
  await pool(Math.min(4, N), P, rawStartStop); // warm up
  const rawSeconds = await pool(N, P, rawStartStop);

  const dir = mkdtempSync(path.join(tmpdir(), 'corral-bench-apps-'));
  const config = defaultControllerConfig({ port: 0, store: `sqlite:${path.join(dir, 'controller.db')}`, killTimeoutMs: 5_000 });
  const controller = await startController(config, { modules: [createAppModule], logger: silentLogger });
  let executor: ChildProcess | undefined;
  try {
    executor = spawn(path.join(ROOT, 'node_modules/.bin/node'), [
      path.join(ROOT, 'bin/corral.js'), 'executor', '--controller', controller.url, '--secret', config.clusterSecret,
      '--name', 'bench', '--port', '39998', '--cores', String(N + 2), '--memory-mb', String((N + 2) * 64),
      '--data-dir', path.join(dir, 'executor'), '--kill-workloads-on-exit',
    ], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' } });
    await until(() => controller.ctx.executors.list().some((e) => e.connected), 20_000, 'the executor to register');

    const ops = `${controller.url}/apis/v1/applications/operations`;
    const opSpec = { timeout: '120s', parallelism: P, failureStrategy: 'STOP' };
    const check = (p: string, interval: string) => ({
      mode: { type: 'HTTP', portName: 'http', path: p, verb: 'GET', successCodes: [200] }, timeout: '1s', interval, attempts: 100,
    });
    const { appId } = await call(ops, 'POST', {
      type: 'CREATE', opSpec,
      spec: {
        name: 'bench', version: '1', type: 'SERVICE',
        executable: { type: 'PROCESS', command: process.execPath }, args: [APP],
        exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
        resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
        readiness: check('/ready', '50 ms'), healthcheck: check('/health', '100 ms'),
      },
    });

    const timed = async (requiredInstances: number): Promise<number> => {
      const start = performance.now();
      const { operationId } = await call(ops, 'POST', { type: 'SCALE', appId, requiredInstances, opSpec });
      let state = '';
      await until(async () => {
        state = (await call(`${controller.url}/apis/v1/operations/${operationId}`, 'GET')).state;
        return state !== 'QUEUED' && state !== 'RUNNING';
      }, 300_000, `SCALE to ${requiredInstances}`, 10);
      if (state !== 'COMPLETED') throw new Error(`SCALE to ${requiredInstances} ended ${state}`);
      return (performance.now() - start) / 1000;
    };
    const upSeconds = await timed(N);
    const summary = await call(`${controller.url}/apis/v1/applications/${appId}`, 'GET');
    if (summary.healthyInstances !== N) throw new Error(`expected ${N} healthy, got ${summary.healthyInstances}`);
    const downSeconds = await timed(0);

    const fmt = (n: number) => n.toFixed(1).padStart(8);
    console.log('');
    console.log(`raw: spawn → /ready → exited       ${fmt(N / rawSeconds)} /s   (${N} round trips in ${(rawSeconds * 1000).toFixed(0)} ms, ${P} at a time)`);
    console.log(`SCALE 0 → ${String(N).padEnd(4)} (all HEALTHY)      ${fmt(N / upSeconds)} /s   (${(upSeconds * 1000).toFixed(0)} ms)`);
    console.log(`SCALE ${String(N).padEnd(4)} → 0 (all STOPPED)      ${fmt(N / downSeconds)} /s   (${(downSeconds * 1000).toFixed(0)} ms)`);
    // Both sides do the same per instance: start it until ready, then stop it until gone.
    console.log(`start+stop round trips             ${fmt(N / (upSeconds + downSeconds))} /s   (${fmt((100 * rawSeconds) / (upSeconds + downSeconds))} % of raw)`);
  } finally {
    if (executor && executor.exitCode === null) {
      const exited = new Promise((resolve) => executor!.once('exit', resolve));
      executor.kill('SIGTERM');
      await exited;
    }
    await controller.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
