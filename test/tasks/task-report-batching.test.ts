/**
 * The controller's side of batched reports: a `taskUpdates` frame (several states of a task in
 * one burst) is persisted in one write of the record, and still yields one TASK_STATE_CHANGE
 * per state, in order. Real controller, store and HTTP API; a scripted executor sends the
 * exact frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartTaskMessage } from '../../src/api/channel-protocol.ts';
import type { ClusterEvent } from '../../src/api/cluster-types.ts';
import type { TaskRecord } from '../../src/api/task-types.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, report, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;
let exec: FakeExecutor;
const events: ClusterEvent[] = [];
/** Every version of task `taskId` written to the store, in order. */
const writes: TaskRecord[] = [];

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule] });
  controller.ctx!.events.subscribe((e) => events.push(e));
  const store = controller.ctx!.store;
  const updateTask = store.updateTask.bind(store);
  const updateTasks = store.updateTasks.bind(store);
  store.updateTask = (record) => {
    writes.push(record);
    return updateTask(record);
  };
  store.updateTasks = (records) => {
    writes.push(...records);
    return updateTasks(records);
  };
  exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: { name: 'batching' } });
});
afterAll(stopAllTestProcesses);

function statesOf(taskId: string): unknown[] {
  return events.filter((e) => e.type === 'TASK_STATE_CHANGE' && e.metadata.TASK_ID === taskId).map((e) => e.metadata.CURRENT_STATE);
}

describe('batched task reports', () => {
  it('are announced to executors in welcome', () => {
    expect(exec.welcome?.features).toContain('taskUpdates');
  });

  it('write a burst of states once and emit every state in order', async () => {
    const admin = controller.api();
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('b1', '/bin/true')));
    const start = await exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === 'b1');
    const received = { time: Date.now(), type: 'Received', message: 'Task received by the executor' };
    exec.send({
      type: 'taskUpdates',
      tasks: [
        report(start.instanceId, 'b1', 'PENDING', { events: [received] }),
        report(start.instanceId, 'b1', 'PROVISIONING'),
        report(start.instanceId, 'b1', 'STARTING', { events: [received] }),
      ],
    });
    await waitForTaskState(admin, 'TEST_APP', 'b1', ['STARTING']);
    const burst = writes.filter((w) => w.taskId === 'b1');
    expect(burst.map((w) => w.state)).toEqual(['STARTING']);
    expect(burst[0].events.map((e) => e.type)).toEqual(['Accepted', 'Placed', 'Received']);

    const result = { taskResult: { status: 'FAILED' as const, exitCode: 4 }, errorMessage: 'Task exited with exit code 4' };
    exec.send({ type: 'taskUpdates', tasks: [report(start.instanceId, 'b1', 'RUNNING')] });
    await waitForTaskState(admin, 'TEST_APP', 'b1', ['RUNNING']);
    exec.send({
      type: 'taskUpdates',
      tasks: (['RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED'] as const).map((state) => report(start.instanceId, 'b1', state, result)),
    });
    const done = await waitForTaskState(admin, 'TEST_APP', 'b1', ['STOPPED']);
    expect(done).toMatchObject({ taskResult: { status: 'FAILED', exitCode: 4 }, errorMessage: 'Task exited with exit code 4' });
    expect(writes.filter((w) => w.taskId === 'b1').map((w) => w.state)).toEqual(['STARTING', 'RUNNING', 'STOPPED']);
    const states = await waitFor(() => (statesOf('b1').includes('STOPPED') ? statesOf('b1') : undefined));
    expect(states).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'DEPROVISIONING', 'STOPPED']);
    const stopped = events.find((e) => e.type === 'TASK_STATE_CHANGE' && e.metadata.TASK_ID === 'b1' && e.metadata.CURRENT_STATE === 'STOPPED')!;
    expect(stopped.metadata).toMatchObject({ RESULT_STATUS: 'FAILED', RESULT_EXIT_CODE: 4 });
    await exec.nextMessage((m) => m.type === 'forget' && m.instanceIds.includes(start.instanceId));
  });

  it('still accept one taskUpdate per frame (older executors)', async () => {
    const admin = controller.api();
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('b2', '/bin/true')));
    const start = await exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === 'b2');
    for (const state of ['PROVISIONING', 'STARTING', 'RUNNING'] as const) {
      exec.send({ type: 'taskUpdate', task: report(start.instanceId, 'b2', state) });
      await waitForTaskState(admin, 'TEST_APP', 'b2', [state]);
    }
    exec.send({ type: 'taskUpdate', task: report(start.instanceId, 'b2', 'STOPPED', { taskResult: { status: 'SUCCESSFUL', exitCode: 0 } }) });
    await waitForTaskState(admin, 'TEST_APP', 'b2', ['STOPPED']);
    const states = await waitFor(() => (statesOf('b2').includes('STOPPED') ? statesOf('b2') : undefined));
    expect(states).toEqual(['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPED']);
  });
});
