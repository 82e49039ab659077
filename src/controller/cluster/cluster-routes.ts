/** Ping, cluster summary and maintenance mode (docs/api.md §4.1, §4.2, §4.7). */
import type { FastifyInstance } from 'fastify';
import type { ClusterSummary } from '../../api/cluster-types.ts';
import { success } from '../../common/envelope.ts';
import { LookupFailedError } from '../../common/errors.ts';
import type { CoreServices } from './core-services.ts';

/**
 * Workload counts come from the modules' in-memory counts (cluster/workload-counts.ts), executor
 * figures from the capacity index: on a leader a summary reads nothing from the store and loops
 * over nothing.
 */
export async function clusterSummary(services: CoreServices): Promise<ClusterSummary> {
  const { cluster } = services;
  const [workloads, controllers] = await Promise.all([
    services.workloadCounts(),
    // The membership list is an addition: a slow or failing read leaves it out, not the summary.
    services.controllers?.().catch(() => undefined),
  ]);
  // Sums kept by the capacity index as executors and allocations change, not a loop over the fleet.
  const fleet = services.capacity.connected();
  return {
    leader: services.leaderAddress(),
    ...(controllers ? { controllers } : {}),
    state: cluster.state(),
    numExecutors: fleet.executors,
    ...workloads,
    freeCores: fleet.freeCores,
    usedCores: fleet.totalCores - fleet.freeCores,
    totalCores: fleet.totalCores,
    freeMemory: fleet.freeMemory,
    usedMemory: fleet.totalMemory - fleet.freeMemory,
    totalMemory: fleet.totalMemory,
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
