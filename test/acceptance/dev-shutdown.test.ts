/**
 * `npm start` (README "Quick start") stops everything it started, the way a user stops it:
 * Ctrl-C in the terminal (SIGINT to the whole foreground process group) or `kill` of the npm
 * process (SIGTERM to npm alone, e.g. `npm start &` then `kill %1`). Each run has an app with two
 * real HTTP-server instances and a running task; afterwards no process carrying the run's marker
 * (its data dir) may be left — not the executor, not a workload, not a replacement the controller
 * started while the executor was stopping. Restarting on the same data dir then shows the
 * task's honest end (CANCELLED by the shutdown), not a task still RUNNING.
 *
 * Regressions: `npm start` ran `sh -c "node …"`, so a SIGTERM to npm killed the shell and
 * orphaned the whole cluster; a doubled SIGINT (terminal + npm forwarding) killed `corral dev`
 * mid-shutdown; and the controller replaced instances the exiting executor had just stopped.
 *
 * A `corral dev` killed outright (SIGKILL: its controller dies with it) must not leave its
 * executor behind holding the data dir — the next start's executor could not lock it — while the
 * workloads keep running like under a real controller failure, and the next start re-attaches to
 * them: the same instances HEALTHY, the task still RUNNING, then Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { api } from '../helpers/api-client.ts';
import { captureOutput, trackTempDir } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { processesWhoseCommandLineIncludes } from '../helpers/process-scan.ts';
import { waitFor } from '../helpers/wait-for.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NODE = path.join(REPO, 'node_modules/.bin/node');
const HTTP_APP = path.join(REPO, 'test/apps/fixtures/http-app.ts');
const OP_SPEC = { timeout: '30 seconds', parallelism: 2, failureStrategy: 'STOP' };

/** Pids of live processes whose command line mentions `marker` (the run's data dir). */
const processesWith = (marker: string): number[] => processesWhoseCommandLineIncludes(marker).map((p) => p.pid);

const markers: string[] = [];
afterAll(() => {
  // Whatever a failed run left behind: only processes carrying this file's own markers.
  for (const marker of markers) for (const pid of processesWith(marker)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

interface NpmStart {
  child: ChildProcess;
  url: string;
  output: () => string;
}

async function npmStart(dataDir: string, port: number): Promise<NpmStart> {
  const child = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--data-dir', dataDir, '--executor-cores', '4'], {
    cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' },
  });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => output().includes(`corral dev cluster is up: ${url}`) || child.exitCode !== null, { timeoutMs: 30_000, message: 'corral dev banner' });
  if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output()}`);
  return { child, url, output };
}

async function startWorkloads(url: string, marker: string): Promise<string[]> {
  const admin = api(url);
  const spec = {
    name: 'web', version: '1', type: 'SERVICE',
    executable: { type: 'PROCESS', command: NODE },
    args: [HTTP_APP, `--marker=${marker}`],
    exposedPorts: [{ name: 'main', port: 8080, type: 'HTTP' }],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    healthcheck: { mode: { type: 'HTTP', portName: 'main', path: '/health', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '1 second', attempts: 3 },
    readiness: { mode: { type: 'HTTP', portName: 'main', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '200 ms', attempts: 50 },
  };
  expect((await admin.post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 2, opSpec: OP_SPEC })).status).toBe(200);
  const task = {
    sourceAppName: 'TEST_APP', taskId: 'long',
    executable: { type: 'PROCESS', command: NODE },
    args: ['-e', 'setInterval(() => {}, 1000)', marker],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
  };
  expect((await admin.post('/apis/v1/tasks/operations', { type: 'CREATE', spec: task, opSpec: OP_SPEC })).status).toBe(200);
  await waitFor(async () => (await admin.get('/apis/v1/applications/web-1')).body.data?.healthyInstances === 2, { timeoutMs: 30_000, message: 'two HEALTHY instances' });
  await waitFor(async () => (await admin.get('/apis/v1/tasks/TEST_APP/instances/long')).body.data?.state === 'RUNNING', { message: 'the task RUNNING' });
  // executor + 2 instances + the task, each at least one process carrying the marker
  expect(processesWith(marker).length).toBeGreaterThanOrEqual(4);
  return instanceIds(url);
}

async function instanceIds(url: string): Promise<string[]> {
  const instances = (await api(url).get('/apis/v1/applications/web-1/instances?state=HEALTHY')).body.data as { instanceId: string }[];
  return instances.map((i) => i.instanceId).sort();
}

/** The `corral dev` process of a run (its command line carries the run's data dir). */
function devProcessOf(marker: string): number {
  const dev = processesWhoseCommandLineIncludes(marker).find((p) => p.argv.includes('dev') && !p.argv.includes('executor'));
  if (!dev) throw new Error(`no corral dev process with ${marker}`);
  return dev.pid;
}

const executorsOf = (marker: string): number[] =>
  processesWhoseCommandLineIncludes(marker).filter((p) => p.argv.includes('executor')).map((p) => p.pid);

async function expectNothingLeft(run: NpmStart, marker: string): Promise<void> {
  await waitFor(() => run.child.exitCode !== null || run.child.signalCode !== null, { timeoutMs: 30_000, message: `npm start to exit:\n${run.output()}` });
  await waitFor(() => processesWith(marker).length === 0, {
    timeoutMs: 30_000,
    message: `no process of the run left (left: ${processesWith(marker).join(', ')})\n${run.output()}`,
  });
}

function newRun(): { dataDir: string; marker: string } {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'corral-dev-shutdown-'));
  trackTempDir(dataDir);
  markers.push(dataDir);
  return { dataDir, marker: dataDir };
}

describe('npm start stops everything it started', () => {
  it('Ctrl-C (SIGINT to the foreground process group) leaves no executor or workload behind', async () => {
    const { dataDir, marker } = newRun();
    const run = await npmStart(dataDir, await freePort());
    await startWorkloads(run.url, marker);
    process.kill(-run.child.pid!, 'SIGINT');
    await expectNothingLeft(run, marker);
  });

  it('SIGTERM to npm alone leaves nothing behind, and the next start shows the task ended by the shutdown', async () => {
    const { dataDir, marker } = newRun();
    const port = await freePort();
    const run = await npmStart(dataDir, port);
    await startWorkloads(run.url, marker);
    run.child.kill('SIGTERM');
    await expectNothingLeft(run, marker);

    const again = await npmStart(dataDir, port);
    try {
      const task = await waitFor(async () => {
        const data = (await api(again.url).get('/apis/v1/tasks/TEST_APP/instances/long')).body.data;
        return data?.state === 'STOPPED' ? data : undefined;
      }, { timeoutMs: 15_000, message: 'the task record to end' });
      expect(task.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    } finally {
      process.kill(-again.child.pid!, 'SIGINT');
      await expectNothingLeft(again, marker);
    }
  });

  it('SIGKILL of corral dev: its executor exits, workloads keep running, the next start re-attaches to them', async () => {
    const { dataDir, marker } = newRun();
    const port = await freePort();
    const run = await npmStart(dataDir, port);
    const before = await startWorkloads(run.url, marker);
    process.kill(devProcessOf(marker), 'SIGKILL');
    await waitFor(() => executorsOf(marker).length === 0, { timeoutMs: 15_000, message: 'the orphaned executor to exit' });
    const workloads = processesWith(marker);
    expect(workloads.length).toBeGreaterThanOrEqual(3);

    const again = await npmStart(dataDir, port);
    try {
      expect(again.output()).not.toMatch(/in use by another executor/);
      await waitFor(async () => (await instanceIds(again.url)).join() === before.join(), { timeoutMs: 20_000, message: `instances ${before.join(', ')} HEALTHY again` });
      expect((await api(again.url).get('/apis/v1/tasks/TEST_APP/instances/long')).body.data.state).toBe('RUNNING');
      for (const pid of workloads) expect(processesWith(marker)).toContain(pid);
    } finally {
      process.kill(-again.child.pid!, 'SIGINT');
      await expectNothingLeft(again, marker);
    }
  });
});
