/**
 * Drove `devices` end to end: a real controller (in-process, task module) configured with
 * `enableRawDeviceAccess: true` and a real `corral executor` child process whose docker driver
 * runs the containers on the engine (Podman's socket). A task given /dev/null as
 * /dev/corral-null sees a character device there; a task naming a host device that does not
 * exist ends FAILED with the device in its errorMessage. No container is left.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { waitForTaskState } from '../tasks/task-fixtures.ts';
import { describeWithEngine } from './docker-test-env.ts';
import { useDockerTaskCluster } from './docker-task-cluster.ts';

const APP = 'DEVICE_TASKS';

describeWithEngine('DOCKER tasks with devices through a real controller and executor', () => {
  const { admin, create, logText, expectNoContainers, task } = useDockerTaskCluster(APP, { name: 'devices-e2e', config: { enableRawDeviceAccess: true } });
  const deviceTask = (taskId: string, script: string, devices: Record<string, unknown>[]) => task(taskId, script, { devices });

  it('maps a DIRECT device: the task sees /dev/corral-null as a character device and ends SUCCESSFUL', async () => {
    await create(deviceTask('direct', 'test -c /dev/corral-null && echo "device mapped"', [
      { type: 'DIRECT', pathOnHost: '/dev/null', pathInContainer: '/dev/corral-null', permissions: 'READ_WRITE' },
    ]));
    const direct = await waitForTaskState(admin(), APP, 'direct', ['STOPPED', 'LOST'], 30_000);
    expect(direct, direct.errorMessage).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
    expect(await logText('direct')).toBe('device mapped\n');
    await expectNoContainers();
  });

  it('fails a task whose host device does not exist, naming it, and leaves no container', async () => {
    const missing = `/dev/corral-missing-${randomUUID().slice(0, 8)}`;
    await create(deviceTask('missing', 'true', [{ type: 'DIRECT', pathOnHost: missing }]));
    const failed = await waitForTaskState(admin(), APP, 'missing', ['STOPPED', 'LOST'], 30_000);
    expect(failed).toMatchObject({ state: 'STOPPED', taskResult: { status: 'FAILED', exitCode: -1 } });
    expect(failed.errorMessage).toContain(`device ${missing} does not exist on this executor`);
    await expectNoContainers();
  });
});
