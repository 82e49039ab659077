/**
 * Drove `devices` end to end: a real controller (in-process, task module) configured with
 * `enableRawDeviceAccess: true` and a real `corral executor` child process whose docker driver
 * runs the containers on the engine (Podman's socket). A task given /dev/null as
 * /dev/corral-null sees a character device there; a task naming a host device that does not
 * exist ends FAILED with the device in its errorMessage. No container is left.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, waitForTaskState } from '../tasks/task-fixtures.ts';
import { TASK_IMAGE, containersOf, describeWithEngine, docker, requireEngineAndImages } from './docker-test-env.ts';

const APP = 'DEVICE_TASKS';
let controller: TestController;
let executor: TestExecutor;
const admin = () => controller.api();

function deviceTask(taskId: string, script: string, devices: Record<string, unknown>[]): Record<string, unknown> {
  return {
    sourceAppName: APP,
    taskId,
    executable: { type: 'DOCKER', url: TASK_IMAGE, dockerPullTimeout: '30 seconds' },
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    args: [script],
    devices,
  };
}

async function create(spec: Record<string, unknown>): Promise<void> {
  const res = await admin().post('/apis/v1/tasks/operations', createBody(spec));
  expect(res.body, JSON.stringify(res.body)).toMatchObject({ status: 'SUCCESS' });
}

async function logText(taskId: string): Promise<string> {
  const res = await admin().get(`/apis/v1/logfiles/tasks/${APP}/${taskId}/read/output.log?offset=0&length=65536`);
  return res.status === 200 ? res.body.data : '';
}

async function expectNoContainers(): Promise<void> {
  await waitFor(async () => (await containersOf(executor.executorId)).length === 0, { timeoutMs: 10_000, message: 'no container left for the executor' });
}

describeWithEngine('DOCKER tasks with devices through a real controller and executor', () => {
  beforeAll(async () => {
    await requireEngineAndImages();
    controller = await startTestController({ modules: [createTaskModule], config: { enableRawDeviceAccess: true, killTimeoutMs: 2_000 } });
    executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 2, memoryMb: 2048, name: 'devices-e2e' });
  });
  afterAll(async () => {
    await stopAllTestProcesses();
    const left = await containersOf(executor?.executorId ?? 'none');
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  });

  it('maps a DIRECT device: the task sees /dev/corral-null as a character device and ends SUCCESSFUL', async () => {
    await create(deviceTask('direct', 'test -c /dev/corral-null && echo "device mapped"', [
      { type: 'DIRECT', pathOnHost: '/dev/null', pathInContainer: '/dev/corral-null', permissions: 'READ_WRITE' },
    ]));
    const task = await waitForTaskState(admin(), APP, 'direct', ['STOPPED', 'LOST'], 30_000);
    expect(task, task.errorMessage).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
    expect(await logText('direct')).toBe('device mapped\n');
    await expectNoContainers();
  });

  it('fails a task whose host device does not exist, naming it, and leaves no container', async () => {
    const missing = `/dev/corral-missing-${randomUUID().slice(0, 8)}`;
    await create(deviceTask('missing', 'true', [{ type: 'DIRECT', pathOnHost: missing }]));
    const task = await waitForTaskState(admin(), APP, 'missing', ['STOPPED', 'LOST'], 30_000);
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'FAILED', exitCode: -1 } });
    expect(task.errorMessage).toContain(`device ${missing} does not exist on this executor`);
    await expectNoContainers();
  });
});
