/**
 * Tasks across executor restarts and deaths, with real executor processes: a restarted
 * executor re-attaches and the task ends with its true exit code; a SIGKILLed executor's task
 * is reported LOST after the lost grace; when that executor comes back, the task it still runs
 * is stopped (the controller had released its resources and told clients LOST).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses, trackTempDir } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, processSpec, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;
let patient: TestController;

beforeAll(async () => {
  // A short lost grace for the loss test, the default one (10 s) for the restart test.
  [controller, patient] = await Promise.all([
    startTestController({ modules: [createTaskModule], config: { executorLostAfterMs: 1_500, killTimeoutMs: 1_000 } }),
    startTestController({ modules: [createTaskModule] }),
  ]);
});
afterAll(stopAllTestProcesses);

const admin = () => controller.api();

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

describe('executor restarts and losses', () => {
  it('a task survives an executor restart and ends with its true exit code', async () => {
    const client = patient.api();
    const executor = await startTestExecutor(patient.url, { secret: patient.config.clusterSecret, name: 'restarting' });
    const spec = processSpec('survivor', '/bin/sh', ['-c', 'sleep 2; exit 7']);
    await client.post('/apis/v1/tasks/operations', createBody(spec));
    await waitForTaskState(client, 'TEST_APP', 'survivor', ['RUNNING']);
    const again = await executor.restart();
    const task = await waitForTaskState(client, 'TEST_APP', 'survivor', ['STOPPED', 'LOST'], 15_000);
    expect(task, task.errorMessage).toMatchObject({ state: 'STOPPED', taskResult: { status: 'FAILED', exitCode: 7 }, executorId: again.executorId });
    await again.stop();
  });

  it('is reported LOST when its executor dies, and stopped when that executor comes back', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'corral-lost-'));
    trackTempDir(dir);
    const executor = await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, name: 'doomed', tags: ['doomed'] });
    // The executor reports RUNNING and then writes the workload's handle to disk; the task marks
    // itself ready a moment later so the SIGKILL below does not land in between.
    const spec = processSpec('orphan', '/bin/sh', ['-c', `echo $$ > ${dir}/pid; sleep 0.5; echo ready > ${dir}/ready; exec sleep 60`], { placementPolicy: { type: 'MATCH_TAG', tag: 'doomed' } });
    await admin().post('/apis/v1/tasks/operations', createBody(spec));
    await waitForTaskState(admin(), 'TEST_APP', 'orphan', ['RUNNING']);
    await waitFor(() => existsSync(`${dir}/ready`), { message: 'the task to be ready' });
    const pid = Number(readFileSync(`${dir}/pid`, 'utf8').trim());
    await executor.kill('SIGKILL');
    const lost = await waitForTaskState(admin(), 'TEST_APP', 'orphan', ['LOST', 'STOPPED'], 10_000);
    expect(lost).toMatchObject({ state: 'LOST', taskResult: { status: 'LOST', exitCode: -1 } });
    expect(lost.errorMessage).toContain('was lost');
    expect(alive(pid)).toBe(true); // the work outlived its executor
    expect((await admin().get('/apis/v1/tasks')).body.data.map((t: { taskId: string }) => t.taskId)).not.toContain('orphan');
    const back = await executor.restart();
    await waitFor(() => !alive(pid), { timeoutMs: 15_000, message: 'the stray task to be stopped' });
    const after = await waitForTaskState(admin(), 'TEST_APP', 'orphan', ['LOST']);
    expect(after.taskResult).toEqual({ status: 'LOST', exitCode: -1 });
    await back.stop();
  });
});
