/**
 * The executor agent end to end against a real WebSocket "controller" (test harness) and real
 * processes: registration, snapshots, the task state machine, results, stop with no surviving
 * descendants, configs, logs over the channel, forget.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskReport } from '../../src/api/channel-protocol.ts';
import { duration } from '../../src/common/durations.ts';
import { executorIdOf } from '../../src/common/ids.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { startExecutor, type ExecutorAgent } from '../../src/executor/agent/executor-agent.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { startTask, taskSpec } from './helpers/specs.ts';
import { eventually, survivors, tempDir } from './helpers/workload-fixtures.ts';

let controller: FakeController;
let agent: ExecutorAgent;
let dataDir: string;
let cleanup: () => Promise<void>;

const FULL_LIFECYCLE = ['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED'];
const stopped = (r: TaskReport) => r.state === 'STOPPED';
const taskDir = (instanceId: string) => path.join(dataDir, 'workloads', instanceId, 'work');

beforeAll(async () => {
  ({ dir: dataDir, cleanup } = await tempDir('corral-agent-'));
  controller = await FakeController.start({ snapshotIntervalMs: 150 });
  agent = await startExecutor({
    controllers: controller.url, secret: controller.secret, dataDir, port: 3101, hostname: 'exec-test.local',
    name: 'exec-a', tags: ['gpu'], labels: { zone: 'z1' }, rack: 'r1', cores: 4, memoryMb: 2048, logger: silentLogger,
  });
  await controller.waitFor((m) => m.type === 'snapshot');
});

afterAll(async () => {
  await agent?.stop({ killWorkloads: true });
  await controller?.close();
  await cleanup();
});

describe('registration', () => {
  it('says hello with its identity, then sends a snapshot at once and on the interval', async () => {
    const hello = controller.hellos[0];
    expect(hello.executor).toMatchObject({
      executorId: executorIdOf('exec-test.local', 3101), hostname: 'exec-test.local', port: 3101, transportType: 'HTTP',
      name: 'exec-a', tags: ['gpu'], labels: { zone: 'z1' }, rack: 'r1',
      layout: { cores: { '0': [0, 1, 2, 3] }, memory: { '0': 2048 } },
      version: '0.1.0',
    });
    expect(hello.executor.drivers).toContain('PROCESS');
    expect(controller.messages[0].type).toBe('hello');
    expect(controller.messages[1].type).toBe('snapshot');
    const count = controller.messages.filter((m) => m.type === 'snapshot').length;
    await controller.waitFor((m) => m.type === 'snapshot' && controller.messages.filter((x) => x.type === 'snapshot').length >= count + 2);
    expect(agent.isConnected()).toBe(true);
    expect(agent.executorState()).toBe('ACTIVE');
  });
});

describe('tasks', () => {
  it('runs a task to SUCCESSFUL through every state, with Drove env and args, and serves its logs', async () => {
    const spec = taskSpec('/bin/sh', ['-c', 'echo "task=$DROVE_TASK_ID app=$DROVE_SOURCE_APP_NAME host=$HOST id=$DROVE_INSTANCE_ID extra=$EXTRA arg=$0"', 'argzero'], { env: { EXTRA: 'yes' } });
    const id = startTask(controller, spec);
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect(final.errorMessage).toBe('');
    expect(final).toMatchObject({ sourceAppName: 'test-app', taskId: spec.taskId });
    expect(controller.statesOf(id)).toEqual(FULL_LIFECYCLE);
    expect(final.events.map((e) => e.type)).toEqual(expect.arrayContaining(['Received', 'Started', 'Terminated']));

    const list = await controller.request<{ files: string[] }>({ action: 'logs.list', target: { kind: 'task', instanceId: id } });
    expect(list).toMatchObject({ ok: true, data: { files: ['output.log'] } });
    const read = await controller.request<{ data: string; offset: number }>({ action: 'logs.read', target: { kind: 'task', instanceId: id }, fileName: 'output.log', offset: 0, length: -1 });
    expect(read.data!.data).toBe(`task=${spec.taskId} app=test-app host=exec-test.local id=${id} extra=yes arg=argzero\n`);
    const end = await controller.request<{ data: string; offset: number }>({ action: 'logs.read', target: { kind: 'task', instanceId: id }, fileName: 'output.log', offset: -1, length: -1 });
    expect(end.data).toEqual({ data: '', offset: Buffer.byteLength(read.data!.data) });
    const download = await controller.request<{ base64: string; size: number }>({ action: 'logs.download', target: { kind: 'task', instanceId: id }, fileName: '../../output.log' });
    expect(download).toMatchObject({ ok: false, status: 400 });
    const missing = await controller.request({ action: 'logs.list', target: { kind: 'task', instanceId: 'TI-nope' } });
    expect(missing).toMatchObject({ ok: false, status: 404 });
  });

  it('reports FAILED with the exit code', async () => {
    const id = startTask(controller, taskSpec('sh', ['-c', 'echo failing >&2; exit 3']));
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: 3 });
    expect(final.errorMessage).toBe('Task exited with exit code 3');
    expect(controller.statesOf(id)).toEqual(FULL_LIFECYCLE);
  });

  it('reports a command that cannot start as RUN_FAILED → FAILED -1 with the reason', async () => {
    const id = startTask(controller, taskSpec('/x/y'));
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(final.errorMessage).toBe('Command /x/y not found');
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUN_FAILED', 'DEPROVISIONING', 'STOPPED']);
  });

  it('stopTask kills the whole process tree, then reports CANCELLED or TIMED_OUT', async () => {
    const script = 'sleep 100 & echo $! >> pids; sh -c "sleep 100 & echo \\$! >> pids; wait" & echo $! >> pids; echo $$ >> pids; wait';
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', script]));
    await controller.waitForTask(id, (r) => r.state === 'RUNNING');
    const pids = await eventually(async () => {
      const list = (await readFile(path.join(taskDir(id), 'pids'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
      return list.length >= 4 ? list : undefined;
    });
    expect(await survivors(pids)).toHaveLength(4);
    controller.send({ type: 'stopTask', instanceId: id, mode: 'GRACEFUL', resultStatus: 'CANCELLED', reason: 'KILL by admin' });
    const final = await controller.waitForTask(id, stopped);
    expect(await survivors(pids)).toEqual([]);
    expect(final.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(final.errorMessage).toBe('Cancelled: KILL by admin');
    expect(controller.statesOf(id)).toEqual(FULL_LIFECYCLE);

    const late = startTask(controller, taskSpec('sleep', ['100']));
    await controller.waitForTask(late, (r) => r.state === 'RUNNING');
    controller.send({ type: 'stopTask', instanceId: late, mode: 'FORCE', resultStatus: 'TIMED_OUT', reason: 'maxRunDuration 1s passed' });
    expect((await controller.waitForTask(late, stopped)).taskResult).toEqual({ status: 'TIMED_OUT', exitCode: -1 });
  });

  it('a graceful stop escalates to SIGKILL after the kill timeout', async () => {
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', 'trap "" TERM; echo $$ > pid; sleep 100 & wait']));
    await controller.waitForTask(id, (r) => r.state === 'RUNNING');
    const pid = Number(await eventually(() => readFile(path.join(taskDir(id), 'pid'), 'utf8').catch(() => '')));
    const t0 = Date.now();
    controller.send({ type: 'stopTask', instanceId: id, mode: 'GRACEFUL', killTimeoutMs: 300, resultStatus: 'CANCELLED', reason: 'stop' });
    await controller.waitForTask(id, stopped);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await survivors([pid])).toEqual([]);
  });

  it('writes configs relative to the task directory (inline, host file, executor HTTP fetch)', async () => {
    const hostFile = path.join(os.tmpdir(), `corral-config-${process.pid}.txt`);
    await writeFile(hostFile, 'from-host\n');
    const server = http.createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) return res.writeHead(401).end();
      res.writeHead(200).end(`fetched ${req.method} ${req.url}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const spec = taskSpec('/bin/sh', ['-c', 'cat etc/app/app.yml host.txt conf/fetched.txt']);
      spec.configs = [
        { type: 'INLINE', localFilename: '/etc/app/app.yml', data: Buffer.from('port: 8080\n').toString('base64') },
        { type: 'EXECUTOR_LOCAL_FILE', localFilename: 'host.txt', filePathOnHost: hostFile },
        {
          type: 'EXECUTOR_HTTP_FETCH', localFilename: 'conf/fetched.txt',
          http: {
            protocol: 'HTTP', hostname: '127.0.0.1', port, path: '/cfg?x=1', verb: 'GET', successCodes: [200],
            connectionTimeout: duration('1s'), operationTimeout: duration('2s'), username: 'u', password: 'p', insecure: false,
          },
        },
      ];
      const id = startTask(controller, spec);
      const final = await controller.waitForTask(id, stopped);
      expect(final.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
      expect(await readFile(path.join(dataDir, 'workloads', id, 'output.log'), 'utf8')).toBe('port: 8080\nfrom-host\nfetched GET /cfg?x=1\n');
      expect(await readFile(path.join(taskDir(id), 'etc/app/app.yml'), 'utf8')).toBe('port: 8080\n');
    } finally {
      server.close();
    }
  });

  it('refuses configs that escape the task directory and fetches that fail (PROVISIONING_FAILED)', async () => {
    const escape = taskSpec('true');
    escape.configs = [{ type: 'INLINE', localFilename: '../../../etc/evil', data: 'eA==' }];
    const id = startTask(controller, escape);
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(final.errorMessage).toMatch(/escapes the task directory/);
    expect(controller.statesOf(id)).toEqual(['PENDING', 'PROVISIONING_FAILED', 'DEPROVISIONING', 'STOPPED']);

    const missing = taskSpec('true');
    missing.configs = [{ type: 'EXECUTOR_LOCAL_FILE', localFilename: 'x', filePathOnHost: '/no/such/file' }];
    const id2 = startTask(controller, missing);
    expect((await controller.waitForTask(id2, stopped)).errorMessage).toBe('config x: cannot copy /no/such/file from the executor host: no such file');
  });

  it('a repeated startTask does not start the task twice; forget drops it from snapshots but keeps its logs', async () => {
    const spec = taskSpec('/bin/sh', ['-c', 'echo run >> ../runs; echo once']);
    const id = startTask(controller, spec);
    await controller.waitForTask(id, stopped);
    controller.send({ type: 'startTask', instanceId: id, spec, allocation: { numaNode: '0', cores: [0], memoryMB: 64 }, killTimeoutMs: 1000 });
    await controller.waitFor((m) => m.type === 'taskUpdate' && m.task.instanceId === id && controller.messages.filter((x) => x.type === 'taskUpdate' && x.task.instanceId === id).length > FULL_LIFECYCLE.length);
    expect(await readFile(path.join(dataDir, 'workloads', id, 'runs'), 'utf8')).toBe('run\n');
    expect(agent.snapshot().tasks.some((t) => t.instanceId === id)).toBe(true);
    controller.send({ type: 'forget', instanceIds: [id] });
    await eventually(() => !agent.snapshot().tasks.some((t) => t.instanceId === id));
    const read = await controller.request<{ data: string }>({ action: 'logs.read', target: { kind: 'task', instanceId: id }, fileName: 'output.log', offset: 0, length: -1 });
    expect(read.data!.data).toBe('once\n');
  });

  it('a task stopped before it started ends STOPPED with CANCELLED', async () => {
    const spec = taskSpec('sleep', ['100']);
    spec.configs = [{
      type: 'EXECUTOR_HTTP_FETCH', localFilename: 'slow',
      // 10.255.255.1 does not answer: the fetch hangs in PENDING until the stop aborts it.
      http: { protocol: 'HTTP', hostname: '10.255.255.1', port: 9, path: '/', verb: 'GET', successCodes: [200], connectionTimeout: duration('30s'), operationTimeout: duration('30s'), insecure: false },
    }];
    const id = startTask(controller, spec);
    await controller.waitForTask(id, (r) => r.state === 'PENDING');
    controller.send({ type: 'stopTask', instanceId: id, mode: 'FORCE', resultStatus: 'CANCELLED', reason: 'changed my mind' });
    const final = await controller.waitForTask(id, stopped);
    expect(final.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(controller.statesOf(id)).toEqual(['PENDING', 'STOPPED']);
  });
});

describe('shutdown', () => {
  it('refuses starts that arrive while it stops its workloads on exit, so none outlives it', async () => {
    const own = await tempDir('corral-agent-exit-');
    const exiting = await startExecutor({
      controllers: controller.url, secret: controller.secret, dataDir: own.dir, port: 3102, hostname: 'exec-exit.local',
      cores: 2, memoryMb: 512, logger: silentLogger, killWorkloadsOnExit: true,
    });
    try {
      await controller.waitFor((m) => m.type === 'snapshot' && m.tasks.length === 0 && controller.hellos.some((h) => h.executor.port === 3102));
      // A task that takes ~1 s to die after SIGTERM keeps the shutdown busy.
      const slow = startTask(controller, taskSpec('/bin/sh', ['-c', 'trap "sleep 1; exit 0" TERM; while true; do sleep 0.05; done']), 5_000);
      await controller.waitForTask(slow, (r) => r.state === 'RUNNING');
      const stopping = exiting.stop();
      await controller.waitForTask(slow, (r) => r.events.some((e) => e.type === 'Killing'));
      const late = startTask(controller, taskSpec('/bin/sh', ['-c', 'echo started > ../late; sleep 100']));
      const refused = await controller.waitForTask(late, stopped);
      expect(refused.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
      expect(refused.errorMessage).toBe('Not started: the executor is shutting down');
      expect(controller.statesOf(late)).toEqual(['PROVISIONING_FAILED', 'STOPPED']);
      await stopping;
      await expect(readFile(path.join(own.dir, 'workloads', late, 'late'), 'utf8')).rejects.toThrow(/ENOENT/);
    } finally {
      await exiting.stop();
      await own.cleanup();
    }
  });
});
