/** Application routes (docs/api.md §2): operations, cancel, validate, reads. */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_INSTANCE_STATES, type InstanceState } from '../../api/app-types.ts';
import { checkAppSpec, parseAppSpec, renderAppSpec } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError } from '../../common/errors.ts';
import type { ControllerContext } from '../context.ts';
import { queryInteger, queryList } from '../http/query-params.ts';
import type { AppCommands } from './app-commands.ts';
import type { AppModel } from './app-model.ts';
import { appSummary, instanceInfo } from './app-views.ts';

/** States in which an instance's process runs (its last usage sample is shown; none after it ended). */
const RUNNING_INSTANCE_STATES: ReadonlySet<InstanceState> = new Set(['UNREADY', 'READY', 'HEALTHY', 'UNHEALTHY', 'STOPPING']);

const MAX_INT = 2147483646;
const OLD_STATES: InstanceState[] = ['STOPPED', 'LOST', 'PROVISIONING_FAILED', 'START_FAILED', 'READINESS_CHECK_FAILED', 'UNKNOWN'];
const ALL_INSTANCE_STATES: ReadonlySet<string> = new Set([...ACTIVE_INSTANCE_STATES, ...OLD_STATES]);

type AppParams = { Params: { appId: string } };
type InstanceParams = { Params: { appId: string; instanceId: string } };
type Query = Record<string, string | string[] | undefined>;

export function registerAppRoutes(app: FastifyInstance, ctx: ControllerContext, model: AppModel, commands: AppCommands): void {
  const submit = async (request: { body: unknown; principal: import('../../api/auth-types.ts').Principal }) =>
    success(await commands.submit(request.body, request.principal));
  app.post('/apis/v1/applications/operations', { config: { roles: 'RW' } }, submit);
  app.post('/apis/v1/operations', { config: { roles: 'RW' } }, submit);

  const cancel = async (request: { params: { appId: string }; principal: import('../../api/auth-types.ts').Principal }) => {
    await commands.cancel(request.params.appId, request.principal);
    return success();
  };
  app.post<AppParams>('/apis/v1/applications/operations/:appId/cancel', { config: { roles: 'RW' } }, cancel);
  app.post<AppParams>('/apis/v1/operations/:appId/cancel', { config: { roles: 'RW' } }, cancel);

  app.post('/apis/v1/applications/validate/spec', { config: { roles: 'ANY' } }, async (request) => {
    const spec = parseAppSpec(request.body);
    ctx.cluster.assertWritable();
    const problems = checkAppSpec(spec, ctx.config);
    if (problems.length > 0) throw new CommandValidationError(problems);
    return success({ valid: true });
  });

  app.get('/apis/v1/applications', { config: { roles: 'ANY' } }, async (request) => {
    const query = request.query as Query;
    const from = queryInteger(query, 'from', 0, { min: 0, max: MAX_INT });
    const size = queryInteger(query, 'size', MAX_INT, { min: 0, max: MAX_INT });
    const data: Record<string, unknown> = {};
    for (const record of model.listApps().slice(from, from + size)) data[record.appId] = appSummary(record, model.healthyCount(record.appId));
    return success(data);
  });

  app.get<AppParams>('/apis/v1/applications/:appId', { config: { roles: 'ANY' } }, async (request) => {
    const record = model.app(request.params.appId);
    if (!record) throw new LookupFailedError(`App ${request.params.appId} not found`);
    return success(appSummary(record, model.healthyCount(record.appId)));
  });

  app.get<AppParams>('/apis/v1/applications/:appId/spec', { config: { roles: 'ANY' } }, async (request) => {
    const record = model.app(request.params.appId);
    if (!record) throw new LookupFailedError(`App ${request.params.appId} not found`);
    return success(renderAppSpec(record.spec));
  });

  app.get<AppParams>('/apis/v1/applications/:appId/instances', { config: { roles: 'ANY' } }, async (request) => {
    const states = queryList(request.query as Query, 'state');
    const unknown = states.filter((s) => !ALL_INSTANCE_STATES.has(s));
    if (unknown.length > 0) throw new CommandValidationError(unknown.map((s) => `state has an unknown value "${s}" (use upper-case instance states such as HEALTHY)`));
    const wanted = new Set(states);
    const list = model.instances(request.params.appId)
      .filter((i) => ACTIVE_INSTANCE_STATES.has(i.state) && (wanted.size === 0 || wanted.has(i.state)));
    return success(list.map(instanceInfo));
  });

  app.get<AppParams>('/apis/v1/applications/:appId/instances/old', { config: { roles: 'ANY' } }, async (request) => {
    const query = request.query as Query;
    const start = queryInteger(query, 'start', 0, { min: 0, max: MAX_INT });
    const size = queryInteger(query, 'size', MAX_INT, { min: 0, max: MAX_INT });
    if (size === 0) return success([]);
    const list = await ctx.store.listInstances({ appId: request.params.appId, states: OLD_STATES, offset: start, limit: size });
    return success(list.map(instanceInfo));
  });

  app.get<InstanceParams>('/apis/v1/applications/:appId/instances/:instanceId', { config: { roles: 'ANY' } }, async (request) => {
    const { appId, instanceId } = request.params;
    const live = model.instance(instanceId);
    const record = live?.appId === appId ? live : await ctx.store.getInstance(appId, instanceId);
    if (!record) throw new LookupFailedError(`No such application instance ${appId}/${instanceId}`);
    // corral additions on the single-instance read: the runner's lifecycle and hook events, and
    // what it uses now while it runs (docs/api.md §2.8).
    const resourceUsage = RUNNING_INSTANCE_STATES.has(record.state) ? ctx.usage?.of(instanceId) : undefined;
    return success({ ...instanceInfo(record), events: record.events ?? [], ...(resourceUsage ? { resourceUsage } : {}) });
  });
}
