/**
 * The table of hostile-input cases run by hostile-input.test.ts: per route family, malformed and
 * wrongly typed bodies, traversal and unicode in ids and file names, out-of-range numbers,
 * repeated and unconvertible query parameters, wrong methods, missing/invalid credentials and
 * the read-only user on every write. Each row names the answer expected (status and a pattern the
 * message must match) — never a 500, a hang or a record.
 *
 * Fixture names the test prepares: task TEST_APP/done (ran, has output.log), task
 * TEST_APP/never (its command did not exist: no log directory on the executor).
 */

export type Auth = 'admin' | 'guest' | 'none' | 'wrong' | { header: string };

export interface HostileCase {
  name: string;
  method: string;
  path: string;
  /** Raw body (sent as is). */
  body?: string;
  /** A value sent as JSON. */
  json?: unknown;
  /** Content-Type for a body (default application/json); null sends none. */
  contentType?: string | null;
  auth?: Auth;
  status: number;
  /** Must match the answer's message, validation errors or `error` text. */
  message?: RegExp;
}

const OP = { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' };
const TASK = {
  sourceAppName: 'HOSTILE', taskId: 't1', executable: { type: 'PROCESS', command: '/bin/true' },
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
};
const APP = {
  name: 'hostile', version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: '/bin/true' },
  exposedPorts: [{ name: 'main', port: 8000, type: 'HTTP' }],
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
  healthcheck: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1s', interval: '1s', attempts: 3 },
  readiness: { mode: { type: 'HTTP', portName: 'main', path: '/', verb: 'GET', successCodes: [200] }, timeout: '1s', interval: '1s', attempts: 3 },
};
const task = (fields: Record<string, unknown>) => ({ type: 'CREATE', spec: { ...TASK, ...fields }, opSpec: OP });
const app = (fields: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ type: 'CREATE', spec: { ...APP, ...fields }, opSpec: OP, ...extra });
const scale = (fields: Record<string, unknown>) => ({ type: 'SCALE', appId: 'hostile-1', requiredInstances: 1, opSpec: OP, ...fields });

const JSON_FAIL = /JSON validation failure/;
const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
const huge = `{"type":"SCALE","pad":"${'x'.repeat(3 * 1024 * 1024)}"}`;

/** Bodies that are not an object, for every JSON endpoint. */
function notObjects(path: string, what: RegExp): HostileCase[] {
  return [
    { name: 'truncated JSON', method: 'POST', path, body: '{"type": "CREATE", "spec": {', status: 400, message: /Malformed JSON body/ },
    { name: 'garbage', method: 'POST', path, body: '{bad json', status: 400, message: /Malformed JSON body/ },
    { name: 'an array', method: 'POST', path, body: '[]', status: 400, message: what },
    { name: 'a string', method: 'POST', path, body: '"CREATE"', status: 400, message: what },
    { name: 'a number', method: 'POST', path, body: '42', status: 400, message: what },
    { name: 'null', method: 'POST', path, body: 'null', status: 400, message: what },
    { name: 'nested 5000 deep', method: 'POST', path, body: deep, status: 400, message: /deeper than/ },
    { name: '3 MiB', method: 'POST', path, body: huge, status: 400, message: /larger than the limit/ },
    { name: 'invalid UTF-8', method: 'POST', path, body: '\udcff{}', status: 400, message: JSON_FAIL },
  ].map((c) => ({ ...c, name: `${path}: ${c.name}` }));
}

const WRITES: [string, string][] = [
  ['POST', '/apis/v1/tasks/operations'], ['POST', '/apis/v1/tasks/abort'], ['DELETE', '/apis/v1/tasks/TEST_APP/instances/done'],
  ['POST', '/apis/v1/applications/operations'], ['POST', '/apis/v1/operations'],
  ['POST', '/apis/v1/applications/operations/hostile-1/cancel'], ['POST', '/apis/v1/operations/hostile-1/cancel'],
  ['POST', '/apis/v1/operations/abort'], ['POST', '/apis/v1/cluster/executors/blacklist?id=x'],
  ['POST', '/apis/v1/cluster/executors/x/blacklist'], ['POST', '/apis/v1/cluster/executors/unblacklist?id=x'],
  ['POST', '/apis/v1/cluster/executors/x/unblacklist'], ['POST', '/apis/v1/cluster/maintenance/set'], ['POST', '/apis/v1/cluster/maintenance/unset'],
];

const FAMILY_READS = [
  '/apis/v1/tasks', '/apis/v1/applications', '/apis/v1/operations', '/apis/v1/cluster', '/apis/v1/cluster/executors',
  '/apis/v1/cluster/events', '/apis/v1/endpoints', '/apis/v1/logfiles/tasks/TEST_APP/done/list',
];

const LOG = '/apis/v1/logfiles/tasks/TEST_APP/done';

export const HOSTILE_CASES: HostileCase[] = [
  // ── tasks ──
  ...notObjects('/apis/v1/tasks/operations', /Task operation must be a JSON object/),
  { name: 'task: missing type', method: 'POST', path: '/apis/v1/tasks/operations', json: { spec: TASK, opSpec: OP }, status: 400, message: /type is missing/ },
  { name: 'task: unknown type', method: 'POST', path: '/apis/v1/tasks/operations', json: { ...task({}), type: 'DESTROY' }, status: 400, message: /"DESTROY" is not a known type/ },
  { name: 'task: spec null', method: 'POST', path: '/apis/v1/tasks/operations', json: { type: 'CREATE', spec: null, opSpec: OP }, status: 400, message: /spec must not be null/ },
  { name: 'task: opSpec missing', method: 'POST', path: '/apis/v1/tasks/operations', json: { type: 'CREATE', spec: TASK }, status: 400, message: /opSpec must not be null/ },
  { name: 'task: taskId a number', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ taskId: 7 }), status: 400, message: /spec\.taskId: expected a JSON string/ },
  { name: 'task: traversal in taskId', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ taskId: '../../etc' }), status: 400, message: /spec\.taskId must match/ },
  { name: 'task: unicode sourceAppName', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ sourceAppName: 'zoë' }), status: 400, message: /spec\.sourceAppName must match/ },
  { name: 'task: relative command', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ executable: { type: 'PROCESS', command: 'bin/sh' } }), status: 400, message: /absolute path/ },
  { name: 'task: unknown executable type', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ executable: { type: 'RKT', command: '/bin/true' } }), status: 400, message: /"RKT" is not a known type/ },
  { name: 'task: negative cores', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ resources: [{ type: 'CPU', count: -1 }, { type: 'MEMORY', sizeInMB: 16 }] }), status: 400, message: /count must be greater than or equal to 1/ },
  { name: 'task: 10^12 MB', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 1e12 }] }), status: 400, message: /enough Memory/ },
  { name: 'task: resources a string', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ resources: 'lots' }), status: 400, message: /spec\.resources: expected a JSON array/ },
  { name: 'task: env value a number', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ env: { A: 1 } }), status: 400, message: /spec\.env\.A/ },
  { name: 'task: 3000 args', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ args: Array(3000).fill('x') }), status: 400, message: /args size/ },
  { name: 'task: negative maxRunDuration', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ maxRunDuration: '-1s' }), status: 400, message: /Invalid duration/ },
  { name: 'task: filter matching no node', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: ['nope'] }] } }), status: 400, message: /matches no executor/ },
  { name: 'task: config escaping the task dir', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ configs: [{ type: 'INLINE', localFilename: '../../../etc/evil', data: 'aGk=' }] }), status: 400, message: /escapes the task directory/ },
  { name: 'task: config not Base64', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ configs: [{ type: 'INLINE', localFilename: 'x', data: '!!' }] }), status: 400, message: /Base64/ },
  { name: 'task: parallelism 0', method: 'POST', path: '/apis/v1/tasks/operations', json: { ...task({}), opSpec: { ...OP, parallelism: 0 } }, status: 400, message: /parallelism must be greater than or equal to 1/ },
  { name: 'task: parallelism 513', method: 'POST', path: '/apis/v1/tasks/operations', json: { ...task({}), opSpec: { ...OP, parallelism: 513 } }, status: 400, message: /less than or equal to 512/ },
  { name: 'task: timeout "5M"', method: 'POST', path: '/apis/v1/tasks/operations', json: { ...task({}), opSpec: { ...OP, timeout: '5M' } }, status: 400, message: /Invalid duration unit/ },
  { name: 'task: timeout a number', method: 'POST', path: '/apis/v1/tasks/operations', json: { ...task({}), opSpec: { ...OP, timeout: 300 } }, status: 400, message: /must be a string/ },
  { name: 'task: RULE_BASED rule that does not parse', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ placementPolicy: { type: 'RULE_BASED', rule: 'x', ruleType: 'HOPE' } }), status: 400, message: /Rule compilation error: Error parsing expression: Line 1, col 2/ },
  { name: 'task: RULE_BASED rule nested 2000 deep', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ placementPolicy: { type: 'RULE_BASED', rule: `${'('.repeat(2000)}1 == 1${')'.repeat(2000)}`, ruleType: 'HOPE' } }), status: 400, message: /nests parentheses too deeply/ },
  { name: 'task: RULE_BASED rule of 5000 characters', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ placementPolicy: { type: 'RULE_BASED', rule: `"/executorNodeId" == "${'x'.repeat(5000)}"`, ruleType: 'HOPE' } }), status: 400, message: /rule/ },
  { name: 'task: RULE_BASED MVEL', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ placementPolicy: { type: 'RULE_BASED', rule: 'x', ruleType: 'MVEL' } }), status: 400, message: /corral evaluates HOPE rules only/ },
  { name: 'task: duplicate', method: 'POST', path: '/apis/v1/tasks/operations', json: task({ sourceAppName: 'TEST_APP', taskId: 'done' }), status: 400, message: /Task already exists for TEST_APP\/done/ },
  { name: 'task: KILL unknown', method: 'POST', path: '/apis/v1/tasks/operations', json: { type: 'KILL', sourceAppName: 'TEST_APP', taskId: 'nope', opSpec: OP }, status: 400, message: /Either task does not exist or has already finished for TEST_APP\/nope/ },
  { name: 'task: KILL finished', method: 'POST', path: '/apis/v1/tasks/operations', json: { type: 'KILL', sourceAppName: 'TEST_APP', taskId: 'done', opSpec: OP }, status: 400, message: /has already finished/ },
  { name: 'task: KILL with object taskId', method: 'POST', path: '/apis/v1/tasks/operations', json: { type: 'KILL', sourceAppName: 'TEST_APP', taskId: {}, opSpec: OP }, status: 400, message: /taskId: expected a JSON string/ },
  { name: 'task validate: array', method: 'POST', path: '/apis/v1/tasks/validate/spec', body: '[]', status: 400, message: /Task spec must be a JSON object/ },
  { name: 'task validate: empty object', method: 'POST', path: '/apis/v1/tasks/validate/spec', json: {}, status: 400, message: /taskId must not be empty/ },
  { name: 'task: traversal in GET', method: 'GET', path: '/apis/v1/tasks/%2e%2e/instances/..%2F..%2Fetc', status: 200, message: /No such task instance/ },
  { name: 'task: undecodable path', method: 'GET', path: '/apis/v1/tasks/%ZZ/instances/x', status: 400, message: /not a valid url component/ },
  { name: 'task: DELETE unknown', method: 'DELETE', path: '/apis/v1/tasks/TEST_APP/instances/nope', status: 200, message: /Could not delete TEST_APP\/nope/ },
  { name: 'task: PATCH', method: 'PATCH', path: '/apis/v1/tasks', json: {}, status: 405, message: /PATCH is not allowed/ },
  { name: 'task: query on a list without one', method: 'GET', path: '/apis/v1/tasks?x=1&x=2', status: 200 },
  // ── task abort ──
  { name: 'task abort: array', method: 'POST', path: '/apis/v1/tasks/abort', body: '[]', status: 400, message: /must be a JSON object/ },
  { name: 'task abort: tasks a string', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: 'all' }, status: 400, message: /tasks: expected a JSON array/ },
  { name: 'task abort: entry a number', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: [5] }, status: 400, message: /tasks\[0\]: expected a JSON object/ },
  { name: 'task abort: traversal ids', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: [{ sourceAppName: '../..', taskId: 'ü' }] }, status: 400, message: /must match/ },
  { name: 'task abort: mode NUKE', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: [], mode: 'NUKE' }, status: 400, message: /"NUKE" is not one of/ },
  { name: 'task abort: compound deadline', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: [], deadline: '1h30m' }, status: 400, message: /Invalid duration/ },
  { name: 'task abort: unknown and finished', method: 'POST', path: '/apis/v1/tasks/abort', json: { tasks: [{ sourceAppName: 'TEST_APP', taskId: 'nope' }, { sourceAppName: 'TEST_APP', taskId: 'done' }], mode: 'FORCE' }, status: 200, message: /No such task TEST_APP\/nope.*already finished/ },
  // ── applications ──
  ...notObjects('/apis/v1/applications/operations', /Application operation must be a JSON object/),
  ...notObjects('/apis/v1/operations', /Application operation must be a JSON object/),
  { name: 'app: empty object', method: 'POST', path: '/apis/v1/applications/operations', json: {}, status: 400, message: /type is missing/ },
  { name: 'app: internal type name', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ type: 'SCALE_INSTANCES' }), status: 400, message: /"SCALE_INSTANCES" is not a known type/ },
  { name: 'app: lower-case type', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ type: 'scale' }), status: 400, message: /"scale" is not a known type/ },
  { name: 'app: requiredInstances a string', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ requiredInstances: 'a' }), status: 400, message: /requiredInstances: expected a JSON integer/ },
  { name: 'app: requiredInstances -1', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ requiredInstances: -1 }), status: 400, message: /greater than or equal to 0/ },
  { name: 'app: requiredInstances 1e300', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ requiredInstances: 1e300 }), status: 400, message: /less than or equal to 2048/ },
  { name: 'app: requiredInstances 2.5', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ requiredInstances: 2.5 }), status: 400, message: /whole number/ },
  { name: 'app: appId an array', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ appId: ['x'] }), status: 400, message: /appId: expected a JSON string/ },
  { name: 'app: opSpec a string', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ opSpec: 'fast' }), status: 400, message: /opSpec: expected a JSON object/ },
  { name: 'app: failureStrategy NOPE', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ opSpec: { ...OP, failureStrategy: 'NOPE' } }), status: 400, message: /"NOPE" is not one of/ },
  { name: 'app: huge timeout number', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ opSpec: { ...OP, timeout: '99999999999999999999 days' } }), status: 400, message: /too large/ },
  { name: 'app: SCALE unknown app', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ appId: 'nope-1' }), status: 400, message: /No state found for app: nope-1/ },
  { name: 'app: traversal appId', method: 'POST', path: '/apis/v1/applications/operations', json: scale({ appId: '../../etc' }), status: 400, message: /No state found for app: \.\.\/\.\.\/etc/ },
  { name: 'app: CREATE empty spec', method: 'POST', path: '/apis/v1/applications/operations', json: { type: 'CREATE', spec: {}, opSpec: OP }, status: 400, message: /spec\.name must not be empty.*spec\.readiness must not be null/ },
  { name: 'app: CREATE check on a missing port', method: 'POST', path: '/apis/v1/applications/operations', json: app({ healthcheck: { ...APP.healthcheck, mode: { ...APP.healthcheck.mode, portName: 'admin' } } }), status: 400, message: /Invalid port name for health check: admin/ },
  { name: 'app: CREATE 2049 instances', method: 'POST', path: '/apis/v1/applications/operations', json: app({}, { instances: 2049 }), status: 400, message: /instances must be less than or equal to 2048/ },
  { name: 'app: CREATE unknown placement', method: 'POST', path: '/apis/v1/applications/operations', json: app({ placementPolicy: { type: 'SOMEWHERE' } }), status: 400, message: /"SOMEWHERE" is not a known type/ },
  { name: 'app: CREATE without CPU', method: 'POST', path: '/apis/v1/applications/operations', json: app({ resources: [{ type: 'MEMORY', sizeInMB: 16 }] }), status: 400, message: /Cpu requirements are mandatory/ },
  { name: 'app: STOP_INSTANCES with no ids', method: 'POST', path: '/apis/v1/applications/operations', json: { type: 'STOP_INSTANCES', appId: 'hostile-1', instanceIds: [], opSpec: OP }, status: 400, message: /instanceIds must not be empty/ },
  { name: 'app: STOP_INSTANCES ids of wrong type', method: 'POST', path: '/apis/v1/applications/operations', json: { type: 'STOP_INSTANCES', appId: 'hostile-1', instanceIds: [1, {}], opSpec: OP }, status: 400, message: /instanceIds\[0\]: expected a JSON string/ },
  { name: 'app: cancel unknown (form body)', method: 'POST', path: '/apis/v1/operations/nope-1/cancel', body: '', contentType: 'application/x-www-form-urlencoded', status: 400, message: /^Current operation could not be cancelled$/ },
  { name: 'app: cancel with garbage body', method: 'POST', path: '/apis/v1/applications/operations/nope-1/cancel', body: '{bad', status: 400, message: /Malformed JSON body/ },
  { name: 'app: cancel with NUL in appId', method: 'POST', path: '/apis/v1/applications/operations/%00/cancel', status: 400, message: /could not be cancelled/ },
  { name: 'app validate: a string', method: 'POST', path: '/apis/v1/applications/validate/spec', body: '"x"', status: 400, message: /must be a JSON object/ },
  { name: 'app validate: read-only user may validate', method: 'POST', path: '/apis/v1/applications/validate/spec', json: {}, auth: 'guest', status: 400, message: /name must not be empty/ },
  { name: 'apps: size=abc', method: 'GET', path: '/apis/v1/applications?size=abc', status: 400, message: /size must be an integer, got "abc"/ },
  { name: 'apps: size=-1', method: 'GET', path: '/apis/v1/applications?size=-1', status: 400, message: /size must be greater than or equal to 0/ },
  { name: 'apps: from too large', method: 'GET', path: '/apis/v1/applications?from=99999999999999', status: 400, message: /from must be less than or equal to 2147483646/ },
  { name: 'apps: size twice', method: 'GET', path: '/apis/v1/applications?size=1&size=2', status: 400, message: /size takes one value but was given 2/ },
  { name: 'apps: the same size twice is that size', method: 'GET', path: '/apis/v1/applications?size=5&size=5', status: 200 },
  { name: 'app: undecodable id', method: 'GET', path: '/apis/v1/applications/%ZZ', status: 400, message: /not a valid url component/ },
  { name: 'app: traversal id', method: 'GET', path: '/apis/v1/applications/..%2F..%2Fetc%2Fpasswd', status: 200, message: /App \.\.\/\.\.\/etc\/passwd not found/ },
  { name: 'app: lower-case state filter', method: 'GET', path: '/apis/v1/applications/x-1/instances?state=healthy', status: 400, message: /unknown value "healthy"/ },
  { name: 'app: old instances start=abc', method: 'GET', path: '/apis/v1/applications/x-1/instances/old?start=abc', status: 400, message: /start must be an integer/ },
  { name: 'apps: DELETE', method: 'DELETE', path: '/apis/v1/applications', status: 405, message: /DELETE is not allowed/ },
  { name: 'apps: PUT operations', method: 'PUT', path: '/apis/v1/applications/operations', json: {}, status: 405, message: /PUT is not allowed/ },
  // ── operations ──
  { name: 'ops: state=bogus', method: 'GET', path: '/apis/v1/operations?state=bogus', status: 400, message: /state must be ACTIVE or FINISHED/ },
  { name: 'ops: state twice', method: 'GET', path: '/apis/v1/operations?state=ACTIVE&state=FINISHED', status: 400, message: /state takes one value but was given 2/ },
  { name: 'ops: unknown type', method: 'GET', path: '/apis/v1/operations?type=NOPE', status: 400, message: /type must be one of .*got "NOPE"/ },
  { name: 'ops: size=abc', method: 'GET', path: '/apis/v1/operations?size=abc', status: 400, message: /size must be an integer/ },
  { name: 'ops: size too large', method: 'GET', path: '/apis/v1/operations?size=100000000000', status: 400, message: /less than or equal to 10000/ },
  { name: 'ops: from=-1', method: 'GET', path: '/apis/v1/operations?from=-1', status: 400, message: /from must be greater than or equal to 0/ },
  { name: 'ops: unknown id', method: 'GET', path: '/apis/v1/operations/OP-nope', status: 200, message: /No operation found with id OP-nope/ },
  { name: 'ops: traversal id', method: 'GET', path: '/apis/v1/operations/..%2F..', status: 200, message: /No operation found with id \.\.\/\.\./ },
  ...notObjects('/apis/v1/operations/abort', /Abort request must be a JSON object/).filter((c) => !c.name.endsWith('null')),
  { name: 'abort: operationIds a string', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: 'OP-1' }, status: 400, message: /operationIds: expected a JSON array/ },
  { name: 'abort: ids numbers', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: [1] }, status: 400, message: /operationIds\[0\]: expected a JSON string/ },
  { name: 'abort: mode NUKE', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: [], mode: 'NUKE' }, status: 400, message: /"NUKE" is not one of \[GRACEFUL, FORCE\]/ },
  { name: 'abort: negative deadline', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: [], deadline: '-1s' }, status: 400, message: /Invalid duration/ },
  { name: 'abort: numeric deadline', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: [], deadline: 30 }, status: 400, message: /must be a string/ },
  { name: 'abort: unknown ids answered per id', method: 'POST', path: '/apis/v1/operations/abort', json: { operationIds: ['OP-nope', 'OP-nope'], mode: 'force' }, status: 200, message: /"aborted":false,"reason":"No operation found with id OP-nope"/ },
  // ── cluster and executors ──
  { name: 'executor: unknown id', method: 'GET', path: '/apis/v1/cluster/executors/nope', status: 200, message: /No executor found with id: nope/ },
  { name: 'executor: traversal id', method: 'GET', path: '/apis/v1/cluster/executors/..%2F..', status: 200, message: /No executor found with id: \.\.\/\.\./ },
  { name: 'blacklist: no id', method: 'POST', path: '/apis/v1/cluster/executors/blacklist', status: 400, message: /id must have at least one value/ },
  { name: 'blacklist: empty id', method: 'POST', path: '/apis/v1/cluster/executors/blacklist?id=', status: 400, message: /id must have at least one value/ },
  { name: 'blacklist: unknown ids', method: 'POST', path: '/apis/v1/cluster/executors/blacklist?id=nope&id=nope', body: '', contentType: 'application/x-www-form-urlencoded', status: 200, message: /"failed":\["nope"\]/ },
  { name: 'blacklist: garbage body', method: 'POST', path: '/apis/v1/cluster/executors/nope/blacklist', body: '{bad', status: 400, message: /Malformed JSON body/ },
  { name: 'unblacklist: unknown', method: 'POST', path: '/apis/v1/cluster/executors/nope/unblacklist', json: {}, status: 200, message: /"failed":\["nope"\]/ },
  { name: 'maintenance: garbage body', method: 'POST', path: '/apis/v1/cluster/maintenance/set', body: '{bad', status: 400, message: /Malformed JSON body/ },
  { name: 'maintenance: GET', method: 'GET', path: '/apis/v1/cluster/maintenance/set', status: 405, message: /GET is not allowed/ },
  { name: 'cluster: DELETE', method: 'DELETE', path: '/apis/v1/cluster', status: 405, message: /DELETE is not allowed/ },
  { name: 'executors: POST', method: 'POST', path: '/apis/v1/cluster/executors', json: {}, status: 405, message: /POST is not allowed/ },
  // ── events ──
  { name: 'events: lastSyncTime=abc', method: 'GET', path: '/apis/v1/cluster/events?lastSyncTime=abc', status: 400, message: /lastSyncTime must be an integer/ },
  { name: 'events: lastSyncTime=-5', method: 'GET', path: '/apis/v1/cluster/events?lastSyncTime=-5', status: 400, message: /greater than or equal to 0/ },
  { name: 'events: lastSyncTime=1e3', method: 'GET', path: '/apis/v1/cluster/events?lastSyncTime=1e3', status: 400, message: /must be an integer/ },
  { name: 'events: 23-digit lastSyncTime', method: 'GET', path: '/apis/v1/cluster/events?lastSyncTime=99999999999999999999999', status: 400, message: /must be an integer/ },
  { name: 'events: size=-1', method: 'GET', path: '/apis/v1/cluster/events?size=-1', status: 400, message: /size must be greater than or equal to 0/ },
  { name: 'events: size twice', method: 'GET', path: '/apis/v1/cluster/events?size=1&size=2', status: 400, message: /size takes one value/ },
  { name: 'events latest: size=abc', method: 'GET', path: '/apis/v1/cluster/events/latest?size=abc', status: 400, message: /size must be an integer/ },
  { name: 'events summary: lastSyncTime=x', method: 'GET', path: '/apis/v1/cluster/events/summary?lastSyncTime=x', status: 400, message: /lastSyncTime must be an integer/ },
  { name: 'events stream: lastSyncTime=x', method: 'GET', path: '/apis/v1/cluster/events/stream?lastSyncTime=x', status: 400, message: /lastSyncTime must be an integer/ },
  { name: 'events stream: unknown type (would wait forever)', method: 'GET', path: '/apis/v1/cluster/events/stream?type=task_state_change', status: 400, message: /unknown event type\(s\) "task_state_change"/ },
  { name: 'events: POST', method: 'POST', path: '/apis/v1/cluster/events', json: {}, status: 405, message: /POST is not allowed/ },
  // ── log files ──
  { name: 'logs: traversal in file name', method: 'GET', path: `${LOG}/read/..%2F..%2F..%2Fetc%2Fpasswd?offset=0`, status: 400, message: /no such log file: passwd/ },
  { name: 'logs: ".." as file name', method: 'GET', path: `${LOG}/read/..?offset=0`, status: 400, message: /traversal/ },
  { name: 'logs: NUL in file name', method: 'GET', path: `${LOG}/read/output.log%00.txt?offset=0`, status: 400, message: /NUL/ },
  { name: 'logs: unknown file', method: 'GET', path: `${LOG}/read/nope.log?offset=0`, status: 400, message: /no such log file: nope\.log/ },
  { name: 'logs: download traversal', method: 'GET', path: `${LOG}/download/..%2F..%2Fexecutor.state`, status: 400, message: /no such log file/ },
  { name: 'logs: offset=abc', method: 'GET', path: `${LOG}/read/output.log?offset=abc`, status: 400, message: /offset must be an integer/ },
  { name: 'logs: offset=-2', method: 'GET', path: `${LOG}/read/output.log?offset=-2`, status: 400, message: /greater than or equal to -1/ },
  { name: 'logs: huge length', method: 'GET', path: `${LOG}/read/output.log?offset=0&length=999999999999`, status: 400, message: /less than or equal to 2147483647/ },
  { name: 'logs: rename=maybe', method: 'GET', path: `${LOG}/download/output.log?rename=maybe`, status: 400, message: /rename must be true or false/ },
  { name: 'logs: offset past the end', method: 'GET', path: `${LOG}/read/output.log?offset=99999999999999&length=10`, status: 200, message: /"data":""/ },
  { name: 'logs: unknown task', method: 'GET', path: '/apis/v1/logfiles/tasks/TEST_APP/nope/list', status: 204 },
  { name: 'logs: task that never ran', method: 'GET', path: '/apis/v1/logfiles/tasks/TEST_APP/never/list', status: 204 },
  { name: 'logs: traversal ids', method: 'GET', path: '/apis/v1/logfiles/applications/..%2F/..%2F/list', status: 204 },
  // ── node filter ──
  ...notObjects('/apis/v1/cluster/nodefilter', /Node filter must be a JSON object/),
  { name: 'nodefilter: empty object', method: 'POST', path: '/apis/v1/cluster/nodefilter', json: {}, status: 400, message: /filterSetType must not be null/ },
  { name: 'nodefilter: bad set type', method: 'POST', path: '/apis/v1/cluster/nodefilter', json: { filterSetType: 'xor', filterSet: [] }, status: 400, message: /"xor" is not one of/ },
  { name: 'nodefilter: label value a number', method: 'POST', path: '/apis/v1/cluster/nodefilter', json: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeLabels: { a: 1 } }] }, status: 400, message: /nodeLabels\.a: expected a JSON string/ },
  // ── endpoints ──
  { name: 'endpoints: empty app', method: 'GET', path: '/apis/v1/endpoints?app=', status: 200, message: /"data":\[\]/ },
  { name: 'endpoints: traversal app', method: 'GET', path: '/apis/v1/endpoints/app/..%2F..', status: 200, message: /"data":\[\]/ },
  { name: 'endpoints: POST', method: 'POST', path: '/apis/v1/endpoints', json: {}, status: 405, message: /POST is not allowed/ },
  // ── routes and credentials ──
  { name: 'unknown route', method: 'GET', path: '/apis/v1/nope', status: 404, message: /No such route/ },
  { name: 'wrong API version', method: 'GET', path: '/apis/v2/ping', status: 404, message: /No such route/ },
  { name: 'auth: Basic without credentials', method: 'GET', path: '/apis/v1/ping', auth: { header: 'Basic' }, status: 401, message: /Authentication required/ },
  { name: 'auth: Basic not Base64', method: 'GET', path: '/apis/v1/ping', auth: { header: 'Basic !!!!' }, status: 401 },
  { name: 'auth: Basic without a colon', method: 'GET', path: '/apis/v1/ping', auth: { header: 'Basic YWRtaW4=' }, status: 401 },
  { name: 'auth: Bearer token', method: 'GET', path: '/apis/v1/ping', auth: { header: 'Bearer abc' }, status: 401 },
  { name: 'auth: 60 kB header', method: 'GET', path: '/apis/v1/ping', auth: { header: `Basic ${'A'.repeat(60_000)}` }, status: 431, message: /too large/ },
  ...FAMILY_READS.flatMap((path): HostileCase[] => [
    { name: `no credentials: GET ${path}`, method: 'GET', path, auth: 'none', status: 401, message: /Authentication required/ },
    { name: `wrong password: GET ${path}`, method: 'GET', path, auth: 'wrong', status: 401 },
  ]),
  ...WRITES.flatMap(([method, path]): HostileCase[] => [
    { name: `read-only user: ${method} ${path}`, method, path, json: method === 'DELETE' ? undefined : {}, auth: 'guest', status: 403, message: /Role DROVE_EXTERNAL_READ_ONLY may not call/ },
    { name: `no credentials: ${method} ${path}`, method, path, json: method === 'DELETE' ? undefined : {}, auth: 'none', status: 401 },
  ]),
];
