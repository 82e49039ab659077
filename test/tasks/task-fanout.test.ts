/**
 * Node-filter fan-out (docs/sources.md#drydock) over three real executors named and labelled like the Drydock document's
 * inventory: the worked example selects a and c; subtasks run at most `parallelism` at a time;
 * the parent aggregates a Drydock result; KILL and abort of the parent reach every subtask.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTaskModule } from '../../src/controller/tasks/task-module.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, getTask, killBody, processSpec, waitForTaskState } from './task-fixtures.ts';

let controller: TestController;

const SEED_FILTER = {
  filterSetType: 'union',
  filterSet: [
    { filterType: 'intersection', nodeLabels: { color: 'yellow', type: 'physical' } },
    { filterType: 'intersection', nodeNames: ['a'] },
  ],
};

beforeAll(async () => {
  controller = await startTestController({ modules: [createTaskModule], config: { killTimeoutMs: 2_000 } });
  const secret = controller.config.clusterSecret;
  await Promise.all([
    startTestExecutor(controller.url, { secret, name: 'a', hostname: 'node-a', cores: 2, memoryMb: 1024, labels: { type: 'physical', color: 'blue' } }),
    startTestExecutor(controller.url, { secret, name: 'b', hostname: 'node-b', cores: 2, memoryMb: 1024, labels: { type: 'virtual', color: 'yellow' } }),
    startTestExecutor(controller.url, { secret, name: 'c', hostname: 'node-c', cores: 2, memoryMb: 1024, labels: { type: 'physical', color: 'yellow' } }),
  ]);
});
afterAll(stopAllTestProcesses);

const admin = () => controller.api();

function placedAt(task: { events?: { type: string; time: number }[] }): number {
  return task.events!.find((e) => e.type === 'Placed')!.time;
}

describe('node-filter fan-out', () => {
  it('dry-runs the Drydock document\'s worked example to nodes a and c', async () => {
    const res = await admin().post('/apis/v1/cluster/nodefilter', SEED_FILTER);
    expect(res.body.data.map((n: { name: string }) => n.name).sort()).toEqual(['a', 'c']);
    expect(res.body.data.map((n: { hostname: string }) => n.hostname).sort()).toEqual(['node-a', 'node-c']);
  });

  it('runs one subtask per matched node, one at a time, and aggregates the result', async () => {
    const spec = processSpec('fan', '/bin/sh', ['-c', 'sleep 0.2; test "$HOST" = node-a'], { nodeFilter: SEED_FILTER });
    const created = await admin().post('/apis/v1/tasks/operations', createBody(spec, { timeout: '30s', parallelism: 1, failureStrategy: 'STOP' }));
    expect(created.body.data.taskId).toBe('TEST_APP-fan');
    const parent = await waitForTaskState(admin(), 'TEST_APP', 'fan', ['STOPPED', 'LOST'], 20_000);
    expect(parent.subtaskIds.sort()).toEqual(['fan-a', 'fan-c']);
    expect(parent.taskResult).toEqual({ status: 'FAILED', exitCode: -1 });
    expect(parent.result).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'partial_success', details: { errorCount: 1 } });
    const messages = parent.result.details.messageList;
    expect(messages.map((m: { context: string }) => m.context).sort()).toEqual(['a', 'c']);
    expect(messages.find((m: { context: string }) => m.context === 'a')).toMatchObject({ error: false, contextType: 'node' });
    expect(messages.find((m: { context: string }) => m.context === 'c')).toMatchObject({ error: true, contextType: 'node' });
    const a = (await getTask(admin(), 'TEST_APP', 'fan-a'))!;
    const c = (await getTask(admin(), 'TEST_APP', 'fan-c'))!;
    expect(a).toMatchObject({ parentTaskId: 'fan', hostname: 'node-a', taskResult: { status: 'SUCCESSFUL', exitCode: 0 } });
    expect(c).toMatchObject({ parentTaskId: 'fan', hostname: 'node-c', taskResult: { status: 'FAILED', exitCode: 1 } });
    // parallelism 1: the second subtask was placed only after the first had ended
    const [first, second] = [a, c].sort((x, y) => placedAt(x) - placedAt(y));
    expect(placedAt(second)).toBeGreaterThanOrEqual(first.updated);
    const op = await waitFor(async () => {
      const o = await controller.ctx!.store.getOperation(created.body.data.operationId);
      return o && o.state !== 'RUNNING' ? o : undefined;
    });
    expect(op).toMatchObject({ state: 'FAILED', result: { status: 'partial_success' }, progress: { total: 2, done: 1, failed: 1, inFlight: 0 } });
  });

  it('succeeds only when every subtask succeeds', async () => {
    const spec = processSpec('fan-ok', '/bin/true', [], { nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: ['a', 'b', 'c'] }] } });
    await admin().post('/apis/v1/tasks/operations', createBody(spec, { timeout: '30s', parallelism: 3, failureStrategy: 'STOP' }));
    const parent = await waitForTaskState(admin(), 'TEST_APP', 'fan-ok', ['STOPPED'], 20_000);
    expect(parent.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect(parent.result).toMatchObject({ status: 'success', details: { errorCount: 0 } });
    expect(parent.result.details.messageList).toHaveLength(3);
  });

  it('KILL of the parent kills every subtask', async () => {
    const spec = processSpec('fan-kill', '/bin/sleep', ['100'], { nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: ['a', 'b', 'c'] }] } });
    await admin().post('/apis/v1/tasks/operations', createBody(spec, { timeout: '30s', parallelism: 3, failureStrategy: 'STOP' }));
    await waitFor(async () => {
      const states = await Promise.all(['a', 'b', 'c'].map(async (n) => (await getTask(admin(), 'TEST_APP', `fan-kill-${n}`))?.state));
      return states.every((s) => s === 'RUNNING');
    }, { timeoutMs: 15_000 });
    expect((await getTask(admin(), 'TEST_APP', 'fan-kill'))?.state).toBe('RUNNING');
    const kill = await admin().post('/apis/v1/tasks/operations', killBody('TEST_APP', 'fan-kill'));
    expect(kill.body.data.taskId).toBe('fan-kill');
    const parent = await waitForTaskState(admin(), 'TEST_APP', 'fan-kill', ['STOPPED'], 15_000);
    expect(parent.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    for (const n of ['a', 'b', 'c']) expect((await getTask(admin(), 'TEST_APP', `fan-kill-${n}`))?.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
  });

  it('abort of the parent aborts its subtasks, including ones not started, and leaves the result incomplete', async () => {
    const spec = processSpec('fan-abort', '/bin/sleep', ['100'], { nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: ['a', 'b', 'c'] }] } });
    await admin().post('/apis/v1/tasks/operations', createBody(spec, { timeout: '30s', parallelism: 2, failureStrategy: 'STOP' }));
    await waitFor(async () => {
      const states = await Promise.all(['a', 'b', 'c'].map(async (n) => (await getTask(admin(), 'TEST_APP', `fan-abort-${n}`))?.state));
      return states.filter((s) => s === 'RUNNING').length === 2 && states.includes('PENDING');
    }, { timeoutMs: 15_000 });
    const res = await admin().post('/apis/v1/tasks/abort', { tasks: [{ sourceAppName: 'TEST_APP', taskId: 'fan-abort' }], mode: 'FORCE' });
    expect(res.body.data.results).toEqual([{ sourceAppName: 'TEST_APP', taskId: 'fan-abort', aborted: true }]);
    const parent = await waitForTaskState(admin(), 'TEST_APP', 'fan-abort', ['STOPPED'], 15_000);
    expect(parent.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(parent.result.status).toBe('incomplete');
    for (const n of ['a', 'b', 'c']) {
      const sub = (await getTask(admin(), 'TEST_APP', `fan-abort-${n}`))!;
      expect(sub).toMatchObject({ state: 'STOPPED', taskResult: { status: 'CANCELLED', exitCode: -1 } });
    }
  });
});
