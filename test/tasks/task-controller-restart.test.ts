/**
 * The controller restarts (a real `corral controller` child process on the same SQLite file)
 * while tasks run and wait: the running task is re-confirmed by its executor's snapshot and
 * ends with its true result; a task waiting for placement resumes and runs; terminal records
 * are pruned by the retention sweep from the store, also after the restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, getTask, processSpec, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;

beforeAll(async () => {
  controller = await startTestController({ mode: 'child', config: { taskRetentionMs: 4_000 } });
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, name: 'steady', cores: 4 });
});
afterAll(stopAllTestProcesses);

describe('controller restart', () => {
  it('keeps running and waiting tasks, and prunes expired records from the store', async () => {
    const admin = controller.api();
    const oneHost = { sourceAppName: 'SOLO', placementPolicy: { type: 'ONE_PER_HOST' } };
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('done-early', '/bin/true')));
    await waitForTaskState(admin, 'TEST_APP', 'done-early', ['STOPPED']);
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('runner', '/bin/sh', ['-c', 'sleep 2; exit 5'], oneHost)));
    await waitForTaskState(admin, 'SOLO', 'runner', ['RUNNING']);
    await admin.post('/apis/v1/tasks/operations', createBody(processSpec('waiter', '/bin/true', [], oneHost), { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' }));
    expect((await getTask(admin, 'SOLO', 'waiter'))?.hostname).toBe('');

    controller = await controller.restart();
    const client = controller.api();
    const runner = await waitForTaskState(client, 'SOLO', 'runner', ['STOPPED', 'LOST'], 20_000);
    expect(runner.taskResult).toEqual({ status: 'FAILED', exitCode: 5 });
    const waiter = await waitForTaskState(client, 'SOLO', 'waiter', ['STOPPED', 'LOST'], 20_000);
    expect(waiter.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    // retention: 4 s after their last update the records go, the pair is free again
    await waitFor(async () => (await getTask(client, 'TEST_APP', 'done-early')) === undefined, { timeoutMs: 15_000, message: 'done-early to be pruned' });
    await waitFor(async () => (await getTask(client, 'SOLO', 'waiter')) === undefined, { timeoutMs: 15_000, message: 'waiter to be pruned' });
    const again = await client.post('/apis/v1/tasks/operations', createBody(processSpec('done-early', '/bin/true')));
    expect(again.body.status).toBe('SUCCESS');
  });
});
