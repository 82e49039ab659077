/**
 * Controller-side task lifecycle against a scripted executor (test/helpers/fake-executor.ts):
 * exact reports, reconnects and orphans that a real executor cannot produce on demand. The
 * controller, its store and HTTP API are real; the real-executor tests are in the other files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartTaskMessage, StopTaskMessage, ForgetMessage } from '../../src/api/channel-protocol.ts';
import type { ClusterEvent } from '../../src/api/cluster-types.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, getTask, killBody, processSpec, report, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;
let exec: FakeExecutor;
const events: ClusterEvent[] = [];

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule], config: { executorLostAfterMs: 1_000, killTimeoutMs: 1_000 } });
  controller.ctx!.events.subscribe((e) => events.push(e));
  exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: { name: 'scripted' } });
});
afterAll(stopAllTestProcesses);

function startFor(taskId: string): Promise<StartTaskMessage> {
  return exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === taskId);
}

describe('task lifecycle with a scripted executor', () => {
  it('walks PENDING → … → STOPPED from reports, emits events, forgets, finishes the operation', async () => {
    const admin = controller.api();
    const created = await admin.post('/apis/v1/tasks/operations', createBody(processSpec('t1', '/bin/true')));
    expect(created.status).toBe(200);
    expect(created.body.data.taskId).toBe('TEST_APP-t1');
    expect(created.body.data.operationId).toMatch(/^OP-/);
    const start = await startFor('t1');
    expect(start.allocation.cores).toHaveLength(1);
    expect(start.killTimeoutMs).toBe(1_000);
    const placed = await getTask(admin, 'TEST_APP', 't1');
    expect(placed).toMatchObject({ state: 'PENDING', executorId: exec.identity.executorId, hostname: 'fake-host', volumes: [], errorMessage: '', metadata: {} });
    for (const state of ['PROVISIONING', 'STARTING', 'RUNNING'] as const) exec.send({ type: 'taskUpdate', task: report(start.instanceId, 't1', state) });
    await waitForTaskState(admin, 'TEST_APP', 't1', ['RUNNING']);
    const list = await admin.get('/apis/v1/tasks');
    expect(list.body.data.map((t: { taskId: string }) => t.taskId)).toContain('t1');
    for (const state of ['RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED'] as const) {
      exec.send({ type: 'taskUpdate', task: report(start.instanceId, 't1', state, { taskResult: { status: 'SUCCESSFUL', exitCode: 0 } }) });
    }
    const done = await waitForTaskState(admin, 'TEST_APP', 't1', ['STOPPED']);
    expect(done.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    const forget = await exec.nextMessage<ForgetMessage>((m) => m.type === 'forget' && m.instanceIds.includes(start.instanceId));
    expect(forget.instanceIds).toContain(start.instanceId);
    const states = await waitFor(() => {
      const s = events.filter((e) => e.type === 'TASK_STATE_CHANGE' && e.metadata.TASK_ID === 't1').map((e) => e.metadata.CURRENT_STATE);
      return s.includes('STOPPED') ? s : undefined;
    });
    expect(states).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED']);
    const last = events.filter((e) => e.type === 'TASK_STATE_CHANGE' && e.metadata.TASK_ID === 't1').at(-1)!;
    expect(last.metadata).toMatchObject({ APP_NAME: 'TEST_APP', EXECUTOR_ID: exec.identity.executorId, EXECUTOR_HOST: 'fake-host', EXECUTABLE: '/bin/true', RESULT_STATUS: 'SUCCESSFUL', RESULT_EXIT_CODE: 0 });
    const op = await waitFor(async () => {
      const o = await controller.ctx!.store.getOperation(created.body.data.operationId);
      return o?.state === 'COMPLETED' ? o : undefined;
    });
    expect(op.result).toMatchObject({ kind: 'Status', status: 'success', details: { errorCount: 0 } });
    expect((await admin.get('/apis/v1/tasks')).body.data.map((t: { taskId: string }) => t.taskId)).not.toContain('t1');
    expect(controller.ctx!.ledger.isAllocated(start.instanceId)).toBe(false);
  });

  it('re-sends startTask after a reconnect when the executor never got it, and KILL sends stopTask', async () => {
    const admin = controller.api();
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('t2', '/bin/sleep', ['100'])));
    const start = await startFor('t2');
    exec.send({ type: 'taskUpdate', task: report(start.instanceId, 't2', 'RUNNING') });
    await waitForTaskState(admin, 'TEST_APP', 't2', ['RUNNING']);
    const kill = await admin.post('/apis/v1/tasks/operations', killBody('TEST_APP', 't2'));
    expect(kill.body).toMatchObject({ status: 'SUCCESS', data: { taskId: 't2' } });
    const again = await admin.post('/apis/v1/tasks/operations', killBody('TEST_APP', 't2'));
    expect(again.status).toBe(400);
    expect(again.body.data.validationErrors).toEqual(['Could not schedule job to stop the task.']);
    const stop = await exec.nextMessage<StopTaskMessage>((m) => m.type === 'stopTask' && m.instanceId === start.instanceId);
    expect(stop).toMatchObject({ mode: 'GRACEFUL', resultStatus: 'CANCELLED', killTimeoutMs: 1_000 });
    exec.send({ type: 'taskUpdate', task: report(start.instanceId, 't2', 'STOPPED', { taskResult: { status: 'CANCELLED', exitCode: -1 } }) });
    const done = await waitForTaskState(admin, 'TEST_APP', 't2', ['STOPPED']);
    expect(done).toMatchObject({ taskResult: { status: 'CANCELLED', exitCode: -1 }, terminatedBy: 'admin' });
    const finished = await admin.post('/apis/v1/tasks/operations', killBody('TEST_APP', 't2'));
    expect(finished.body.data.validationErrors).toEqual(['Either task does not exist or has already finished for TEST_APP/t2']);
  });

  it('marks tasks LOST when their executor is lost, and stops them if it comes back', async () => {
    const admin = controller.api();
    const other = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: { name: 'doomed', hostname: 'doomed-host', tags: ['doomed'] } });
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('t3', '/bin/sleep', ['100'], { placementPolicy: { type: 'MATCH_TAG', tag: 'doomed' } })));
    const start = await other.nextMessage<StartTaskMessage>((m) => m.type === 'startTask');
    other.send({ type: 'taskUpdate', task: report(start.instanceId, 't3', 'RUNNING') });
    await waitForTaskState(admin, 'TEST_APP', 't3', ['RUNNING']);
    other.socket.terminate();
    const lost = await waitForTaskState(admin, 'TEST_APP', 't3', ['LOST'], 10_000);
    expect(lost.taskResult).toEqual({ status: 'LOST', exitCode: -1 });
    expect(lost.errorMessage).toContain('doomed-host');
    // it comes back still running the task: the controller stops it, then records the true end
    const back = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: other.identity });
    back.send({ type: 'snapshot', tasks: [report(start.instanceId, 't3', 'RUNNING')], instances: [], time: Date.now() });
    const stop = await back.nextMessage<StopTaskMessage>((m) => m.type === 'stopTask' && m.instanceId === start.instanceId);
    expect(stop.resultStatus).toBe('CANCELLED');
    back.send({ type: 'taskUpdate', task: report(start.instanceId, 't3', 'STOPPED', { taskResult: { status: 'CANCELLED', exitCode: -1 } }) });
    await back.nextMessage((m) => m.type === 'forget');
    const after = await waitFor(async () => {
      const t = await getTask(admin, 'TEST_APP', 't3');
      return t?.events.some((e: { type: string }) => e.type === 'Reconciled') ? t : undefined;
    });
    expect(after.state).toBe('LOST');
    await back.close();
  });
});
