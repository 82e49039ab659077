/**
 * Prestart hook: the environment Drove injects (API.md §6.17) plus the spec's `env`.
 * Tasks: HOST, DROVE_EXECUTOR_HOST, DROVE_TASK_ID, DROVE_SOURCE_APP_NAME, DROVE_INSTANCE_ID,
 * DROVE_CONTAINER_ID. Instances: HOST, DROVE_EXECUTOR_HOST, DROVE_APP_NAME, DROVE_APP_ID,
 * DROVE_INSTANCE_ID, DROVE_CONTAINER_ID (PORT_<port> comes from the ports hook). The injected
 * identity wins over a spec variable of the same name, so a workload cannot be fooled about
 * who it is. For host processes the "container id" is the instance id.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import type { TaskSpec } from '../../../api/task-types.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-types.ts';

export const envHook: PrestartHook = {
  name: 'env',
  async prestart({ workload }: PrestartRequest): Promise<PrestartResponse> {
    const { record, executor } = workload;
    const injected: Record<string, string> = {
      HOST: executor.hostname,
      DROVE_EXECUTOR_HOST: executor.hostname,
      DROVE_INSTANCE_ID: record.instanceId,
      DROVE_CONTAINER_ID: record.instanceId,
    };
    if (record.kind === 'task') {
      const spec = record.spec as TaskSpec;
      injected.DROVE_TASK_ID = spec.taskId;
      injected.DROVE_SOURCE_APP_NAME = spec.sourceAppName;
    } else {
      const spec = record.spec as ApplicationSpec;
      injected.DROVE_APP_NAME = spec.name;
      injected.DROVE_APP_ID = record.appId ?? `${spec.name}-${spec.version}`;
    }
    return { done: true, env: { ...record.spec.env, ...injected } };
  },
};
