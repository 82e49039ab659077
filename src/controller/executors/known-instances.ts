/**
 * What the welcome frame tells a (re)connecting executor it is known to run: every task and
 * instance the store holds on it that has not ended.
 */
import type { Store } from '../store/store.ts';

const NON_TERMINAL_TASK_STATES = ['PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'RUN_FAILED', 'DEPROVISIONING', 'UNKNOWN'] as const;
const NON_TERMINAL_INSTANCE_STATES = [
  'PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'START_FAILED', 'UNREADY', 'READINESS_CHECK_FAILED',
  'READY', 'HEALTHY', 'UNHEALTHY', 'STOPPING', 'DEPROVISIONING', 'UNKNOWN',
] as const;

export async function listKnownInstanceIds(store: Store, executorId: string): Promise<string[]> {
  const [tasks, instances, serviceInstances] = await Promise.all([
    store.listTasks({ executorId, states: [...NON_TERMINAL_TASK_STATES] }),
    store.listInstances({ executorId, states: [...NON_TERMINAL_INSTANCE_STATES] }),
    store.listLocalServiceInstances({ executorId, states: [...NON_TERMINAL_INSTANCE_STATES] }),
  ]);
  return [...tasks.map((t) => t.instanceId), ...instances.map((i) => i.instanceId), ...serviceInstances.map((i) => i.instanceId)];
}
