/**
 * Prestart hook: the environment Drove injects (docs/api.md §6.17) plus the spec's `env`.
 * Tasks: HOST, DROVE_EXECUTOR_HOST, DROVE_TASK_ID, DROVE_SOURCE_APP_NAME, DROVE_INSTANCE_ID,
 * DROVE_CONTAINER_ID. Instances: HOST, DROVE_EXECUTOR_HOST, DROVE_APP_NAME, DROVE_APP_ID,
 * DROVE_INSTANCE_ID, DROVE_CONTAINER_ID, DROVE_APP_INSTANCE_AUTH_TOKEN when the controller sent one
 * (docs/api.md §4.10; PORT_<port> comes from the ports hook). Local-service instances: HOST,
 * DROVE_EXECUTOR_HOST, DROVE_SERVICE_ID, DROVE_SERVICE_NAME, DROVE_SERVICE_INSTANCE_ID,
 * DROVE_INSTANCE_ID, DROVE_CONTAINER_ID (and the token when sent). The injected
 * identity wins over a spec variable of the same name, so a workload cannot be fooled about
 * who it is. For host processes the "container id" is the instance id.
 */
import { appIdOf, appSpecOf, taskSpecOf } from '../../state/workload-record.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-phases.ts';

export const envHook: PrestartHook = {
  name: 'env',
  async prestart({ workload, executor }: Pick<PrestartRequest, 'workload' | 'executor'>): Promise<PrestartResponse> {
    const injected: Record<string, string> = {
      HOST: executor.hostname,
      DROVE_EXECUTOR_HOST: executor.hostname,
      DROVE_INSTANCE_ID: workload.instanceId,
      DROVE_CONTAINER_ID: workload.instanceId,
    };
    if (workload.kind === 'task') {
      const spec = taskSpecOf(workload);
      injected.DROVE_TASK_ID = spec.taskId;
      injected.DROVE_SOURCE_APP_NAME = spec.sourceAppName;
    } else if (workload.localService) {
      injected.DROVE_SERVICE_ID = appIdOf(workload);
      injected.DROVE_SERVICE_NAME = appSpecOf(workload).name;
      injected.DROVE_SERVICE_INSTANCE_ID = workload.instanceId;
    } else {
      injected.DROVE_APP_NAME = appSpecOf(workload).name;
      injected.DROVE_APP_ID = appIdOf(workload);
    }
    if (workload.kind === 'instance' && workload.instanceToken) injected.DROVE_APP_INSTANCE_AUTH_TOKEN = workload.instanceToken;
    return { done: true, env: { ...workload.spec.env, ...injected } };
  },
};
