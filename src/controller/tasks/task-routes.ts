/**
 * Task routes (docs/api.md §3) plus corral's task abort and node-filter dry run. Check order per
 * §1.4: parse the body → maintenance gate (on gated writes) → command checks → apply.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseNodeFilter, parseTaskAbort, parseTaskOperation, parseTaskSearch, parseTaskSpec } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import { LookupFailedError } from '../../common/errors.ts';
import type { ControllerContext } from '../context.ts';
import { matchNodeFilter } from '../scheduler/node-filter.ts';
import type { TaskStopper } from './task-stopper.ts';
import { nodeInventory, type TaskCommands } from './task-commands.ts';
import type { TaskManager } from './task-manager.ts';
import { toTaskInfo } from '../../api/task-info.ts';

type TaskParams = { Params: { sourceAppName: string; taskId: string } };

export interface TaskRouteDeps {
  ctx: ControllerContext;
  manager: TaskManager;
  commands: TaskCommands;
  stopper: TaskStopper;
}

export function registerTaskRoutes(app: FastifyInstance, deps: TaskRouteDeps): void {
  const { ctx, manager, commands, stopper } = deps;

  app.post('/apis/v1/tasks/operations', { config: { roles: 'RW' } }, async (request) => {
    const operation = parseTaskOperation(request.body, null);
    ctx.cluster.assertWritable();
    const by = request.principal.username;
    if (operation.type === 'CREATE') return success(await commands.create(operation.spec, operation.opSpec, by));
    return success(await commands.kill(operation.sourceAppName, operation.taskId, operation.opSpec, by));
  });

  app.post('/apis/v1/tasks/validate/spec', { config: { roles: 'ANY' } }, async (request) => {
    const spec = parseTaskSpec(request.body, null);
    ctx.cluster.assertWritable();
    commands.validate(spec);
    return success();
  });

  // Drove's UI helper (docs/api.md §3.6): a 303 to the task's page when it exists, else to `/`.
  // POST with form fields as Drove's UI sends them; GET with the same fields in the query string.
  const search = async (fields: unknown, reply: FastifyReply) => {
    const { taskSearchAppName: sourceAppName, taskSearchTaskID: taskId } = parseTaskSearch(fields);
    const record = manager.get(sourceAppName, taskId)?.record ?? await ctx.store.getTask(sourceAppName, taskId);
    return reply.code(303).header('location', record ? `/tasks/${sourceAppName}/${taskId}` : '/').send();
  };
  app.post('/apis/v1/tasks/search', { config: { roles: 'ANY', formBody: true } }, async (request, reply) => search(request.body, reply));
  app.get('/apis/v1/tasks/search', { config: { roles: 'ANY' } }, async (request, reply) => search(request.query, reply));

  app.get('/apis/v1/tasks', { config: { roles: 'ANY' } }, async () => {
    const list = [];
    for (const live of manager.active()) list.push(toTaskInfo(live.record));
    return success(list);
  });

  app.get<TaskParams>('/apis/v1/tasks/:sourceAppName/instances/:taskId', { config: { roles: 'ANY' } }, async (request) => {
    const { sourceAppName, taskId } = request.params;
    const record = manager.get(sourceAppName, taskId)?.record ?? await ctx.store.getTask(sourceAppName, taskId);
    if (!record) throw new LookupFailedError(`No such task instance ${sourceAppName}/${taskId}`);
    // corral addition on the single-task read: what it uses now, while it runs (docs/api.md §2.8).
    const resourceUsage = record.state === 'RUNNING' ? ctx.usage?.of(record.instanceId) : undefined;
    return success(resourceUsage ? { ...toTaskInfo(record), resourceUsage } : toTaskInfo(record));
  });

  app.delete<TaskParams>('/apis/v1/tasks/:sourceAppName/instances/:taskId', { config: { roles: 'RW' } }, async (request) => {
    const { sourceAppName, taskId } = request.params;
    if (!(await commands.remove(sourceAppName, taskId))) {
      throw new LookupFailedError(`Could not delete ${sourceAppName}/${taskId}`, { data: { deleted: false } });
    }
    return success({ deleted: true });
  });

  app.post('/apis/v1/tasks/abort', { config: { roles: 'RW' } }, async (request) => {
    const abort = parseTaskAbort(request.body);
    const results = await stopper.abort({ tasks: abort.tasks, mode: abort.mode, deadline: abort.deadline, by: request.principal.username });
    return success({ results });
  });

  app.post('/apis/v1/cluster/nodefilter', { config: { roles: 'ANY' } }, async (request) => {
    const body = request.body as { nodeFilter?: unknown } | undefined;
    const filter = parseNodeFilter(body && typeof body === 'object' && 'nodeFilter' in body ? body.nodeFilter : body);
    const matched = matchNodeFilter(filter, nodeInventory(ctx.executors.list()));
    return success(matched.map((node) => ({
      executorId: node.id,
      name: node.name,
      hostname: node.hostname,
      executorState: node.executor.record.executorState,
      connected: node.executor.connected,
    })));
  });
}
