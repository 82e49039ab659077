/**
 * Task operations through the operations API (docs/operations.md): they are listed and read like app
 * operations, and `/operations/abort` hands them to the tasks module. Real controller (both
 * modules), one real executor, real processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';

let controller: TestController;

beforeAll(async () => {
  controller = await startTestController({ config: { killTimeoutMs: 1_000 } });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 4 });
});
afterAll(stopAllTestProcesses);

async function taskOperation(taskId: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return waitFor(async () => {
    const { body } = await controller.api().get('/apis/v1/operations?state=ACTIVE&type=CREATE');
    return body.data.find((o: { target: { kind: string; taskId?: string } }) => o.target.kind === 'task' && o.target.taskId === taskId);
  });
}

describe('task operations', () => {
  it('are listed, readable and FORCE-abortable by operation id', async () => {
    const api = controller.api();
    expect((await api.post('/apis/v1/tasks/operations', createBody(processSpec('sleepy', '/bin/sleep', ['60'])))).body.status).toBe('SUCCESS');
    await waitForTaskState(api, 'TEST_APP', 'sleepy', ['RUNNING']);
    const op = await taskOperation('sleepy');
    expect(op).toMatchObject({ type: 'CREATE', state: 'RUNNING', target: { kind: 'task', sourceAppName: 'TEST_APP', taskId: 'sleepy' } });
    const { body } = await api.post('/apis/v1/operations/abort', { operationIds: [op.operationId], mode: 'FORCE' });
    expect(body.data.results).toEqual([{ operationId: op.operationId, aborted: true }]);
    const task = await waitForTaskState(api, 'TEST_APP', 'sleepy', ['STOPPED']);
    expect(task.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    await waitFor(async () => (await api.get(`/apis/v1/operations/${op.operationId}`)).body.data.state === 'CANCELLED');
  });

  it('abort-all reaches task and app operations alike; finished task operations are refused', async () => {
    const api = controller.api();
    await api.post('/apis/v1/tasks/operations', createBody(processSpec('sleepy-2', '/bin/sleep', ['60'])));
    await waitForTaskState(api, 'TEST_APP', 'sleepy-2', ['RUNNING']);
    const op = await taskOperation('sleepy-2');
    const { body } = await api.post('/apis/v1/operations/abort', { mode: 'GRACEFUL', deadline: '1s' });
    expect(body.data.results).toContainEqual({ operationId: op.operationId, aborted: true });
    await waitForTaskState(api, 'TEST_APP', 'sleepy-2', ['STOPPED']);
    await waitFor(async () => (await api.get(`/apis/v1/operations/${op.operationId}`)).body.data.state === 'CANCELLED');
    const again = await api.post('/apis/v1/operations/abort', { operationIds: [op.operationId], mode: 'FORCE' });
    expect(again.body.data.results).toEqual([{ operationId: op.operationId, aborted: false, reason: `Operation ${op.operationId} has already finished (CANCELLED)` }]);
  });
});
