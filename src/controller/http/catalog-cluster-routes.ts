/**
 * The API catalog's entries for the cluster around the workloads: cluster state, executors,
 * events, service discovery, the instance-facing API, log files and the document itself.
 */
import { z } from 'zod';
import type { CatalogEntry, DocumentedRoute } from './catalog-entry.ts';
import { INSTANCE_STATE, executorIds, lastSyncTime } from './catalog-vocabulary.ts';

const logList = (owner: string): DocumentedRoute => ({
  summary: `List the log files of ${owner}`, tag: 'Log files', section: '5', produces: 'json',
  responses: { 200: '`{"files": [...]}`: the `output.*` files.', 204: 'Unknown workload, or its executor is not connected.' },
});
const logRead = (owner: string): DocumentedRoute => ({
  summary: `Read a log file of ${owner}`, tag: 'Log files', section: '5', produces: 'json',
  description: 'No parameters (or `offset=-1`): `{"data": "", "offset": <file size>}`. Otherwise up to `length` bytes from `offset`, echoing the requested offset.',
  query: z.object({
    offset: z.int().min(-1).optional().describe('Byte offset; -1 (default) = where the end is now.'),
    length: z.int().min(-1).optional().describe('Bytes to read; -1 (default) = 32768; capped at 1 MiB.'),
  }),
  responses: {
    200: '`{"data": "<text>", "offset": <requested offset>}`.',
    204: 'Unknown workload, or its executor is not connected.',
    400: '`{"error": "..."}` from the executor: not one of the workload\'s log files, traversal, NUL byte; or a bad query parameter (envelope).',
    500: '`{"error": "Executor call returned: <code> body: <body>"}`.',
  },
});
const logDownload = (owner: string): DocumentedRoute => ({
  summary: `Download a log file of ${owner}`, tag: 'Log files', section: '5', produces: 'file',
  query: z.object({ rename: z.boolean().optional().describe('Suggest `{owner}_{id}_{file}-{yyyy-MM-dd_HH-mm-ss}` as the file name.') }),
  responses: {
    200: 'The raw file, `Content-Disposition: attachment`.',
    204: 'Unknown workload, or its executor is not connected.',
    400: '`{"error": "..."}` from the executor.',
  },
});
const blacklistAnswer = {
  200: 'SUCCESS: BlacklistOperationResponse `{successful, failed, approxCompletionTimeMs, message}`. FAILED: `Cluster is in maintenance mode`.',
};
const blacklisting = (verb: 'blacklist' | 'unblacklist', bulk: boolean): DocumentedRoute => ({
  summary: `${verb === 'blacklist' ? 'Blacklist' : 'Unblacklist'} ${bulk ? 'executors' : 'one executor'}`,
  tag: 'Executors', section: '4.6',
  description: 'No body. SUCCESS with per-executor outcome in `data`; 200 FAILED `Cluster is in maintenance mode` in maintenance.',
  ...(bulk ? { query: executorIds } : {}),
  responses: bulk ? { ...blacklistAnswer, 400: 'No `id` parameter.' } : blacklistAnswer,
});

export const CLUSTER_ROUTES: Record<string, CatalogEntry> = {
  // Cluster (docs/api.md §4)
  'GET /apis/v1/ping': {
    summary: 'Ping (answers 200 only on the leader)', tag: 'Cluster', section: '4.1',
    responses: { 200: '`{"status":"SUCCESS","data":"pong","message":"success"}`.' },
  },
  'GET /apis/v1/cluster': {
    summary: 'Cluster summary and leader', tag: 'Cluster', section: '4.2',
    responses: { 200: 'SUCCESS: ClusterSummary. FAILED: `Could not fetch cluster summary`.' },
  },
  'GET /apis/v1/cluster/dashboard': {
    summary: 'Dashboard aggregate: summary, app, task, local-service and executor statistics', tag: 'Cluster', section: '4.3',
    responses: {
      200: 'SUCCESS: `{clusterSummary, appStats, taskStats, serviceStats, executorStats, generatedAt}` (docs/api.md §4.3). FAILED: `Could not fetch dashboard data`.',
    },
  },
  'POST /apis/v1/cluster/maintenance/set': {
    summary: 'Set maintenance mode', tag: 'Cluster', section: '4.7', description: 'No body.',
    responses: { 200: 'SUCCESS: `{state: "MAINTENANCE", updated}`. FAILED: `Could not change cluster state`.' },
  },
  'POST /apis/v1/cluster/maintenance/unset': {
    summary: 'Unset maintenance mode', tag: 'Cluster', section: '4.7', description: 'No body. Writes stay blocked for the grace window (docs/api.md §1.7).',
    responses: { 200: 'SUCCESS: `{state: "NORMAL", updated}`. FAILED: `Could not change cluster state`.' },
  },
  'POST /apis/v1/cluster/nodefilter': {
    summary: 'Dry-run a node filter', tag: 'Cluster', section: '4.12', corral: true, body: 'NodeFilterRequest',
    responses: { 200: '`data`: list of `{executorId, name, hostname, executorState, connected}`.', 400: 'A malformed filter.' },
  },

  // Executors (docs/api.md §4.4–§4.6)
  'GET /apis/v1/cluster/executors': {
    summary: 'List executors', tag: 'Executors', section: '4.4',
    responses: { 200: '`data`: list of ExecutorSummary (known executors, then recently removed ones).' },
  },
  'GET /apis/v1/cluster/executors/:executorId': {
    summary: 'Executor details', tag: 'Executors', section: '4.5',
    responses: { 200: 'SUCCESS: ExecutorNodeData plus corral\'s fields: `host` (NUMA nodes, OS and isolated cores, pinning, enforcement) and `coreHolders` (which workload holds which core). FAILED: `No executor found with id: {executorId}`.' },
  },
  'POST /apis/v1/cluster/executors/blacklist': blacklisting('blacklist', true),
  'POST /apis/v1/cluster/executors/unblacklist': blacklisting('unblacklist', true),
  'POST /apis/v1/cluster/executors/:executorId/blacklist': blacklisting('blacklist', false),
  'POST /apis/v1/cluster/executors/:executorId/unblacklist': blacklisting('unblacklist', false),

  // Events (docs/api.md §4.8)
  'GET /apis/v1/cluster/events': {
    summary: 'Events newer than lastSyncTime (legacy list)', tag: 'Events', section: '4.8.1',
    query: z.object({ lastSyncTime, size: z.int().min(0).optional().describe('At most this many (default 1024).') }),
    responses: { 200: '`data`: list of DroveEvent, newest first (Drove\'s event types only).', 400: 'A bad number.' },
  },
  'GET /apis/v1/cluster/events/latest': {
    summary: 'Latest events and the time to pass back', tag: 'Events', section: '4.8.2',
    query: z.object({ lastSyncTime, size: z.int().min(0).optional().describe('At most this many (default 1024).') }),
    responses: { 200: '`data: {events, lastSyncTime}`.', 400: 'A bad number.' },
  },
  'GET /apis/v1/cluster/events/summary': {
    summary: 'Event counts per type', tag: 'Events', section: '4.8.3',
    query: z.object({ lastSyncTime }),
    responses: { 200: '`data: {eventsCount: {TYPE: n}, lastSyncTime}`.', 400: 'A bad number.' },
  },
  'GET /apis/v1/cluster/events/stream': {
    summary: 'Live event stream (server-sent events)', tag: 'Events', section: '4.8.5', corral: true, produces: 'event-stream',
    description: 'Every event type, corral\'s own included; one `data:` line of event JSON per event, the event id as the SSE `id`.',
    query: z.object({
      type: z.array(z.string()).optional().describe('Event types to keep (repeated or comma-separated).'),
      lastSyncTime: z.int().min(0).optional().describe('First replay the stored events newer than this, oldest first.'),
    }),
    responses: { 200: '`text/event-stream` until the client disconnects.', 400: 'An unknown event type or a bad number (envelope).' },
  },

  // Service discovery (docs/api.md §4.9)
  'GET /apis/v1/endpoints': {
    summary: 'Exposed applications and their healthy hosts', tag: 'Endpoints', section: '4.9',
    query: z.object({ app: z.array(z.string()).optional().describe('Application names, repeated.') }),
    responses: { 200: '`data`: list of ExposedAppInfo, sorted by appId.' },
  },
  'GET /apis/v1/endpoints/app/:appName': {
    summary: 'Endpoints of one application name', tag: 'Endpoints', section: '4.9',
    responses: { 200: '`data`: list of ExposedAppInfo (`[]` when none).' },
  },

  // Instance-facing API (docs/api.md §4.10)
  'GET /apis/v1/internal/instances': {
    summary: 'The calling instance\'s app instances (for instances, with their own token)', tag: 'Instances', section: '4.10',
    description: 'Authenticated by `App-Instance-Authorization: $DROVE_APP_INSTANCE_AUTH_TOKEN`; users (Basic) get 403. '
      + 'A genuine token of an instance that has ended, or that the controller does not know: 200 FAILED `Please send valid token for you app instance. …`.',
    query: z.object({
      state: z.array(INSTANCE_STATE).optional().describe('Repeated; default UNREADY, READY, HEALTHY.'),
      forApp: z.boolean().optional().describe('true: the instances of every version of the app\'s name (default false: the caller\'s appId).'),
    }),
    responses: {
      200: 'SUCCESS: list of InstanceInfo sorted by instanceId. FAILED: the token speaks for no live instance.',
      400: 'An unknown state, or forApp not true/false.',
      401: 'A missing, malformed, forged or expired instance token.',
    },
  },

  // Log files (docs/api.md §5)
  'GET /apis/v1/logfiles/tasks/:sourceAppName/:taskId/list': logList('a task'),
  'GET /apis/v1/logfiles/tasks/:sourceAppName/:taskId/read/:fileName': logRead('a task'),
  'GET /apis/v1/logfiles/tasks/:sourceAppName/:taskId/download/:fileName': logDownload('a task'),
  'GET /apis/v1/logfiles/applications/:appId/:instanceId/list': logList('an application instance'),
  'GET /apis/v1/logfiles/applications/:appId/:instanceId/read/:fileName': logRead('an application instance'),
  'GET /apis/v1/logfiles/applications/:appId/:instanceId/download/:fileName': logDownload('an application instance'),
  'GET /apis/v1/logfiles/localservices/:serviceId/:instanceId/list': logList('a local-service instance'),
  'GET /apis/v1/logfiles/localservices/:serviceId/:instanceId/read/:fileName': logRead('a local-service instance'),
  'GET /apis/v1/logfiles/localservices/:serviceId/:instanceId/download/:fileName': logDownload('a local-service instance'),

  // Meta (docs/api.md §4.13, §4.14)
  'GET /apis/openapi.json': {
    summary: 'This OpenAPI document', tag: 'Meta', section: '4.13', corral: true, produces: 'json',
    responses: { 200: 'The OpenAPI 3.1 document, generated from the routes and the zod schemas.' },
  },
  'GET /metrics': {
    summary: 'Prometheus metrics', tag: 'Meta', section: '4.14', corral: true, produces: 'text',
    responses: { 200: 'Prometheus text exposition format.' },
  },
  'GET /apis/v1/internal/executors/channel': {
    hidden: 'the executor control channel, a WebSocket authenticated by Cluster-Authorization (docs/api.md §4.11)',
  },
  'GET /apis/docs*': {
    hidden: 'the browsable page of this document (@fastify/swagger-ui)', assignRoles: 'ANY', challenge: true,
  },
};
