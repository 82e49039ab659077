/** Ping, cluster summary and maintenance mode (docs/api.md §4.1, §4.2, §4.7). */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_APP_STATES } from '../../api/app-types.ts';
import type { ClusterSummary } from '../../api/cluster-types.ts';
import { ACTIVE_TASK_STATES } from '../../api/task-types.ts';
import { success } from '../../common/envelope.ts';
import { LookupFailedError } from '../../common/errors.ts';
import type { CoreServices } from './core-services.ts';

/**
 * App and task counts are read from the store on each call (apps: all records; tasks: the
 * active ones only), so they are exact without the modules having to feed counters.
 */
export async function clusterSummary(services: CoreServices): Promise<ClusterSummary> {
  const { ctx, registry, cluster } = services;
  const [apps, activeTasks, localServices, controllers] = await Promise.all([
    ctx.store.listApps(),
    ctx.store.listTasks({ states: [...ACTIVE_TASK_STATES] }),
    ctx.store.listLocalServices(),
    // The membership list is an addition: a slow or failing read leaves it out, not the summary.
    services.controllers?.().catch(() => undefined),
  ]);
  let numExecutors = 0;
  let freeCores = 0;
  let usedCores = 0;
  let freeMemory = 0;
  let usedMemory = 0;
  for (const live of registry.list()) {
    if (!live.connected) continue;
    numExecutors += 1;
    // Totals only: capacity() builds no per-core lists (this runs for every executor per request).
    const capacity = ctx.ledger.capacity(live.record.executorId);
    freeCores += capacity.freeCores;
    usedCores += capacity.totalCores - capacity.freeCores;
    freeMemory += capacity.freeMemory;
    usedMemory += capacity.totalMemory - capacity.freeMemory;
  }
  return {
    leader: services.leaderAddress(),
    ...(controllers ? { controllers } : {}),
    state: cluster.state(),
    numExecutors,
    numApplications: apps.length,
    numActiveApplications: apps.filter((a) => ACTIVE_APP_STATES.has(a.state)).length,
    numActiveTasks: activeTasks.length,
    numLocalServices: localServices.length,
    numActiveLocalServices: localServices.filter((s) => s.state === 'ACTIVE' || s.state === 'CONFIG_TESTING').length,
    freeCores,
    usedCores,
    totalCores: freeCores + usedCores,
    freeMemory,
    usedMemory,
    totalMemory: freeMemory + usedMemory,
  };
}

export function registerClusterRoutes(app: FastifyInstance, services: CoreServices): void {
  const log = services.ctx.logger.child({ component: 'cluster' });

  app.get('/apis/v1/ping', { config: { roles: 'ANY' } }, async () => success('pong'));

  // Served by followers too: `data.leader` names the leader on every node (docs/ha.md).
  app.get('/apis/v1/cluster', { config: { roles: 'ANY', followerServes: true } }, async () => {
    try {
      return success(await clusterSummary(services));
    } catch (error) {
      log.error({ err: error }, 'cluster summary failed');
      throw new LookupFailedError('Could not fetch cluster summary');
    }
  });

  for (const [path, state] of [['set', 'MAINTENANCE'], ['unset', 'NORMAL']] as const) {
    app.post(`/apis/v1/cluster/maintenance/${path}`, { config: { roles: 'MAINT' } }, async (request) => {
      try {
        const data = await services.cluster.set(state);
        log.info({ user: request.principal.username, state }, 'cluster state changed');
        return success(data);
      } catch (error) {
        log.error({ err: error, state }, 'could not change cluster state');
        throw new LookupFailedError('Could not change cluster state');
      }
    });
  }
}
