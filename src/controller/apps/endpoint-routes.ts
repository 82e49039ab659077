/**
 * Service discovery for gateways (docs/api.md §4.9): exposed apps in an active state with their
 * HEALTHY instances' host ports. Served from the live model.
 */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_APP_STATES, type AppRecord, type InstanceRecord } from '../../api/app-types.ts';
import type { PortType } from '../../api/spec-types.ts';
import { success } from '../../common/envelope.ts';
import type { ControllerContext } from '../context.ts';
import { queryList } from '../http/query-params.ts';

export interface ExposedAppInfo {
  appName: string;
  appId: string;
  vhost: string;
  tags?: Record<string, string>;
  hosts: { host: string; port: number; portType: PortType }[];
}

/** What the endpoint view needs from the applications model. */
export interface EndpointSource {
  listApps(): AppRecord[];
  instances(appId: string): InstanceRecord[];
}

export function exposedApps(ctx: ControllerContext, source: EndpointSource, names?: ReadonlySet<string>): ExposedAppInfo[] {
  const maintenance = ctx.cluster.inMaintenance();
  const result: ExposedAppInfo[] = [];
  for (const app of source.listApps()) {
    const exposure = app.spec.exposureSpec;
    if (!exposure || !ACTIVE_APP_STATES.has(app.state)) continue;
    if (names && names.size > 0 && !names.has(app.spec.name)) continue;
    const port = app.spec.exposedPorts.find((p) => p.name === exposure.portName);
    if (!port) continue;
    const hosts: ExposedAppInfo['hosts'] = [];
    for (const instance of source.instances(app.appId)) {
      if (instance.state !== 'HEALTHY') continue;
      const bound = instance.localInfo?.ports[exposure.portName];
      if (!bound) continue;
      const executor = instance.executorId ? ctx.executors.get(instance.executorId) : undefined;
      // Instances on an executor that went silent are not routable, except in maintenance (§4.9).
      if (!maintenance && !executor?.connected) continue;
      hosts.push({ host: instance.localInfo?.hostname || executor?.record.hostname || '', port: bound.hostPort, portType: bound.portType });
    }
    const info: ExposedAppInfo = { appName: app.spec.name, appId: app.appId, vhost: exposure.vhost, hosts };
    if (app.spec.tags) info.tags = app.spec.tags;
    result.push(info);
  }
  return result;
}

export function registerEndpointRoutes(app: FastifyInstance, ctx: ControllerContext, source: EndpointSource): void {
  app.get('/apis/v1/endpoints', { config: { roles: 'ANY' } }, async (request) => {
    const names = queryList(request.query as Record<string, string | string[] | undefined>, 'app');
    return success(exposedApps(ctx, source, new Set(names)));
  });
  app.get<{ Params: { appName: string } }>('/apis/v1/endpoints/app/:appName', { config: { roles: 'ANY' } }, async (request) => {
    return success(exposedApps(ctx, source, new Set([request.params.appName])));
  });
}
