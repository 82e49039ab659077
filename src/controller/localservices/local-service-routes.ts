/** Local-service routes (docs/api.md §8): operations, cancel, validate, reads. */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_INSTANCE_STATES, type InstanceState } from '../../api/app-types.ts';
import { localServiceInstanceInfo } from '../../api/localservice-types.ts';
import { checkLocalServiceSpec, parseLocalServiceSpec, renderAppSpec } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError } from '../../common/errors.ts';
import type { ControllerContext } from '../context.ts';
import { queryInteger, queryList } from '../http/query-params.ts';
import type { LocalServiceCommands } from './local-service-commands.ts';
import type { LocalServiceModel } from './local-service-model.ts';
import { serviceSummary } from './local-service-views.ts';

const MAX_INT = 2147483646;
const OLD_STATES: InstanceState[] = ['STOPPED', 'LOST', 'PROVISIONING_FAILED', 'START_FAILED', 'READINESS_CHECK_FAILED', 'UNKNOWN'];
const ALL_INSTANCE_STATES: ReadonlySet<string> = new Set([...ACTIVE_INSTANCE_STATES, ...OLD_STATES]);

type ServiceParams = { Params: { serviceId: string } };
type InstanceParams = { Params: { serviceId: string; instanceId: string } };
type Query = Record<string, string | string[] | undefined>;

export function registerLocalServiceRoutes(app: FastifyInstance, ctx: ControllerContext, model: LocalServiceModel, commands: LocalServiceCommands): void {
  app.post('/apis/v1/localservices/operations', { config: { roles: 'RW' } }, async (request) =>
    success(await commands.submit(request.body, request.principal)));

  app.post<ServiceParams>('/apis/v1/localservices/operations/:serviceId/cancel', { config: { roles: 'RW' } }, async (request) => {
    await commands.cancel(request.params.serviceId, request.principal);
    return success();
  });

  app.post('/apis/v1/localservices/validate/spec', { config: { roles: 'ANY' } }, async (request) => {
    const spec = parseLocalServiceSpec(request.body, null);
    ctx.cluster.assertWritable();
    const problems = checkLocalServiceSpec(spec, ctx.config);
    if (problems.length > 0) throw new CommandValidationError(problems);
    return success({ valid: true });
  });

  const summaryOf = (serviceId: string) => {
    const service = model.service(serviceId);
    if (!service) throw new LookupFailedError(`Local service ${serviceId} not found`);
    return serviceSummary(service, model.instances(serviceId));
  };

  app.get('/apis/v1/localservices', { config: { roles: 'ANY' } }, async (request) => {
    const query = request.query as Query;
    const from = queryInteger(query, 'from', 0, { min: 0, max: MAX_INT });
    const size = queryInteger(query, 'size', MAX_INT, { min: 0, max: MAX_INT });
    const data: Record<string, unknown> = {};
    for (const service of model.listServices().slice(from, from + size)) data[service.serviceId] = summaryOf(service.serviceId);
    return success(data);
  });

  app.get<ServiceParams>('/apis/v1/localservices/:serviceId', { config: { roles: 'ANY' } }, async (request) =>
    success(summaryOf(request.params.serviceId)));

  app.get<ServiceParams>('/apis/v1/localservices/:serviceId/spec', { config: { roles: 'ANY' } }, async (request) => {
    const service = model.service(request.params.serviceId);
    if (!service) throw new LookupFailedError(`Local service ${request.params.serviceId} not found`);
    return success(renderAppSpec(service.spec));
  });

  app.get<ServiceParams>('/apis/v1/localservices/:serviceId/instances', { config: { roles: 'ANY' } }, async (request) => {
    const states = queryList(request.query as Query, 'state');
    const unknown = states.filter((s) => !ALL_INSTANCE_STATES.has(s));
    if (unknown.length > 0) throw new CommandValidationError(unknown.map((s) => `state has an unknown value "${s}" (use upper-case instance states such as HEALTHY)`));
    const wanted = new Set(states);
    const list = model.instances(request.params.serviceId)
      .filter((i) => ACTIVE_INSTANCE_STATES.has(i.state) && (wanted.size === 0 || wanted.has(i.state)));
    return success(list.map(localServiceInstanceInfo));
  });

  app.get<ServiceParams>('/apis/v1/localservices/:serviceId/instances/old', { config: { roles: 'ANY' } }, async (request) => {
    const list = await ctx.store.listLocalServiceInstances({ serviceId: request.params.serviceId, states: OLD_STATES });
    return success(list.map(localServiceInstanceInfo));
  });

  app.get<InstanceParams>('/apis/v1/localservices/:serviceId/instances/:instanceId', { config: { roles: 'ANY' } }, async (request) => {
    const { serviceId, instanceId } = request.params;
    const live = model.instance(instanceId);
    const record = live?.appId === serviceId ? live : await ctx.store.getLocalServiceInstance(serviceId, instanceId);
    if (!record) throw new LookupFailedError(`No such local service instance ${serviceId}/${instanceId}`);
    // corral addition on the single-instance read, as for app instances: the runner's events.
    return success({ ...localServiceInstanceInfo(record), events: record.events ?? [] });
  });
}
