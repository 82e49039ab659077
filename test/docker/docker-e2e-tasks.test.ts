/**
 * DOCKER tasks end to end: a real controller (in-process, task module) and a real
 * `corral executor` child process whose docker driver runs containers on the engine (Podman's
 * socket). Exit codes, logs through the API, KILL, and an executor restart while a container
 * runs (the container is recovered and its real exit code reported). No container is left.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { trackTempDir } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { killBody, waitForTaskState } from '../tasks/task-fixtures.ts';
import { TASK_IMAGE, containersOf, describeWithEngine } from './docker-test-env.ts';
import { useDockerTaskCluster } from './docker-task-cluster.ts';

const APP = 'DOCKER_TASKS';

describeWithEngine('DOCKER tasks through a real controller and executor', () => {
  const cluster = useDockerTaskCluster(APP, { name: 'docker-e2e' });
  const { admin, create, logText, expectNoContainers, task: dockerTask } = cluster;

  beforeAll(async () => {
    const info = await admin().get(`/apis/v1/cluster/executors/${cluster.executor.executorId}`);
    expect(JSON.stringify(info.body.data)).toContain('DOCKER');
  });

  it('runs a task container to its exit code, with Drove\'s environment and its output in the logs', async () => {
    await create(dockerTask('ok', 'echo "instance $DROVE_INSTANCE_ID task $DROVE_TASK_ID of $DROVE_SOURCE_APP_NAME"; echo bye >&2'));
    await create(dockerTask('fails', 'echo failing; exit 3'));
    const ok = await waitForTaskState(admin(), APP, 'ok', ['STOPPED', 'LOST'], 30_000);
    expect(ok).toMatchObject({ state: 'STOPPED', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
    expect(ok.executable).toMatchObject({ type: 'DOCKER', url: TASK_IMAGE });
    expect(await logText('ok')).toMatch(/^instance TI-\S+ task ok of DOCKER_TASKS\nbye\n$/);
    const fails = await waitForTaskState(admin(), APP, 'fails', ['STOPPED', 'LOST'], 30_000);
    expect(fails.taskResult).toEqual({ status: 'FAILED', exitCode: 3 });
    expect(await logText('fails')).toBe('failing\n');
    await expectNoContainers();
  });

  it('fails provisioning readably for an image that does not exist', async () => {
    await create({ ...dockerTask('noimage', 'true'), executable: { type: 'DOCKER', url: 'corral-test/missing:1', dockerPullTimeout: '10 seconds' } });
    const task = await waitForTaskState(admin(), APP, 'noimage', ['STOPPED', 'LOST'], 30_000);
    expect(task.taskResult.status).toBe('FAILED');
    expect(task.errorMessage).toContain('could not pull image corral-test/missing:1');
    await expectNoContainers();
  });

  it('KILL stops a running task container', async () => {
    await create(dockerTask('sleeper', 'echo started; while true; do sleep 1; done'));
    await waitForTaskState(admin(), APP, 'sleeper', ['RUNNING'], 30_000);
    const kill = await admin().post('/apis/v1/tasks/operations', killBody(APP, 'sleeper'));
    expect(kill.body).toMatchObject({ status: 'SUCCESS' });
    const task = await waitForTaskState(admin(), APP, 'sleeper', ['STOPPED', 'LOST'], 30_000);
    expect(task).toMatchObject({ state: 'STOPPED', taskResult: { status: 'CANCELLED' } });
    await expectNoContainers();
  });

  it('recovers a running container after an executor restart and reports its real exit code', async () => {
    const shared = mkdtempSync(join(tmpdir(), 'corral-docker-e2e-'));
    trackTempDir(shared);
    await create(dockerTask('outlives', 'echo before; while [ ! -f /shared/go ]; do sleep 0.1; done; echo after; exit 4', {
      volumes: [{ pathOnHost: shared, pathInContainer: '/shared', mode: 'READ_WRITE' }],
    }));
    await waitForTaskState(admin(), APP, 'outlives', ['RUNNING'], 30_000);
    await waitFor(async () => (await logText('outlives')).includes('before'), { message: 'output before the restart' });
    const [before] = await containersOf(cluster.executor.executorId);
    cluster.executor = await cluster.executor.restart();
    const [after] = await containersOf(cluster.executor.executorId);
    expect(after?.Id).toBe(before.Id);
    expect(after?.State).toBe('running');
    writeFileSync(join(shared, 'go'), '');
    const task = await waitForTaskState(admin(), APP, 'outlives', ['STOPPED', 'LOST'], 30_000);
    expect(task.taskResult).toEqual({ status: 'FAILED', exitCode: 4 });
    expect(await logText('outlives')).toBe('before\nafter\n');
    await expectNoContainers();
  });
});
