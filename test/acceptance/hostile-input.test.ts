/**
 * A careless or hostile client against a real controller (in-process, real HTTP) with a real
 * executor: every row of hostile-cases.ts must get its 400/401/403/404/405 (or the documented
 * 200 FAILED / 204) in the Drove envelope — or `{"error"}` on the log endpoints — with a message
 * naming the problem. Never a 500, never a hang (each request has a deadline), and afterwards
 * no record was made by any of them: no app, no new task, no new operation, cluster state NORMAL.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { HOSTILE_CASES, type Auth, type HostileCase } from './hostile-cases.ts';

const REQUEST_DEADLINE_MS = 10_000;
const OP_SPEC = { timeout: '30 seconds', parallelism: 1, failureStrategy: 'STOP' };

let controller: TestController;
let operationsBefore: string[] = [];

function authHeader(auth: Auth | undefined): string | undefined {
  if (auth === 'none') return undefined;
  if (auth === 'guest') return basicAuth({ user: 'guest', password: 'guest' });
  if (auth === 'wrong') return basicAuth({ user: 'admin', password: 'not-the-password' });
  if (typeof auth === 'object') return auth.header;
  return basicAuth({ user: 'admin', password: 'admin' });
}

/** Raw node:http, so paths reach the server exactly as written (fetch normalises `..` and `%2e`). */
function send(c: HostileCase): Promise<{ status: number; text: string; contentType: string }> {
  const headers: Record<string, string> = {};
  const authorization = authHeader(c.auth);
  if (authorization) headers.authorization = authorization;
  const body = c.json !== undefined ? JSON.stringify(c.json) : c.body;
  if (body !== undefined && c.contentType !== null) headers['content-type'] = c.contentType ?? 'application/json';
  const { hostname, port } = new URL(controller.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method: c.method, path: c.path, headers, timeout: REQUEST_DEADLINE_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_DEADLINE_MS} ms (a hang)`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function runTask(taskId: string, command: string, args: string[]): Promise<void> {
  const spec = {
    sourceAppName: 'TEST_APP', taskId, executable: { type: 'PROCESS', command }, args,
    resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
  };
  expect((await controller.api().post('/apis/v1/tasks/operations', { type: 'CREATE', spec, opSpec: OP_SPEC })).status).toBe(200);
  await waitFor(async () => (await controller.api().get(`/apis/v1/tasks/TEST_APP/instances/${taskId}`)).body.data?.state === 'STOPPED', {
    timeoutMs: 20_000, message: `task ${taskId} to end`,
  });
}

beforeAll(async () => {
  controller = await startTestController();
  await startTestExecutor(controller.url, { secret: controller.config.clusterSecret, cores: 4, killWorkloadsOnExit: true });
  await runTask('done', '/bin/sh', ['-c', 'echo hello']);
  await runTask('never', '/nonexistent/command', []);
  operationsBefore = ((await controller.api().get('/apis/v1/operations?size=1000')).body.data as { operationId: string }[]).map((o) => o.operationId);
});

afterAll(stopAllTestProcesses);

describe('hostile input', () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answer = await send(c);
    const where = `${c.method} ${c.path.slice(0, 120)} → ${answer.status} ${answer.text.slice(0, 400)}`;
    expect(answer.status, where).not.toBeGreaterThanOrEqual(500);
    expect(answer.status, where).toBe(c.status);
    if (answer.status === 204) {
      expect(answer.text, where).toBe('');
      return;
    }
    expect(answer.contentType, where).toMatch(/^application\/json/);
    const body = JSON.parse(answer.text) as Record<string, unknown>;
    if (c.path.startsWith('/apis/v1/logfiles/') && answer.status >= 400 && !('status' in body)) {
      // log endpoints have no envelope: the executor's refusal as {"error": "..."}
      expect(typeof body.error, where).toBe('string');
    } else if (answer.status >= 400 || (answer.status === 200 && body.status === 'FAILED')) {
      expect(body.status, where).toBe('FAILED');
      expect(typeof body.message, where).toBe('string');
      expect('data' in body && body.data === null, where).toBe(false);
    }
    if (answer.status === 400 && body.status === 'FAILED' && body.data !== undefined) {
      const errors = (body.data as { validationErrors?: unknown }).validationErrors;
      expect(Array.isArray(errors) && errors.length > 0, where).toBe(true);
    }
    if (c.message) {
      const said = [body.message, body.error, ...(((body.data as { validationErrors?: string[] } | undefined)?.validationErrors) ?? [])]
        .filter((s) => typeof s === 'string').join(' | ');
      expect(c.message.test(said) || c.message.test(answer.text), `${where}\nexpected to match ${c.message}`).toBe(true);
    }
  });

  it('left no record behind: no app, no task, no operation, no maintenance', async () => {
    const admin = controller.api();
    expect((await admin.get('/apis/v1/applications')).body.data).toEqual({});
    expect((await admin.get('/apis/v1/tasks')).body.data).toEqual([]);
    for (const [sourceAppName, taskId] of [['HOSTILE', 't1'], ['TEST_APP', 'nope'], ['zoë', 't1']]) {
      expect((await admin.get(`/apis/v1/tasks/${encodeURIComponent(sourceAppName)}/instances/${taskId}`)).body.status).toBe('FAILED');
    }
    const after = ((await admin.get('/apis/v1/operations?size=1000')).body.data as { operationId: string }[]).map((o) => o.operationId);
    expect(after).toEqual(operationsBefore);
    expect((await admin.get('/apis/v1/cluster')).body.data.state).toBe('NORMAL');
    expect((await admin.get('/apis/v1/tasks/TEST_APP/instances/done')).body.data.taskResult).toEqual({ status: 'SUCCESSFUL', exitCode: 0 });
    expect((await admin.get('/apis/v1/ping')).status).toBe(200);
  });
});
