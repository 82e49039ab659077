/** Executor list, details and blacklisting (docs/api.md §4.4–§4.6). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ACTIVE_INSTANCE_STATES } from '../../api/app-types.ts';
import { ACTIVE_TASK_STATES } from '../../api/task-types.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError, MAINTENANCE_MESSAGE } from '../../common/errors.ts';
import { executorNodeData, executorSummary } from '../executors/executor-views.ts';
import { queryList } from '../http/query-params.ts';
import type { CoreServices } from './core-services.ts';

type IdParams = { Params: { executorId: string } };

export function registerExecutorRoutes(app: FastifyInstance, services: CoreServices): void {
  const { ctx, registry, cluster, blacklisting } = services;

  app.get('/apis/v1/cluster/executors', { config: { roles: 'ANY' } }, async () => {
    const live = registry.list().map((e) => executorSummary(e.record, ctx.ledger.usage(e.record.executorId)));
    const removed = registry.recentlyRemoved().map((r) => executorSummary(r.record, r.usage));
    return success([...live, ...removed]);
  });

  app.get<IdParams>('/apis/v1/cluster/executors/:executorId', { config: { roles: 'ANY' } }, async (request) => {
    const { executorId } = request.params;
    const live = registry.get(executorId);
    if (!live) throw new LookupFailedError(`No executor found with id: ${executorId}`);
    const [instances, tasks, serviceInstances] = await Promise.all([
      ctx.store.listInstances({ executorId, states: [...ACTIVE_INSTANCE_STATES] }),
      ctx.store.listTasks({ executorId, states: [...ACTIVE_TASK_STATES] }),
      ctx.store.listLocalServiceInstances({ executorId, states: [...ACTIVE_INSTANCE_STATES] }),
    ]);
    return success(executorNodeData(live, ctx.ledger.usage(executorId), { instances, tasks, serviceInstances }, ctx.ledger.holders(executorId)));
  });

  /** Blacklisting answers 200 FAILED in maintenance (not the 400 of other writes; docs/api.md §1.7). */
  function gate(): void {
    if (cluster.writesBlocked()) throw new LookupFailedError(MAINTENANCE_MESSAGE);
  }

  function bulkIds(request: FastifyRequest): string[] {
    const ids = queryList(request.query as Record<string, string | string[]>, 'id');
    if (ids.length === 0) throw new CommandValidationError('id must have at least one value: pass executor ids as ?id=ID&id=ID');
    return ids;
  }

  app.post('/apis/v1/cluster/executors/blacklist', { config: { roles: 'MAINT' } }, async (request) => {
    const ids = bulkIds(request);
    gate();
    return success(await blacklisting.blacklist(ids));
  });
  app.post('/apis/v1/cluster/executors/unblacklist', { config: { roles: 'MAINT' } }, async (request) => {
    const ids = bulkIds(request);
    gate();
    return success(await blacklisting.unblacklist(ids));
  });
  app.post<IdParams>('/apis/v1/cluster/executors/:executorId/blacklist', { config: { roles: 'MAINT' } }, async (request) => {
    gate();
    return success(await blacklisting.blacklist([request.params.executorId]));
  });
  app.post<IdParams>('/apis/v1/cluster/executors/:executorId/unblacklist', { config: { roles: 'MAINT' } }, async (request) => {
    gate();
    return success(await blacklisting.unblacklist([request.params.executorId]));
  });
}
