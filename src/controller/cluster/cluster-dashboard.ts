/**
 * `GET /apis/v1/cluster/dashboard` (docs/api.md §4.3): one read with everything a dashboard's
 * front page shows — the cluster summary, executor counts and utilisation (computed here), and
 * a section from each domain module that has one (`ControllerModule.dashboard`: the applications
 * module fills `appStats`, the tasks module `taskStats`). A section no module fills keeps its
 * empty shape, so clients always find every field.
 */
import type { FastifyInstance } from 'fastify';
import type { ExecutorState } from '../../api/cluster-types.ts';
import { success } from '../../common/envelope.ts';
import { LookupFailedError } from '../../common/errors.ts';
import type { ControllerModule } from '../controller-module.ts';
import { clusterSummary } from './cluster-routes.ts';
import type { CoreServices } from './core-services.ts';

/** How many entries the `top…` lists carry. */
export const DASHBOARD_TOP = 10;

const EMPTY_SECTIONS = {
  appStats: { appCountByState: {}, topApps: [], totalHealthyInstances: 0 },
  taskStats: { taskCountByState: {}, topTasks: [] },
  serviceStats: { serviceCountByState: {}, serviceCountByActivationState: {}, topServices: [], totalHealthyInstances: 0 },
};

/** Counts per key, in first-seen order. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/**
 * Executor counts per state (every known executor) and core utilisation of the connected ones:
 * each executor's used/total cores (0–1); `balanceScore` = 1 − (highest − lowest), 1 when all are
 * equally loaded (or there are none).
 */
function executorStats(services: CoreServices) {
  const executorCountByState: Partial<Record<ExecutorState, number>> = countBy(services.registry.list(), (e) => e.record.executorState);
  const shares: number[] = [];
  for (const live of services.registry.list()) {
    if (!live.connected) continue;
    const { freeCores, totalCores } = services.ctx.ledger.capacity(live.record.executorId);
    shares.push(totalCores > 0 ? (totalCores - freeCores) / totalCores : 0);
  }
  const highest = shares.length > 0 ? Math.max(...shares) : 0;
  const lowest = shares.length > 0 ? Math.min(...shares) : 0;
  const averageUtilization = shares.length > 0 ? shares.reduce((sum, s) => sum + s, 0) / shares.length : 0;
  return { executorCountByState, utilization: { averageUtilization, highestUtilization: highest, lowestUtilization: lowest, balanceScore: 1 - (highest - lowest) } };
}

export function registerClusterDashboardRoute(app: FastifyInstance, services: CoreServices, modules: readonly ControllerModule[]): void {
  const log = services.ctx.logger.child({ component: 'cluster' });
  app.get('/apis/v1/cluster/dashboard', { config: { roles: 'ANY' } }, async () => {
    try {
      const [summary, ...sections] = await Promise.all([clusterSummary(services), ...modules.map(async (m) => (await m.dashboard?.()) ?? {})]);
      return success({
        clusterSummary: summary,
        ...EMPTY_SECTIONS,
        ...Object.assign({}, ...sections) as Record<string, unknown>,
        executorStats: executorStats(services),
        generatedAt: services.ctx.clock.now(),
      });
    } catch (error) {
      log.error({ err: error }, 'dashboard aggregate failed');
      throw new LookupFailedError('Could not fetch dashboard data');
    }
  });
}
