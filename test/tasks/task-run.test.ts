/**
 * Tasks end to end on a real controller and a real `corral executor` process running real
 * processes: results, failures, kill with no survivors, logs through the API, Drove's task-operation
 * payloads, maxRunDuration, placement timeout, abort.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, killBody, processSpec, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule], config: { killTimeoutMs: 5_000 } });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 8, memoryMb: 4096, name: 'runner' });
});
afterAll(stopAllTestProcesses);

const admin = () => controller.api();

async function create(spec: Record<string, unknown>, opSpec?: Record<string, unknown>) {
  const res = await admin().post('/apis/v1/tasks/operations', createBody(spec, opSpec));
  expect(res.body, JSON.stringify(res.body)).toMatchObject({ status: 'SUCCESS' });
  return res.body.data as { taskId: string; operationId: string };
}

async function logText(taskId: string): Promise<string> {
  const res = await admin().get(`/apis/v1/logfiles/tasks/TEST_APP/${taskId}/read/output.log?offset=0&length=65536`);
  return res.status === 200 ? res.body.data : '';
}

/** Whether a process exists and is not a zombie waiting to be reaped by init. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('process tasks on a real executor', () => {
  it('succeeds with exit code 0', async () => {
    await create(processSpec('ok', '/bin/true'));
    const task = await waitForTaskState(admin(), 'TEST_APP', 'ok', ['STOPPED', 'LOST']);
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 }, errorMessage: '' });
    expect(task.hostname).toBe('127.0.0.1');
    expect(task.executable).toEqual({ type: 'PROCESS', command: '/bin/true' });
    expect(task.resources).toHaveLength(2);
  });

  it('fails with its exit code', async () => {
    await create(processSpec('fails', '/bin/sh', ['-c', 'exit 3']));
    const task = await waitForTaskState(admin(), 'TEST_APP', 'fails', ['STOPPED', 'LOST']);
    expect(task.taskResult).toEqual({ status: 'FAILED', exitCode: 3 });
  });

  it('cannot start a missing command: FAILED -1 with the reason', async () => {
    await create(processSpec('missing', '/no/such/command'));
    const task = await waitForTaskState(admin(), 'TEST_APP', 'missing', ['STOPPED', 'LOST']);
    expect(task.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(task.errorMessage).toContain('/no/such/command');
  });

  it('is killed with no surviving process of its tree', async () => {
    await create(processSpec('tree', '/bin/sh', ['-c', 'sleep 100 & a=$!; sleep 100 & b=$!; echo "PIDS $$ $a $b"; wait']));
    await waitForTaskState(admin(), 'TEST_APP', 'tree', ['RUNNING']);
    const pids = await waitFor(async () => /PIDS (\d+) (\d+) (\d+)/.exec(await logText('tree')), { message: 'the pids in the log' });
    const numbers = pids.slice(1).map(Number);
    expect(numbers.every(alive)).toBe(true);
    const kill = await admin().post('/apis/v1/tasks/operations', killBody('TEST_APP', 'tree'));
    expect(kill.body.data.taskId).toBe('tree');
    const task = await waitForTaskState(admin(), 'TEST_APP', 'tree', ['STOPPED', 'LOST']);
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'CANCELLED', exitCode: -1 }, terminatedBy: 'admin' });
    expect(numbers.filter(alive)).toEqual([]);
  });

  it('serves its logs: list, read, tail offsets, download', async () => {
    await create(processSpec('logs', '/bin/sh', ['-c', 'echo line-one; echo line-two']));
    await waitForTaskState(admin(), 'TEST_APP', 'logs', ['STOPPED']);
    const base = '/apis/v1/logfiles/tasks/TEST_APP/logs';
    const list = await admin().get(`${base}/list`);
    expect(list.status).toBe(200);
    expect(list.body.files).toContain('output.log');
    const end = await admin().get(`${base}/read/output.log`);
    expect(end.body).toEqual({ data: '', offset: 18 });
    const all = await admin().get(`${base}/read/output.log?offset=0`);
    expect(all.body).toEqual({ data: 'line-one\nline-two\n', offset: 0 });
    const part = await admin().get(`${base}/read/output.log?offset=9&length=4`);
    expect(part.body).toEqual({ data: 'line', offset: 9 });
    const past = await admin().get(`${base}/read/output.log?offset=18`);
    expect(past.body).toEqual({ data: '', offset: 18 });
    const tailRecipe = await admin().get(`${base}/read/output.log?offset=-1&length=100`);
    expect(tailRecipe.body).toEqual({ data: '', offset: 18 });
    const download = await admin().get(`${base}/download/output.log`);
    expect(download.status).toBe(200);
    expect(download.text).toBe('line-one\nline-two\n');
    expect(download.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(download.headers.get('content-disposition')).toBe('attachment; filename=output.log');
    const renamed = await admin().get(`${base}/download/output.log?rename=true`);
    expect(renamed.headers.get('content-disposition')).toMatch(/^attachment; filename=TEST_APP_logs_output\.log-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/);
    const missing = await admin().get(`${base}/read/nope.log?offset=0`);
    // the executor's refusal, passed on as a client error (Drove's controller made it a 500)
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/nope\.log/);
    expect((await admin().get('/apis/v1/logfiles/tasks/TEST_APP/unknown/list')).status).toBe(204);
    expect((await admin().get('/apis/v1/logfiles/applications/app-1/AI-unknown/list')).status).toBe(204);
    const bad = await admin().get(`${base}/read/output.log?offset=abc`);
    expect(bad.status).toBe(400);
  });

  it('accepts Drove\'s task-operation payloads verbatim (with a PROCESS executable)', async () => {
    const headers = { 'Content-Type': 'application/json', Authorization: 'Basic YWRtaW46YWRtaW4=' };
    const spec = processSpec('T0012', '/bin/sleep', ['100']);
    const created = await fetch(`${controller.url}/apis/v1/tasks/operations`, {
      method: 'POST', headers, body: JSON.stringify({ type: 'CREATE', spec, opSpec: { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' } }),
    });
    const createdBody = await created.json();
    expect(createdBody).toMatchObject({ status: 'SUCCESS', data: { taskId: 'TEST_APP-T0012' }, message: 'success' });
    await waitForTaskState(admin(), 'TEST_APP', 'T0012', ['RUNNING']);
    const killed = await fetch(`${controller.url}/apis/v1/tasks/operations`, {
      method: 'POST', headers,
      body: `{
"type": "KILL",
"sourceAppName" : "TEST_APP",
"taskId" : "T0012",
"opSpec": {
"timeout": "5m",
"parallelism": 1,
"failureStrategy": "STOP"
}
}`,
    });
    expect(await killed.json()).toMatchObject({ status: 'SUCCESS', data: { taskId: 'T0012' }, message: 'success' });
    const task = await waitForTaskState(admin(), 'TEST_APP', 'T0012', ['STOPPED']);
    expect(task.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
  });

  it('stops a task that runs past maxRunDuration with TIMED_OUT', async () => {
    await create(processSpec('slow', '/bin/sleep', ['100'], { maxRunDuration: '1 second' }));
    const task = await waitForTaskState(admin(), 'TEST_APP', 'slow', ['STOPPED', 'LOST']);
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'TIMED_OUT', exitCode: -1 }, terminatedBy: 'corral' });
  });

  it('ends STOPPED/FAILED with the reason when no executor takes it within opSpec.timeout', async () => {
    await create(processSpec('holder', '/bin/sleep', ['100'], { sourceAppName: 'ONE_APP', placementPolicy: { type: 'ONE_PER_HOST' } }));
    await waitForTaskState(admin(), 'ONE_APP', 'holder', ['RUNNING']);
    await create(processSpec('blocked', '/bin/true', [], { sourceAppName: 'ONE_APP', placementPolicy: { type: 'ONE_PER_HOST' } }),
      { timeout: '1 second', parallelism: 1, failureStrategy: 'STOP' });
    const pending = await waitForTaskState(admin(), 'ONE_APP', 'blocked', ['PENDING', 'STOPPED']);
    expect(pending.hostname).toBe('');
    const task = await waitForTaskState(admin(), 'ONE_APP', 'blocked', ['STOPPED']);
    expect(task.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(task.errorMessage).toMatch(/^No executor could take the task within 1 second: .*ONE_PER_HOST/);
    await admin().post('/apis/v1/tasks/operations', killBody('ONE_APP', 'holder'));
    await waitForTaskState(admin(), 'ONE_APP', 'holder', ['STOPPED']);
  });

  it('aborts GRACEFUL (SIGTERM first) and FORCE (SIGKILL at once), and reports what it could not abort', async () => {
    const stubborn = ['-c', 'trap "echo got-term" TERM; echo started; while true; do sleep 0.05; done'];
    await create(processSpec('graceful', '/bin/sh', stubborn));
    await create(processSpec('forced', '/bin/sh', stubborn));
    await waitFor(async () => (await logText('graceful')).includes('started') && (await logText('forced')).includes('started'));
    const graceful = await admin().post('/apis/v1/tasks/abort', { tasks: [{ sourceAppName: 'TEST_APP', taskId: 'graceful' }, { sourceAppName: 'TEST_APP', taskId: 'nope' }, { sourceAppName: 'TEST_APP', taskId: 'ok' }], mode: 'graceful', deadline: '1 second' });
    expect(graceful.body.data.results).toEqual([
      { sourceAppName: 'TEST_APP', taskId: 'graceful', aborted: true },
      { sourceAppName: 'TEST_APP', taskId: 'nope', aborted: false, reason: 'No such task TEST_APP/nope' },
      { sourceAppName: 'TEST_APP', taskId: 'ok', aborted: false, reason: 'Task TEST_APP/ok has already finished (STOPPED)' },
    ]);
    const forced = await admin().post('/apis/v1/tasks/abort', { tasks: [{ sourceAppName: 'TEST_APP', taskId: 'forced' }], mode: 'FORCE' });
    expect(forced.body.data.results).toEqual([{ sourceAppName: 'TEST_APP', taskId: 'forced', aborted: true }]);
    const f = await waitForTaskState(admin(), 'TEST_APP', 'forced', ['STOPPED']);
    const g = await waitForTaskState(admin(), 'TEST_APP', 'graceful', ['STOPPED']);
    expect(f.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(g.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(await logText('graceful')).toContain('got-term');
    expect(await logText('forced')).not.toContain('got-term');
    const guest = await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/tasks/abort', {});
    expect(guest.status).toBe(403);
    const badMode = await admin().post('/apis/v1/tasks/abort', { mode: 'gently' });
    expect(badMode.status).toBe(400);
  });

  it('aborts every active task when no list is given', async () => {
    await create(processSpec('all-1', '/bin/sleep', ['100']));
    await create(processSpec('all-2', '/bin/sleep', ['100']));
    await waitForTaskState(admin(), 'TEST_APP', 'all-2', ['RUNNING']);
    const res = await admin().post('/apis/v1/tasks/abort', { mode: 'FORCE' });
    const aborted = res.body.data.results.filter((r: { aborted: boolean }) => r.aborted).map((r: { taskId: string }) => r.taskId);
    expect(aborted).toEqual(expect.arrayContaining(['all-1', 'all-2']));
    await waitForTaskState(admin(), 'TEST_APP', 'all-1', ['STOPPED']);
    await waitForTaskState(admin(), 'TEST_APP', 'all-2', ['STOPPED']);
    expect((await admin().get('/apis/v1/tasks')).body.data).toEqual([]);
  });
});
