/** The API catalog's entries for workloads: applications, local services, tasks and operations. */
import { z } from 'zod';
import type { CatalogEntry, DocumentedRoute } from './catalog-entry.ts';
import { INSTANCE_STATE, MAX_INT, OPERATION_TYPE, STORE_DOWN, page } from './catalog-vocabulary.ts';

const submitApp: DocumentedRoute = {
  summary: 'Submit an application operation', tag: 'Applications', section: '2.1', body: 'ApplicationOperation',
  description: 'CREATE, START_INSTANCES, SCALE, SUSPEND, STOP_INSTANCES, REPLACE_INSTANCES, DESTROY, RECOVER. Validated and persisted before the answer; the work runs asynchronously.',
  responses: {
    200: '`data: {appId, operationId}` (`operationId` is corral\'s).', 400: 'Constraint, state, capacity or maintenance refusal (docs/api.md §2.1).', 503: STORE_DOWN,
  },
};
const cancelApp: DocumentedRoute = {
  summary: 'Cancel the current application operation', tag: 'Applications', section: '2.5', plainRefusal: true,
  description: 'No body. Cooperative: steps in flight finish, nothing new starts.',
  responses: { 200: 'Exactly `{"status":"SUCCESS","message":"success"}`.', 400: '`Current operation could not be cancelled`.', 503: STORE_DOWN },
};

export const WORKLOAD_ROUTES: Record<string, CatalogEntry> = {
  // Applications (docs/api.md §2)
  'POST /apis/v1/applications/operations': submitApp,
  'POST /apis/v1/operations': { ...submitApp, summary: 'Submit an application operation (deprecated path)', deprecated: true },
  'POST /apis/v1/applications/operations/:appId/cancel': cancelApp,
  'POST /apis/v1/operations/:appId/cancel': { ...cancelApp, summary: 'Cancel the current application operation (deprecated path)', deprecated: true },
  'POST /apis/v1/applications/validate/spec': {
    summary: 'Validate an application spec', tag: 'Applications', section: '2.6', body: 'ApplicationSpec',
    responses: { 200: '`data: {"valid": true}`.', 400: 'What is wrong with the spec.' },
  },
  'POST /apis/v1/applications/placementpolicy/rule/dryrun': {
    summary: 'Dry-run a RULE_BASED placement rule', tag: 'Applications', section: '2.7', body: 'RuleDryRunRequest',
    description: 'Compiles the HOPE rule and evaluates it against the given scheduling document (docs/placement.md). `data.status` is true when the rule '
      + 'compiled and evaluated without error (its value is `evalResult.result`); `checkResult` is `{"status":"SUCCESS"}` or the compile error as a string.',
    responses: {
      200: '`data: {status, checkResult, evalResult: {status, result?, error?}}` (docs/api.md §2.7).',
      400: 'A malformed request, or `Cluster is in maintenance mode`.',
    },
  },
  'GET /apis/v1/applications': {
    summary: 'List applications', tag: 'Applications', section: '2.8.1',
    query: z.object({ from: page('Offset into the list, in appId order', MAX_INT, 0), size: page('Page size', MAX_INT, MAX_INT) }),
    responses: { 200: '`data`: map appId → AppSummary.', 400: 'A query parameter that is not a number in range.' },
  },
  'GET /apis/v1/applications/:appId': {
    summary: 'Application summary', tag: 'Applications', section: '2.8.2',
    responses: { 200: 'SUCCESS: AppSummary. FAILED: `App {appId} not found`.' },
  },
  'GET /apis/v1/applications/:appId/spec': {
    summary: 'Application spec (masked)', tag: 'Applications', section: '2.8.3',
    responses: { 200: 'SUCCESS: the ApplicationSpec, secrets masked, durations in long form. FAILED: `App {appId} not found`.' },
  },
  'GET /apis/v1/applications/:appId/instances': {
    summary: 'Active instances of an application', tag: 'Applications', section: '2.8.4',
    query: z.object({ state: z.array(INSTANCE_STATE).optional().describe('Repeated; filters within the active states.') }),
    responses: { 200: '`data`: list of InstanceInfo (`[]` for an unknown app).', 400: 'An unknown state value.' },
  },
  'GET /apis/v1/applications/:appId/instances/old': {
    summary: 'Old (ended) instances of an application', tag: 'Applications', section: '2.8.6',
    query: z.object({ start: page('Offset', MAX_INT, 0), size: page('Page size', MAX_INT, MAX_INT) }),
    responses: { 200: '`data`: list of InstanceInfo (`[]` for an unknown app).', 400: 'A query parameter that is not a number in range.' },
  },
  'GET /apis/v1/applications/:appId/instances/:instanceId': {
    summary: 'One application instance', tag: 'Applications', section: '2.8.5',
    responses: { 200: 'SUCCESS: InstanceInfo, plus corral\'s `events` and, while it runs, `resourceUsage` (schema ResourceUsage). FAILED: `No such application instance {appId}/{instanceId}`.' },
  },

  // Local services (docs/api.md §8)
  'POST /apis/v1/localservices/operations': {
    summary: 'Submit a local-service operation', tag: 'Local services', section: '8.2', body: 'LocalServiceOperation',
    description: 'CREATE, ACTIVATE, DEACTIVATE (alias STOP), DEPLOY_TEST_INSTANCE, ADJUST_INSTANCES, UPDATE_INSTANCE_COUNT, REPLACE_INSTANCES, '
      + 'STOP_INSTANCES, RESTART, DESTROY. Validated and persisted before the answer; the work runs asynchronously as an operation record.',
    responses: {
      200: '`data: {serviceId, operationId}` (`operationId` is corral\'s).', 400: 'Constraint, state or maintenance refusal (docs/api.md §8.2).', 503: STORE_DOWN,
    },
  },
  'POST /apis/v1/localservices/operations/:serviceId/cancel': {
    summary: 'Cancel the current local-service operation', tag: 'Local services', section: '8.4', plainRefusal: true,
    description: 'No body. Only while instances are being adjusted or replaced; a cancelled adjustment of an ACTIVE or CONFIG_TESTING service deactivates it.',
    responses: { 200: 'Exactly `{"status":"SUCCESS","message":"success"}`.', 400: '`Current operation could not be cancelled`.', 503: STORE_DOWN },
  },
  'POST /apis/v1/localservices/validate/spec': {
    summary: 'Validate a local-service spec', tag: 'Local services', section: '8.5', body: 'LocalServiceSpec',
    responses: { 200: '`data: {"valid": true}`.', 400: 'What is wrong with the spec.' },
  },
  'GET /apis/v1/localservices': {
    summary: 'List local services', tag: 'Local services', section: '8.6',
    query: z.object({ from: page('Offset into the list, in serviceId order', MAX_INT, 0), size: page('Page size', MAX_INT, MAX_INT) }),
    responses: { 200: '`data`: map serviceId → LocalServiceSummary.', 400: 'A query parameter that is not a number in range.' },
  },
  'GET /apis/v1/localservices/:serviceId': {
    summary: 'Local-service summary', tag: 'Local services', section: '8.6',
    responses: { 200: 'SUCCESS: LocalServiceSummary. FAILED: `Local service {serviceId} not found`.' },
  },
  'GET /apis/v1/localservices/:serviceId/spec': {
    summary: 'Local-service spec (masked)', tag: 'Local services', section: '8.6',
    responses: { 200: 'SUCCESS: the LocalServiceSpec, secrets masked. FAILED: `Local service {serviceId} not found`.' },
  },
  'GET /apis/v1/localservices/:serviceId/instances': {
    summary: 'Active instances of a local service', tag: 'Local services', section: '8.6',
    query: z.object({ state: z.array(INSTANCE_STATE).optional().describe('Repeated; filters within the active states.') }),
    responses: { 200: '`data`: list of LocalServiceInstanceInfo (`[]` for an unknown service).', 400: 'An unknown state value.' },
  },
  'GET /apis/v1/localservices/:serviceId/instances/old': {
    summary: 'Old (ended) instances of a local service', tag: 'Local services', section: '8.6',
    responses: { 200: '`data`: list of LocalServiceInstanceInfo (`[]` for an unknown service).' },
  },
  'GET /apis/v1/localservices/:serviceId/instances/:instanceId': {
    summary: 'One local-service instance', tag: 'Local services', section: '8.6',
    responses: { 200: 'SUCCESS: LocalServiceInstanceInfo. FAILED: `No such local service instance {serviceId}/{instanceId}`.' },
  },

  // Tasks (docs/api.md §3)
  'POST /apis/v1/tasks/operations': {
    summary: 'Submit a task operation (CREATE or KILL)', tag: 'Tasks', section: '3.1', body: 'TaskOperation',
    responses: {
      200: 'CREATE: `data: {taskId: "{sourceAppName}-{taskId}", operationId}`; KILL: `data: {taskId, operationId}` (`operationId` is corral\'s).',
      400: 'Constraint, duplicate, capacity, node-filter or maintenance refusal (docs/api.md §3.1).',
      503: STORE_DOWN,
    },
  },
  'POST /apis/v1/tasks/validate/spec': {
    summary: 'Validate a task spec', tag: 'Tasks', section: '3.2', body: 'TaskSpec',
    responses: { 200: 'Exactly `{"status":"SUCCESS","message":"success"}`.', 400: 'What is wrong with the spec.' },
  },
  'POST /apis/v1/tasks/search': {
    summary: 'Task search (Drove UI helper): redirect to the task\'s page', tag: 'Tasks', section: '3.6',
    description: 'Form fields (`application/x-www-form-urlencoded`, as Drove\'s UI posts them; a JSON object works too) '
      + '`taskSearchAppName` and `taskSearchTaskID`, each non-empty `[A-Za-z0-9_-]*`.',
    responses: { 303: '`Location: /tasks/{sourceAppName}/{taskId}` (the dashboard\'s task page) when the task exists, else `Location: /`.', 400: 'A missing or malformed field.' },
  },
  'GET /apis/v1/tasks/search': {
    summary: 'Task search with a query string (redirect to the task\'s page)', tag: 'Tasks', section: '3.6', corral: true,
    query: z.object({
      taskSearchAppName: z.string().describe('The task\'s sourceAppName, `[A-Za-z0-9_-]*`.'),
      taskSearchTaskID: z.string().describe('The taskId, `[A-Za-z0-9_-]*`.'),
    }),
    responses: { 303: 'As the POST form.', 400: 'A missing or malformed field.' },
  },
  'GET /apis/v1/tasks': {
    summary: 'List active tasks', tag: 'Tasks', section: '3.3',
    responses: { 200: '`data`: list of TaskInfo in an active state.' },
  },
  'GET /apis/v1/tasks/:sourceAppName/instances/:taskId': {
    summary: 'One task', tag: 'Tasks', section: '3.4',
    responses: { 200: 'SUCCESS: TaskInfo, plus corral\'s `resourceUsage` while it runs (schema ResourceUsage). FAILED: `No such task instance {sourceAppName}/{taskId}`.' },
  },
  'DELETE /apis/v1/tasks/:sourceAppName/instances/:taskId': {
    summary: 'Delete a finished task record', tag: 'Tasks', section: '3.5',
    responses: {
      200: 'SUCCESS: `data: {"deleted": true}`. FAILED: `data: {"deleted": false}`, `Could not delete {sourceAppName}/{taskId}` (unknown or still active).',
      503: STORE_DOWN,
    },
  },
  'POST /apis/v1/tasks/abort': {
    summary: 'Abort tasks (graceful or force)', tag: 'Tasks', section: '3.8', corral: true, body: 'TaskAbortRequest', bodyOptional: true,
    description: 'An empty or missing `tasks` list aborts every active task.',
    responses: { 200: '`data: {results: [{sourceAppName, taskId, aborted, reason?}]}`.', 400: 'A malformed request.', 503: STORE_DOWN },
  },

  // Operations as jobs (docs/api.md §11, corral)
  'GET /apis/v1/operations': {
    summary: 'List operations', tag: 'Operations', section: '11.1', corral: true,
    query: z.object({
      state: z.enum(['ACTIVE', 'FINISHED']).optional(),
      appId: z.string().optional(),
      type: OPERATION_TYPE.optional(),
      from: z.int().min(0).optional().describe('Offset (default 0).'),
      size: z.int().min(0).max(10_000).optional().describe('Page size (default 100).'),
    }),
    responses: { 200: '`data`: list of Operation, newest first.', 400: 'An unknown state or type, or a bad number.' },
  },
  'GET /apis/v1/operations/:operationId': {
    summary: 'One operation', tag: 'Operations', section: '11.2', corral: true,
    responses: { 200: 'SUCCESS: Operation. FAILED: `No operation found with id {operationId}`.' },
  },
  'POST /apis/v1/operations/abort': {
    summary: 'Abort operations (graceful or force)', tag: 'Operations', section: '11.3', corral: true,
    body: 'OperationAbortRequest', bodyOptional: true,
    description: 'An empty or missing `operationIds` list aborts every active operation. Not maintenance-gated.',
    responses: { 200: '`data: {results: [{operationId, aborted, reason?}]}`.', 400: 'A malformed request.', 503: STORE_DOWN },
  },
};
