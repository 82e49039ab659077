/**
 * Every route of the controller's API with what the fuzzer sends it: path parameters, the query
 * parameters it reads, and the zod schema of its body (src/api/validation). `routesOf` reads the
 * routes the server actually has (Fastify's route tree), so a route added without a row here
 * fails the fuzz suite's coverage test instead of going unfuzzed.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { operationAbortSchema, taskAbortSchema } from '../../src/api/validation/abort-schema.ts';
import { appOperationSchema, appSpecSchema } from '../../src/api/validation/app-schema.ts';
import { localServiceOperationSchema, localServiceSpecSchema } from '../../src/api/validation/local-service-schema.ts';
import { nodeFilterSchema } from '../../src/api/validation/node-filter-schema.ts';
import { ruleDryRunSchema } from '../../src/api/validation/rule-dryrun-schema.ts';
import { taskSearchSchema } from '../../src/api/validation/task-search-schema.ts';
import { taskOperationSchema, taskSpecSchema } from '../../src/api/validation/task-schema.ts';

export interface FuzzRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify's path, `:name` for parameters. */
  path: string;
  /** The body's schema; absent = a body-less route (it gets empty, `{}` and garbage bodies). */
  body?: z.ZodType;
  /** Query parameters the route reads. */
  query?: string[];
  /** A long-lived answer (server-sent events): only the status line is checked. */
  stream?: boolean;
}

const PAGING = ['from', 'size'];
const LOG_READ = ['offset', 'length'];

export const FUZZ_ROUTES: FuzzRoute[] = [
  { method: 'GET', path: '/metrics' },
  // The dashboard (src/web): its pages at every deep link, its files and its session probe.
  ...['/', '/*', '/apps', '/apps*', '/executors', '/executors*', '/local-services', '/local-services*', '/operations', '/operations*',
    '/tasks', '/tasks*', '/favicon.ico', '/ui/session', '/ui/vendor/:file'].map((path): FuzzRoute => ({ method: 'GET', path })),
  { method: 'GET', path: '/apis/openapi.json' },
  { method: 'GET', path: '/apis/docs' },
  { method: 'GET', path: '/apis/docs/' },
  { method: 'GET', path: '/apis/docs/*' },
  { method: 'GET', path: '/apis/docs/json' },
  { method: 'GET', path: '/apis/docs/yaml' },
  { method: 'GET', path: '/apis/docs/static/index.html' },
  { method: 'GET', path: '/apis/docs/static/swagger-initializer.js' },
  { method: 'GET', path: '/apis/v1/internal/executors/channel' },
  { method: 'GET', path: '/apis/v1/ping' },
  { method: 'GET', path: '/apis/v1/cluster' },
  { method: 'GET', path: '/apis/v1/cluster/dashboard' },
  { method: 'POST', path: '/apis/v1/cluster/maintenance/set' },
  { method: 'POST', path: '/apis/v1/cluster/maintenance/unset' },
  { method: 'GET', path: '/apis/v1/cluster/executors' },
  { method: 'POST', path: '/apis/v1/cluster/executors/blacklist', query: ['id'] },
  { method: 'POST', path: '/apis/v1/cluster/executors/unblacklist', query: ['id'] },
  { method: 'GET', path: '/apis/v1/cluster/executors/:executorId' },
  { method: 'POST', path: '/apis/v1/cluster/executors/:executorId/blacklist' },
  { method: 'POST', path: '/apis/v1/cluster/executors/:executorId/unblacklist' },
  { method: 'GET', path: '/apis/v1/cluster/events', query: ['lastSyncTime', 'size', 'type'] },
  { method: 'GET', path: '/apis/v1/cluster/events/latest', query: ['size', 'type'] },
  { method: 'GET', path: '/apis/v1/cluster/events/summary', query: ['lastSyncTime'] },
  { method: 'GET', path: '/apis/v1/cluster/events/stream', query: ['type', 'lastSyncTime'], stream: true },
  { method: 'POST', path: '/apis/v1/cluster/nodefilter', body: nodeFilterSchema },
  { method: 'GET', path: '/apis/v1/tasks', query: ['state', 'sourceAppName'] },
  { method: 'POST', path: '/apis/v1/tasks/search', body: taskSearchSchema },
  { method: 'GET', path: '/apis/v1/tasks/search', query: ['taskSearchAppName', 'taskSearchTaskID'] },
  { method: 'POST', path: '/apis/v1/tasks/operations', body: taskOperationSchema },
  { method: 'POST', path: '/apis/v1/tasks/validate/spec', body: taskSpecSchema },
  { method: 'POST', path: '/apis/v1/tasks/abort', body: taskAbortSchema },
  { method: 'GET', path: '/apis/v1/tasks/:sourceAppName/instances/:taskId' },
  { method: 'DELETE', path: '/apis/v1/tasks/:sourceAppName/instances/:taskId' },
  { method: 'GET', path: '/apis/v1/logfiles/tasks/:sourceAppName/:taskId/list' },
  { method: 'GET', path: '/apis/v1/logfiles/tasks/:sourceAppName/:taskId/read/:fileName', query: LOG_READ },
  { method: 'GET', path: '/apis/v1/logfiles/tasks/:sourceAppName/:taskId/download/:fileName', query: ['rename'] },
  { method: 'GET', path: '/apis/v1/logfiles/applications/:appId/:instanceId/list' },
  { method: 'GET', path: '/apis/v1/logfiles/applications/:appId/:instanceId/read/:fileName', query: LOG_READ },
  { method: 'GET', path: '/apis/v1/logfiles/applications/:appId/:instanceId/download/:fileName', query: ['rename'] },
  { method: 'GET', path: '/apis/v1/logfiles/localservices/:serviceId/:instanceId/list' },
  { method: 'GET', path: '/apis/v1/logfiles/localservices/:serviceId/:instanceId/read/:fileName', query: LOG_READ },
  { method: 'GET', path: '/apis/v1/logfiles/localservices/:serviceId/:instanceId/download/:fileName', query: ['rename'] },
  { method: 'GET', path: '/apis/v1/localservices', query: PAGING },
  { method: 'POST', path: '/apis/v1/localservices/operations', body: localServiceOperationSchema },
  { method: 'POST', path: '/apis/v1/localservices/operations/:serviceId/cancel' },
  { method: 'POST', path: '/apis/v1/localservices/validate/spec', body: localServiceSpecSchema },
  { method: 'GET', path: '/apis/v1/localservices/:serviceId' },
  { method: 'GET', path: '/apis/v1/localservices/:serviceId/spec' },
  { method: 'GET', path: '/apis/v1/localservices/:serviceId/instances', query: ['state'] },
  { method: 'GET', path: '/apis/v1/localservices/:serviceId/instances/old' },
  { method: 'GET', path: '/apis/v1/localservices/:serviceId/instances/:instanceId' },
  { method: 'GET', path: '/apis/v1/applications' },
  { method: 'POST', path: '/apis/v1/applications/operations', body: appOperationSchema },
  { method: 'POST', path: '/apis/v1/applications/operations/:appId/cancel' },
  { method: 'POST', path: '/apis/v1/applications/validate/spec', body: appSpecSchema },
  { method: 'POST', path: '/apis/v1/applications/placementpolicy/rule/dryrun', body: ruleDryRunSchema },
  { method: 'GET', path: '/apis/v1/applications/:appId' },
  { method: 'GET', path: '/apis/v1/applications/:appId/spec' },
  { method: 'GET', path: '/apis/v1/applications/:appId/instances', query: ['state'] },
  { method: 'GET', path: '/apis/v1/applications/:appId/instances/old', query: PAGING },
  { method: 'GET', path: '/apis/v1/applications/:appId/instances/:instanceId' },
  { method: 'GET', path: '/apis/v1/operations', query: ['state', 'appId', 'type', ...PAGING] },
  { method: 'POST', path: '/apis/v1/operations', body: appOperationSchema },
  { method: 'POST', path: '/apis/v1/operations/abort', body: operationAbortSchema },
  { method: 'GET', path: '/apis/v1/operations/:operationId' },
  { method: 'POST', path: '/apis/v1/operations/:appId/cancel' },
  { method: 'GET', path: '/apis/v1/endpoints', query: ['app'] },
  { method: 'GET', path: '/apis/v1/endpoints/app/:appName' },
  { method: 'GET', path: '/apis/v1/internal/instances', query: ['state', 'forApp'] },
];

/** `METHOD path` of every route the server has (HEAD left out: Fastify adds it to each GET). */
export function routesOf(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    // `/:appId|:operationId`: one segment that two routes name differently; the first name stands for both.
    const segment = match[2].replace(/\|:[^/]+/g, '');
    prefixes.length = depth;
    prefixes.push(segment);
    const path = prefixes.join('');
    for (const method of match[3].split(',').map((m) => m.trim()).filter((m) => m !== 'HEAD')) routes.push(`${method} ${path}`);
  }
  return routes.sort();
}
