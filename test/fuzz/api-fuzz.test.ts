/**
 * Property-based fuzzing of every API route against a live controller (real HTTP, real SQLite,
 * a scripted executor connected so task creates can be placed). fast-check generates requests
 * from the routes' zod schemas (schema-arbitrary.ts): hostile bodies, path parameters, query
 * strings, content types and credentials. For every request:
 *
 * - no 5xx and an answer within the deadline (no hang);
 * - an error is the Drove envelope (`status: FAILED`), or `{"error"}` on the log routes;
 * - a rejected request created no record: no new task, app or operation;
 *
 * and after the run the controller still answers. `FUZZ_RUNS` sets the number of requests:
 * the CI run is bounded (FUZZ_RUNS default 300, well under a minute); `npm run fuzz` runs long.
 * A failure prints fast-check's seed and shrunk request; replay it with FUZZ_SEED / FUZZ_PATH.
 */
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { FUZZ_ROUTES, routesOf, type FuzzRoute } from './route-catalog.ts';
import { bodyArbitrary, hostileValue } from './schema-arbitrary.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const DEADLINE_MS = 10_000;
const FUZZ_USERS = new Set(['admin', 'guest']);

afterAll(stopAllTestProcesses);

interface FuzzRequest {
  route: FuzzRoute;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

interface Answer { status: number; contentType: string; text: string }

let controller: TestController;
let executor: FakeExecutor;

beforeAll(async () => {
  controller = await startTestController({
    // Wrong credentials are part of the fuzz: the failed-login limit would soon answer 429 to everything.
    config: { authFailuresPerMinute: 1_000_000, maintenanceGraceMs: 0, maxEventStreamsPerUser: 1_000 },
  });
  executor = await connectFakeExecutor(controller.url, { secret: controller.config.clusterSecret, identity: { name: 'fuzz-target' } });
  // It holds no workloads: log requests are answered the way an executor answers for an unknown one.
  executor.socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type?: string; requestId?: string };
    if (message.type === 'request') executor.send({ type: 'reply', requestId: message.requestId!, ok: false, error: 'no such workload here', status: 404 });
  });
  const ok = await controller.api().post('/apis/v1/tasks/operations', {
    type: 'CREATE',
    spec: { sourceAppName: 'TEST_APP', taskId: 'done', executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }] },
    opSpec: { timeout: '30 seconds', parallelism: 1, failureStrategy: 'STOP' },
  });
  expect(ok.status).toBe(200);
});

// ------------------------------------------------------------------ generation

/** Percent-encodes the UTF-8 bytes of `text` (lone surrogates become U+FFFD, as on any wire). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

const paramValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('TEST_APP', 'done', 'web-1', 'AI-x', 'TI-x', 'OP-x', 'output.log', 'output.log-2024', 'x') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,300}$/) },
  { weight: 2, arbitrary: hostileValue.map((v) => percentEncode((typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined').slice(0, 400))) },
  // Already encoded as sent: traversal, encoded slashes and NULs, a truncated UTF-8 escape.
  { weight: 1, arbitrary: fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '%E0%A4%A', 'output.log%00.txt', '%20') },
);

const queryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('-1', '0', '1', '100', '2147483648', '9007199254740993', '1e3', 'abc', '', 'true', 'false', 'HEALTHY', 'ACTIVE', 'CREATE'),
  fc.integer().map(String),
  fc.string({ maxLength: 40 }),
);

function queryArbitrary(names: string[]): fc.Arbitrary<string> {
  const pairs = fc.array(fc.tuple(fc.constantFrom(...names, 'unknown'), queryValue), { maxLength: 4 });
  return pairs.map((list) => list.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&'));
}

const authHeader: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant(basicAuth({ user: 'admin', password: 'admin' })) },
  { weight: 2, arbitrary: fc.constant(basicAuth({ user: 'guest', password: 'guest' })) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 'Basic', 'Basic !!!', 'Bearer x', basicAuth({ user: 'admin', password: 'nope' }), basicAuth({ user: '', password: '' })) },
);

const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/merge-patch+json', 'multipart/form-data; boundary=x', '*/*', 'application/JSON') },
);

function bodyText(route: FuzzRoute): fc.Arbitrary<string | undefined> {
  const document = route.body ? bodyArbitrary(route.body) : fc.oneof(fc.constant({}), hostileValue);
  return fc.oneof(
    { weight: 10, arbitrary: document.map((value) => JSON.stringify(value)) },
    { weight: route.body ? 1 : 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"type":', 'null', '[]', '"x"', '\u0000', '{"a":1}{"b":2}', '{"__proto__":{"x":1}}') },
    { weight: 1, arbitrary: document.map((value) => (JSON.stringify(value) ?? '').slice(0, 7)) },
  );
}

function requestArbitrary(route: FuzzRoute): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
  return fc.record({
    params: fc.tuple(...names.map(() => paramValue)),
    query: route.query ? fc.oneof(fc.constant(''), queryArbitrary(route.query)) : fc.constant(''),
    body: route.method === 'GET' ? fc.constant(undefined) : bodyText(route),
    auth: authHeader,
    type: contentType,
    origin: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('http://evil.example', 'null') }),
    method: fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') }),
  }).map(({ params, query, body, auth, type, origin, method }) => {
    let i = 0;
    const path = route.path.replace(/:\w+/g, () => params[i++]) + (query ? `?${query}` : '');
    const headers: Record<string, string> = {};
    if (auth) headers.authorization = auth;
    if (body !== undefined && type) headers['content-type'] = type;
    if (origin) headers.origin = origin;
    return { route, method, path, headers, body };
  });
}

const anyRequest = fc.constantFrom(...FUZZ_ROUTES).chain(requestArbitrary);

// ------------------------------------------------------------------ checks

function send(request: FuzzRequest): Promise<Answer> {
  const { hostname, port } = new URL(controller.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: request.method, path: request.path, headers: request.headers, timeout: DEADLINE_MS }, (res) => {
      const chunks: Buffer[] = [];
      const answer = () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') });
      if (request.route.stream && res.statusCode === 200) {
        res.destroy();
        answer();
        return;
      }
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', answer);
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${DEADLINE_MS} ms: ${request.method} ${request.path.slice(0, 200)}`)));
    req.on('error', reject);
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}

/** Ids of every record a client request can create. */
async function recordIds(): Promise<Set<string>> {
  const store = controller.ctx!.store;
  const [tasks, apps, operations] = await Promise.all([store.listTasks({}), store.listApps(), store.listOperations({})]);
  return new Set([
    ...tasks.map((t) => `task ${t.sourceAppName}/${t.taskId}`),
    ...apps.map((a) => `app ${a.appId}`),
    // Operations the controller starts by itself (recoveries) are not the request's doing.
    ...operations.filter((o) => FUZZ_USERS.has(o.createdBy)).map((o) => `operation ${o.operationId}`),
  ]);
}

function isRejected(answer: Answer): boolean {
  if (answer.status >= 400) return true;
  if (!answer.contentType.startsWith('application/json')) return false;
  try {
    return (JSON.parse(answer.text) as { status?: unknown }).status === 'FAILED';
  } catch {
    return false;
  }
}

/** `FUZZ_STATS=FILE`: answers counted per route and status, written there after the run. */
const stats = new Map<string, number>();

async function check(request: FuzzRequest): Promise<void> {
  const before = await recordIds();
  const answer = await send(request);
  const key = `${request.route.method} ${request.route.path} → ${answer.status}`;
  stats.set(key, (stats.get(key) ?? 0) + 1);
  const where = `${request.method} ${request.path.slice(0, 300)} ${JSON.stringify(request.headers)} body=${(request.body ?? '').slice(0, 300)} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, where).toBeGreaterThanOrEqual(200);
  expect(answer.status, where).toBeLessThan(500);
  if (answer.status >= 400 && answer.text !== '') {
    expect(answer.contentType, where).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as { status?: string; error?: string };
    expect(body.status === 'FAILED' || (request.path.startsWith('/apis/v1/logfiles/') && typeof body.error === 'string'), where).toBe(true);
  }
  if (isRejected(answer)) {
    const after = await recordIds();
    const created = [...after].filter((id) => !before.has(id));
    expect(created, `a rejected request created records: ${where}`).toEqual([]);
  }
}

describe(`API fuzzing (${RUNS} requests)`, () => {
  it('has a fuzz row for every route the server has', () => {
    const normalise = (route: string) => route.replace(/:\w+/g, ':');
    const fuzzed = new Set(FUZZ_ROUTES.map((r) => normalise(`${r.method} ${r.path}`)));
    const missing = routesOf(controller.running!.app).filter((r) => !fuzzed.has(normalise(r)));
    expect(missing, 'routes without a row in test/fuzz/route-catalog.ts').toEqual([]);
  });

  it('answers every hostile request without a 5xx, a hang or a record made by a rejected request', async () => {
    const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
    await fc.assert(fc.asyncProperty(anyRequest, check), {
      numRuns: RUNS, seed, path: process.env.FUZZ_PATH, endOnFailure: false,
      // Shrinking re-sends requests; keep it bounded so a failure is reported in reasonable time.
      maxSkipsPerRun: 10,
    });
    if (process.env.FUZZ_STATS) writeFileSync(process.env.FUZZ_STATS, [...stats].sort().map(([k, n]) => `${n}\t${k}`).join('\n'));
    expect((await controller.api().get('/apis/v1/ping')).status).toBe(200);
    expect(executor.closed).toBeUndefined();
  }, Math.max(60_000, RUNS * 250));
});
