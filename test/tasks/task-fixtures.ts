/** Shared builders for the task tests: specs, operation bodies, a report helper for scripted executors. */
import type { TaskReport } from '../../src/api/channel-protocol.ts';
import type { TaskState } from '../../src/api/task-types.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

export const OP_SPEC = { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' };

/** A PROCESS task spec; `extra` is merged on top. */
export function processSpec(taskId: string, command: string, args: string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sourceAppName: 'TEST_APP',
    taskId,
    executable: { type: 'PROCESS', command },
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    args,
    ...extra,
  };
}

export function createBody(spec: Record<string, unknown>, opSpec: Record<string, unknown> = OP_SPEC): Record<string, unknown> {
  return { type: 'CREATE', spec, opSpec };
}

export function killBody(sourceAppName: string, taskId: string): Record<string, unknown> {
  return { type: 'KILL', sourceAppName, taskId, opSpec: OP_SPEC };
}

/** GET one task (data or undefined). */
export async function getTask(client: ApiClient, sourceAppName: string, taskId: string): Promise<Record<string, any> | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { body } = await client.get(`/apis/v1/tasks/${sourceAppName}/instances/${taskId}`);
  return body?.status === 'SUCCESS' ? body.data : undefined;
}

/** Waits until the task is in one of `states` and returns it. */
export function waitForTaskState(client: ApiClient, sourceAppName: string, taskId: string, states: TaskState[], timeoutMs = 15_000) {
  return waitFor(async () => {
    const task = await getTask(client, sourceAppName, taskId);
    return task && states.includes(task.state) ? task : undefined;
  }, { timeoutMs, intervalMs: 25, message: `task ${sourceAppName}/${taskId} in ${states.join('|')}` });
}

/** A report as a scripted executor sends it. */
export function report(instanceId: string, taskId: string, state: TaskState, extra: Partial<TaskReport> = {}): TaskReport {
  return { instanceId, sourceAppName: 'TEST_APP', taskId, state, errorMessage: '', events: [], updated: Date.now(), ...extra };
}
