/**
 * `corral dev` stopped by a signal to its whole process group — what Ctrl-C, systemd and test
 * harnesses do — stops every workload it started, every time (docs/security.md, "corral dev").
 *
 * The finding: after one group SIGTERM the executor logged `corral dev went away; exiting,
 * workloads keep running for the next one` instead of `SIGTERM: executor shutting down (stopping
 * workloads)`, leaving an app instance and its spawn helper running: the executor's parent-death
 * path (meant for a `corral dev` killed outright) and its signal path raced, and parent death
 * won whenever `corral dev` was gone before its SIGTERM reached the executor. The other cases
 * force that order with the test as the executor's parent: once `corral dev` has said it is
 * stopping, its death stops the workloads like its SIGTERM would; killed outright before any stop
 * began, the workloads survive (as test/acceptance/dev-shutdown.test.ts shows end to end).
 *
 * Also checked on the same cluster: the executors get the cluster secret by environment, not on
 * their command line (readable by every user through ps), and `/metrics` needs no credentials
 * in `corral dev`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEV_CLUSTER_SECRET } from '../../src/controller/config.ts';
import { DEV_STOPPING } from '../../src/common/dev-ipc.ts';
import { api } from '../helpers/api-client.ts';
import { captureOutput, stopAllTestProcesses, trackTempDir } from '../helpers/child-processes.ts';
import { startTestController } from '../helpers/test-controller.ts';
import { freePort } from '../helpers/free-port.ts';
import { processesWhoseCommandLineIncludes } from '../helpers/process-scan.ts';
import { waitFor } from '../helpers/wait-for.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NODE = path.join(REPO, 'node_modules/.bin/node');
const HTTP_APP = path.join(REPO, 'test/apps/fixtures/http-app.ts');
const OP_SPEC = { timeout: '30 seconds', parallelism: 1, failureStrategy: 'STOP' };

const processesWith = (marker: string) => processesWhoseCommandLineIncludes(marker);
const markers: string[] = [];
afterAll(stopAllTestProcesses);
afterAll(() => {
  for (const marker of markers) for (const { pid } of processesWith(marker)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

interface Dev { child: ChildProcess; url: string; marker: string; output: () => string }

/** `corral dev` as the leader of its own process group, with one app instance and one task running. */
async function startDevWithWorkloads(): Promise<Dev> {
  const marker = mkdtempSync(path.join(tmpdir(), 'corral-dev-group-'));
  trackTempDir(marker);
  markers.push(marker);
  const port = await freePort();
  const child = spawn(NODE, ['bin/corral.js', 'dev', '--port', String(port), '--data-dir', marker, '--executor-cores', '4'], {
    cwd: REPO, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CORRAL_LOG_LEVEL: 'warn' },
  });
  const output = captureOutput(child);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => output().includes('corral dev cluster is up') || child.exitCode !== null, { timeoutMs: 30_000, message: 'the dev banner' });
  const admin = api(url);
  const app = {
    name: 'web', version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: NODE }, args: [HTTP_APP, `--marker=${marker}`],
    exposedPorts: [{ name: 'main', port: 8080, type: 'HTTP' }], resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    healthcheck: { mode: { type: 'HTTP', portName: 'main', path: '/health', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '1 second', attempts: 3 },
    readiness: { mode: { type: 'HTTP', portName: 'main', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '1 second', interval: '200 ms', attempts: 50 },
  };
  expect((await admin.post('/apis/v1/applications/operations', { type: 'CREATE', spec: app, instances: 1, opSpec: OP_SPEC })).status).toBe(200);
  const task = {
    sourceAppName: 'TEST_APP', taskId: 'long', executable: { type: 'PROCESS', command: NODE }, args: ['-e', 'setInterval(() => {}, 1000)', marker],
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
  };
  expect((await admin.post('/apis/v1/tasks/operations', { type: 'CREATE', spec: task, opSpec: OP_SPEC })).status).toBe(200);
  await waitFor(async () => (await admin.get('/apis/v1/applications/web-1')).body.data?.healthyInstances === 1, { timeoutMs: 30_000, message: 'a HEALTHY instance' });
  await waitFor(async () => (await admin.get('/apis/v1/tasks/TEST_APP/instances/long')).body.data?.state === 'RUNNING', { message: 'the task RUNNING' });
  return { child, url, marker, output };
}

async function expectNothingLeft(dev: Dev): Promise<void> {
  await waitFor(() => dev.child.exitCode !== null || dev.child.signalCode !== null, { timeoutMs: 30_000, message: `corral dev to exit:\n${dev.output()}` });
  await waitFor(() => processesWith(dev.marker).length === 0, {
    timeoutMs: 30_000,
    message: `no process of the run left (left: ${processesWith(dev.marker).map((p) => p.argv.join(' ')).join('; ')})\n${dev.output()}`,
  });
}

describe('corral dev and a signal to its process group', () => {
  it('SIGTERM to the group stops every workload; the secret is not on any command line; /metrics is open', async () => {
    const dev = await startDevWithWorkloads();
    expect((await api(dev.url, false).get('/metrics')).status).toBe(200);
    const executor = processesWith(dev.marker).find((p) => p.argv.includes('executor'));
    expect(executor).toBeDefined();
    expect(executor!.argv.join(' ')).not.toContain(DEV_CLUSTER_SECRET);
    expect(executor!.argv).not.toContain('--secret');

    process.kill(-dev.child.pid!, 'SIGTERM');
    await expectNothingLeft(dev);
    expect(dev.output()).toContain('SIGTERM: executor shutting down (stopping workloads)');
    expect(dev.output()).not.toContain('workloads keep running');
  });

  it.each(['stopping', 'crashed'] as const)('an executor whose corral dev dies (%s) stops its workloads only if a stop had begun', async (mode) => {
    // This test process plays corral dev: the executor's parent, holding the IPC channel it
    // watches. Its death with no SIGTERM at all is the order that used to lose the race.
    const controller = await startTestController();
    const dataDir = mkdtempSync(path.join(tmpdir(), `corral-dev-parent-${mode}-`));
    trackTempDir(dataDir);
    markers.push(dataDir);
    const child = spawn(NODE, ['bin/corral.js', 'executor', '--controller', controller.url, '--port', String(await freePort()),
      '--data-dir', dataDir, '--kill-workloads-on-exit'], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, CORRAL_CLUSTER_SECRET: controller.config.clusterSecret, CORRAL_LOG_LEVEL: 'warn' },
    });
    const output = captureOutput(child);
    await waitFor(async () => ((await controller.api().get('/apis/v1/cluster/executors')).body.data as unknown[]).length === 1, { message: `registered:\n${output()}` });
    const task = {
      sourceAppName: 'TEST_APP', taskId: mode, executable: { type: 'PROCESS', command: NODE }, args: ['-e', 'setInterval(() => {}, 1000)', dataDir],
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
    };
    expect((await controller.api().post('/apis/v1/tasks/operations', { type: 'CREATE', spec: task, opSpec: OP_SPEC })).status).toBe(200);
    await waitFor(async () => (await controller.api().get(`/apis/v1/tasks/TEST_APP/instances/${mode}`)).body.data?.state === 'RUNNING', { message: 'the task RUNNING' });
    const workload = () => processesWith(dataDir).filter((p) => p.argv.includes('-e'));
    expect(workload()).toHaveLength(1);

    if (mode === 'stopping') {
      child.send(DEV_STOPPING);
      await waitFor(() => output().includes('corral dev is stopping'), { message: 'the executor told' });
    }
    child.disconnect();
    await waitFor(() => child.exitCode !== null, { timeoutMs: 20_000, message: `the executor to exit:\n${output()}` });
    if (mode === 'stopping') {
      expect(output()).toContain('corral dev went away while stopping; stopping workloads');
      expect(workload()).toEqual([]);
    } else {
      expect(output()).toContain('corral dev went away; exiting, workloads keep running for the next one');
      expect(workload()).toHaveLength(1);
    }
  });
});
