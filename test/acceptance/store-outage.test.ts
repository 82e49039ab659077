/**
 * A store that cannot take writes (SQLite on a tmpfs that fills up) never crashes the controller:
 * writes answer 503 in the Drove envelope while it is full, reads keep working, the outage is
 * logged once, an operation in flight pauses and finishes once space is back, and a task whose
 * config fetch completed during the outage is started after it.
 *
 * Real controller (a child process, so a crash would show as its exit), real executor, real
 * processes, a real tmpfs (mounting one needs root, as CI runs; without root the test says so).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';

const isRoot = process.getuid?.() === 0;
let mountDir = '';
let controller: TestController;
let configServer: http.Server;
let releaseConfig: () => void = () => undefined;
/** Whether the controller's config fetch has reached the config server (and is held there). */
let configRequested: () => boolean = () => false;
const filler = () => path.join(mountDir, 'filler');

/** Fills the tmpfs until the kernel refuses another byte. */
function fillDisk(): void {
  // `head` stops at ENOSPC; the tmpfs is then full to its last block.
  const done = execFileSync('sh', ['-c', `head -c 100000000 /dev/zero > ${filler()} 2>/dev/null; echo done`]).toString();
  expect(done.trim()).toBe('done');
  expect(() => writeFileSync(path.join(mountDir, 'one-more'), Buffer.alloc(8192))).toThrow(/ENOSPC/);
}

beforeAll(async () => {
  if (!isRoot) return;
  mountDir = mkdtempSync(path.join(tmpdir(), 'corral-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountDir]);
  let held: http.ServerResponse | undefined;
  configServer = http.createServer((_request, response) => {
    held = response;
  });
  releaseConfig = () => held?.end('config-body');
  configRequested = () => held !== undefined;
  await new Promise<void>((resolve) => configServer.listen(0, '127.0.0.1', resolve));
  controller = await startTestController({
    mode: 'child',
    config: { store: `sqlite:${path.join(mountDir, 'controller.db')}`, snapshotIntervalMs: 1_000, killTimeoutMs: 1_000 },
  });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 4 });
}, 60_000);

afterAll(async () => {
  await stopAllTestProcesses();
  configServer?.close();
  if (mountDir) {
    execFileSync('umount', ['-l', mountDir]);
    rmSync(mountDir, { recursive: true, force: true });
  }
});

describe.skipIf(!isRoot)('a store that runs out of disk', () => {
  it('answers writes with 503, keeps serving reads, pauses and resumes work, and never crashes', async () => {
    const api = controller.api();
    // An app scaling slowly (one instance at a time) and a task whose config fetch is pending.
    const app = await api.post('/apis/v1/applications/operations', {
      type: 'CREATE', spec: httpAppSpec('outage', 'store-outage'), opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
    });
    expect(app.body.status).toBe('SUCCESS');
    const { port } = configServer.address() as AddressInfo;
    const fetched = processSpec('fetched', '/bin/sh', ['-c', 'test "$(cat cfg.txt)" = config-body'], {
      configs: [{
        type: 'CONTROLLER_HTTP_FETCH', localFilename: 'cfg.txt',
        // The response is held until the disk is full: longer than the default 2 s on a loaded machine.
        http: { protocol: 'HTTP', hostname: '127.0.0.1', port, path: '/cfg', verb: 'GET', successCodes: [200], operationTimeout: '60 seconds' },
      }],
    });
    expect((await api.post('/apis/v1/tasks/operations', createBody(fetched))).body.status).toBe('SUCCESS');
    const scale = await api.post('/apis/v1/applications/operations', {
      type: 'SCALE', appId: 'outage-1', requiredInstances: 3, opSpec: { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' },
    });
    expect(scale.body.status).toBe('SUCCESS');

    // The fetch starts when the task is placed, a moment after its CREATE is answered (longer on
    // a loaded machine): released before it arrived, it would hang until its own timeout.
    await waitFor(() => configRequested(), { timeoutMs: 15_000, message: 'the config fetch held at the config server' });
    fillDisk();
    releaseConfig(); // the fetched task now wants to be written and started while the disk is full

    const refused = await waitFor(async () => {
      const reply = await api.post('/apis/v1/tasks/operations', createBody(processSpec('during', '/bin/true')));
      return reply.status === 503 ? reply : undefined;
    }, { timeoutMs: 15_000, message: 'a write refused with 503' });
    expect(refused.body).toMatchObject({ status: 'FAILED' });
    expect(refused.body.message).toMatch(/store is unavailable \(.*full.*\); nothing was changed/);
    expect((await api.get('/apis/v1/applications/outage-1')).status).toBe(200);
    expect((await api.get('/apis/v1/ping')).status).toBe(200);

    rmSync(filler());
    // Writes are taken again, and what was in flight finishes.
    await waitFor(async () => (await api.post('/apis/v1/tasks/operations', createBody(processSpec('after', '/bin/true')))).body.status === 'SUCCESS',
      { timeoutMs: 20_000, message: 'writes accepted again' });
    const task = await waitForTaskState(api, 'TEST_APP', 'fetched', ['STOPPED'], 30_000);
    expect(task.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    const during = await api.get('/apis/v1/tasks/TEST_APP/instances/during');
    expect(during.body.status).toBe('FAILED'); // refused means not created
    const op = await waitFor(async () => {
      const { body } = await api.get(`/apis/v1/operations/${scale.body.data.operationId}`);
      return body.data.state === 'COMPLETED' ? body.data : undefined;
    }, { timeoutMs: 60_000, message: 'the scale to finish' });
    expect(op.messages.map((m: { message: string }) => m.message).join('\n')).toMatch(/Paused: the store is unavailable[\s\S]*Resumed: the store is available again/);
    expect((await api.get('/apis/v1/applications/outage-1')).body.data).toMatchObject({ healthyInstances: 3, state: 'RUNNING' });

    expect(controller.child?.exitCode).toBeNull();
    const logs = controller.output();
    expect(logs.match(/store unavailable/g)).toHaveLength(1);
    expect(logs.match(/store available again/g)).toHaveLength(1);
    expect(logs).not.toMatch(/could not persist|unhandled|Unexpected Server error/i);
  }, 180_000);
});
