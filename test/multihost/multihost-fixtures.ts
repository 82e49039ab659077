/**
 * Small API steps the multi-host tests share: submit an app operation, wait for an operation's
 * state, list an app's instances. Every call goes over the test bridge to a controller on its
 * own host, with the client's timeout (a cut-off host never answers).
 */
import { expect } from 'vitest';
import type { ApiClient } from '../helpers/api-client.ts';
import { waitForOperationState } from '../helpers/operation-wait.ts';

export interface InstanceView {
  instanceId: string;
  executorId: string;
  state: string;
  [key: string]: unknown;
}

/** Submits an app operation and returns its ids; fails the test unless it was accepted. */
export async function submitAppOperation(api: ApiClient, body: unknown): Promise<{ appId: string; operationId: string }> {
  const { body: reply } = await api.post('/apis/v1/applications/operations', body);
  expect(reply, JSON.stringify(reply)).toMatchObject({ status: 'SUCCESS' });
  return reply.data;
}

/** Waits until the operation is in one of `states`; the timeout message carries its last record. */
export async function waitForOperation(api: ApiClient, operationId: string, states: string | string[], timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const read = async () => (await api.get(`/apis/v1/operations/${operationId}`)).body?.data as Record<string, unknown> | undefined;
  return waitForOperationState(operationId, states, read, { timeoutMs, intervalMs: 200 });
}

/** The app's instances (optionally in one state), as the controller lists them. */
export async function appInstances(api: ApiClient, appId: string, state?: string): Promise<InstanceView[]> {
  const { body } = await api.get(`/apis/v1/applications/${appId}/instances${state ? `?state=${state}` : ''}`);
  return (body?.data ?? []) as InstanceView[];
}

/** What a controller that is not (or no longer) the leader answers a write with (docs/api.md §1.6). */
export const NOT_LEADER = 'This node is not the leader controller';

export interface TaskLoadResult {
  /** Answered 200 SUCCESS: acknowledged, so they must be in the store afterwards. */
  accepted: { taskId: string; operationId: string; at: number }[];
  /**
   * Refused, nothing changed: 503 in the Drove envelope while the store is unavailable, or 400
   * "This node is not the leader controller" from a controller that stepped down meanwhile.
   */
  refused: { taskId: string; message: string; at: number }[];
  /** Anything else (another status, a timeout, a reset connection): never expected. */
  other: { taskId: string; outcome: string; at: number }[];
}

/**
 * A steady stream of task CREATEs (`/bin/true`, ids `<prefix>-<n>`), one after another with
 * `pauseMs` between them, until `stop()`: every answer is recorded (acknowledged, refused,
 * other) so a test can check that nothing acknowledged went missing.
 */
export function startTaskLoad(api: ApiClient, prefix: string, pauseMs = 50): { result: TaskLoadResult; stop(): Promise<TaskLoadResult> } {
  const result: TaskLoadResult = { accepted: [], refused: [], other: [] };
  let stopped = false;
  const loop = (async () => {
    for (let n = 0; !stopped; n++) {
      const taskId = `${prefix}-${n}`;
      const body = {
        type: 'CREATE',
        spec: { sourceAppName: 'LOAD', taskId, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }] },
        opSpec: { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' },
      };
      const at = Date.now();
      try {
        const reply = await api.post('/apis/v1/tasks/operations', body, { timeoutMs: 15_000 });
        if (reply.status === 200 && reply.body?.status === 'SUCCESS') result.accepted.push({ taskId, operationId: reply.body.data.operationId, at });
        else if (reply.status === 503 && reply.body?.status === 'FAILED') result.refused.push({ taskId, message: reply.body.message, at });
        else if (reply.status === 400 && reply.body?.message === NOT_LEADER) result.refused.push({ taskId, message: reply.body.message, at });
        else result.other.push({ taskId, outcome: `${reply.status} ${reply.text.slice(0, 300)}`, at });
      } catch (error) {
        result.other.push({ taskId, outcome: (error as Error).message, at });
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    result,
    async stop() {
      stopped = true;
      await loop;
      return result;
    },
  };
}
