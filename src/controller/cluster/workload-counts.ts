/**
 * The workload counts of the cluster summary (docs/api.md §4.2): applications, active tasks and
 * local services. A leader keeps them in memory, each domain module counting its own records as
 * they change (`ControllerModule.summaryCounts`), so a summary read costs no store query. Until
 * the modules have loaded their models — a follower never does, a single controller answers
 * while it loads — only the store knows them, and they are read from it.
 */
import { ACTIVE_APP_STATES } from '../../api/app-types.ts';
import type { ClusterSummary } from '../../api/cluster-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import { ACTIVE_TASK_STATES } from '../../api/task-types.ts';
import type { ControllerModule } from '../controller-module.ts';
import type { Store } from '../store/store.ts';

export type WorkloadCounts = Pick<ClusterSummary,
  'numApplications' | 'numActiveApplications' | 'numActiveTasks' | 'numLocalServices' | 'numActiveLocalServices'>;

export const NO_WORKLOADS: WorkloadCounts = {
  numApplications: 0, numActiveApplications: 0, numActiveTasks: 0, numLocalServices: 0, numActiveLocalServices: 0,
};

/** Whether a local service counts as active in the summary. */
export function isActiveLocalService(service: Pick<LocalServiceRecord, 'state'>): boolean {
  return service.state === 'ACTIVE' || service.state === 'CONFIG_TESTING';
}

/** The counts as the store holds them (apps: all records; tasks: the active ones only). */
export async function storedWorkloadCounts(store: Store): Promise<WorkloadCounts> {
  const [apps, activeTasks, localServices] = await Promise.all([
    store.listApps(),
    store.listTasks({ states: [...ACTIVE_TASK_STATES] }),
    store.listLocalServices(),
  ]);
  return {
    numApplications: apps.length,
    numActiveApplications: apps.filter((a) => ACTIVE_APP_STATES.has(a.state)).length,
    numActiveTasks: activeTasks.length,
    numLocalServices: localServices.length,
    numActiveLocalServices: localServices.filter(isActiveLocalService).length,
  };
}

/** The counts the loaded modules keep, each over the zeros of the counts it does not own. */
export function liveWorkloadCounts(modules: readonly ControllerModule[]): WorkloadCounts {
  const counts = { ...NO_WORKLOADS };
  for (const module of modules) Object.assign(counts, module.summaryCounts?.());
  return counts;
}
