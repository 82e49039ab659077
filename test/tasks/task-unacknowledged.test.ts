/**
 * A task its executor never acknowledged can always be ended: KILL, graceful and forced abort
 * end it at the controller (CANCELLED, with the reason) and free its cores, and a start left
 * unacknowledged past `startAckTimeout` fails — also after a controller restart. The executor
 * is scripted (test/helpers/fake-executor.ts) because a real one acknowledges every start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartTaskMessage, StopTaskMessage } from '../../src/api/channel-protocol.ts';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, fakeIdentity, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, killBody, processSpec, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;
let exec: FakeExecutor;
const identity = fakeIdentity({ name: 'mute', hostname: 'mute-host' }, 2);

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule], config: { startAckTimeoutMs: 1_500, killTimeoutMs: 1_000 } });
  exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity });
});
afterAll(stopAllTestProcesses);

/** Creates a task and waits until the mute executor got its start (which it never acknowledges). */
async function placed(taskId: string): Promise<StartTaskMessage> {
  const reply = await controller.api().post('/apis/v1/tasks/operations', createBody(processSpec(taskId, '/bin/sleep', ['60'])));
  expect(reply.body.status).toBe('SUCCESS');
  return exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === taskId);
}

async function usedCores(): Promise<number> {
  const { body } = await controller.api().get('/apis/v1/cluster/executors');
  return body.data.find((e: { executorId: string }) => e.executorId === identity.executorId).usedCores;
}

describe('a start its executor never acknowledged', () => {
  it('is ended by KILL, by a forced and by a graceful abort, each freeing its core', async () => {
    const api = controller.api();
    const a = await placed('mute-kill');
    expect(await usedCores()).toBe(1);
    expect((await api.post('/apis/v1/tasks/operations', killBody('TEST_APP', 'mute-kill'))).body.status).toBe('SUCCESS');
    const killed = await waitForTaskState(api, 'TEST_APP', 'mute-kill', ['STOPPED']);
    expect(killed.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(killed.errorMessage).toMatch(/^Stopped before executor mute acknowledged its start: KILL by admin/);
    // and the executor is told to stop it, in case the start reaches it after all
    await exec.nextMessage<StopTaskMessage>((m) => m.type === 'stopTask' && m.instanceId === a.instanceId);
    await waitFor(async () => (await usedCores()) === 0, { message: 'the core to be freed' });

    await placed('mute-force');
    const ops = await api.get('/apis/v1/operations?state=ACTIVE&type=CREATE');
    const op = ops.body.data.find((o: { target: { taskId?: string } }) => o.target.taskId === 'mute-force');
    const force = await api.post('/apis/v1/operations/abort', { operationIds: [op.operationId], mode: 'FORCE' });
    expect(force.body.data.results).toEqual([{ operationId: op.operationId, aborted: true }]);
    expect((await waitForTaskState(api, 'TEST_APP', 'mute-force', ['STOPPED'])).taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    await waitFor(async () => (await api.get(`/apis/v1/operations/${op.operationId}`)).body.data.state === 'CANCELLED');

    await placed('mute-graceful');
    const graceful = await api.post('/apis/v1/tasks/abort', { tasks: [{ sourceAppName: 'TEST_APP', taskId: 'mute-graceful' }], mode: 'GRACEFUL' });
    expect(graceful.body.data.results).toEqual([{ sourceAppName: 'TEST_APP', taskId: 'mute-graceful', aborted: true }]);
    const ended = await waitForTaskState(api, 'TEST_APP', 'mute-graceful', ['STOPPED']);
    expect(ended.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    await waitFor(async () => (await usedCores()) === 0, { message: 'the cores to be freed' });
  });

  it('fails once its acknowledgement deadline passes, also across a controller restart', async () => {
    const api = controller.api();
    await placed('mute-deadline');
    const failed = await waitForTaskState(api, 'TEST_APP', 'mute-deadline', ['STOPPED'], 10_000);
    expect(failed.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(failed.errorMessage).toBe('Executor mute did not acknowledge the start within 2 s');

    await placed('mute-restart');
    await exec.close();
    controller = await controller.restart();
    exec = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity });
    exec.send({ type: 'snapshot', instances: [], tasks: [], time: Date.now() }); // it runs nothing: the start is sent again
    await exec.nextMessage<StartTaskMessage>((m) => m.type === 'startTask' && m.spec.taskId === 'mute-restart');
    const after = await waitForTaskState(controller.api(), 'TEST_APP', 'mute-restart', ['STOPPED'], 10_000);
    expect(after.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    await waitFor(async () => (await usedCores()) === 0, { message: 'the core to be freed' });
  });
});
