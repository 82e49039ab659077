/**
 * docs/api.md §1.2–§1.5 against a real in-process controller over real HTTP: authentication and role
 * groups, body parsing (malformed, truncated, oversized, body-less forms), the error envelope,
 * 404/405, query conversion, the audit log and /metrics.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import bcrypt from 'bcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { success } from '../../src/common/envelope.ts';
import { createLogger } from '../../src/common/logger.ts';
import type { ControllerModule } from '../../src/controller/controller-module.ts';
import { api } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { captureLogLines } from '../helpers/log-capture.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';

/** A fixture module with routes of each role group (real routes on the real server). */
const fixtureModule = (): ControllerModule => ({
  name: 'fixture',
  registerRoutes(app) {
    app.post('/apis/v1/test/echo', { config: { roles: 'RW' } }, async (request) => success({ body: request.body ?? null, user: request.principal.username }));
    app.get('/apis/v1/test/logs', { config: { roles: 'LOGS' } }, async () => success('logs'));
    app.get('/apis/v1/test/boom', { config: { roles: 'ANY' } }, async () => {
      throw new Error('disk on fire');
    });
    app.get('/apis/v1/test/undeclared', async () => success('should never be served'));
  },
  start: async () => undefined,
  stop: async () => undefined,
});

const users = [
  { username: 'admin', password: 'admin', role: 'DROVE_EXTERNAL_ROOT' as const },
  { username: 'guest', password: 'guest', role: 'DROVE_EXTERNAL_READ_ONLY' as const },
  { username: 'ops', password: bcrypt.hashSync('ops-secret', 4), role: 'DROVE_EXTERNAL_MAINTENANCE' as const },
  { username: 'dev', password: 'dev', role: 'DROVE_EXTERNAL_READ_WRITE' as const },
];

/** Sends raw bytes so tests control headers exactly (fetch always adds a Content-Type). */
function rawRequest(url: string, options: { method: string; path: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(options.path, url), { method: options.method, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

describe('HTTP conventions', () => {
  let controller: TestController;
  const logs = captureLogLines();
  const logLines = logs.lines;

  beforeAll(async () => {
    controller = await startTestController({
      modules: [fixtureModule],
      config: { users, bodyLimitBytes: 2048 },
      logger: createLogger('test', { level: 'info', destination: logs.destination }),
    });
  });
  afterAll(stopAllTestProcesses);

  describe('authentication and roles', () => {
    it('answers 401 in the envelope without credentials or with wrong ones', async () => {
      for (const client of [controller.api(false), controller.api({ user: 'admin', password: 'nope' }), controller.api({ user: 'who', password: 'x' })]) {
        const res = await client.get('/apis/v1/ping');
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ status: 'FAILED' });
        expect(res.headers.get('www-authenticate')).toBeNull();
      }
    });

    it('refuses a read-only user writing with 403', async () => {
      const res = await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/cluster/maintenance/set');
      expect(res.status).toBe(403);
      expect(res.body.status).toBe('FAILED');
      expect(await controller.api({ user: 'guest', password: 'guest' }).get('/apis/v1/ping')).toMatchObject({ status: 200 });
    });

    it('lets the maintenance user (bcrypt password) into MAINT routes but not RW or LOGS ones', async () => {
      const ops = controller.api({ user: 'ops', password: 'ops-secret' });
      expect((await ops.get('/apis/v1/cluster')).status).toBe(200);
      expect((await ops.post('/apis/v1/cluster/executors/nope/unblacklist')).status).toBe(200);
      expect((await ops.post('/apis/v1/test/echo', {})).status).toBe(403);
      expect((await ops.get('/apis/v1/test/logs')).status).toBe(403);
      expect((await controller.api({ user: 'ops', password: 'ops-secreT' }).get('/apis/v1/ping')).status).toBe(401);
    });

    it('lets READ_WRITE into RW and LOGS but not MAINT', async () => {
      const dev = controller.api({ user: 'dev', password: 'dev' });
      expect(await dev.post('/apis/v1/test/echo', { a: 1 })).toMatchObject({ status: 200, body: { data: { body: { a: 1 }, user: 'dev' } } });
      expect((await dev.get('/apis/v1/test/logs')).status).toBe(200);
      expect((await dev.post('/apis/v1/cluster/maintenance/set')).status).toBe(403);
    });

    it('closes routes that declare no role group (403)', async () => {
      const res = await controller.api().get('/apis/v1/test/undeclared');
      expect(res.status).toBe(403);
      expect(res.text).not.toContain('should never be served');
    });

    it('checks the route before credentials: unknown routes are 404, wrong methods 405', async () => {
      const missing = await controller.api(false).get('/apis/v1/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ status: 'FAILED' });
      const wrongMethod = await controller.api(false).request('DELETE', '/apis/v1/ping');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.get('allow')).toContain('GET');
      expect(wrongMethod.body.status).toBe('FAILED');
      // …and before the body is read.
      expect((await controller.api().post('/apis/v1/nothing-here', '{broken', { headers: { 'content-type': 'application/json' } })).status).toBe(404);
      expect((await controller.api().post('/apis/v1/ping', '{broken', { headers: { 'content-type': 'application/json' } })).status).toBe(405);
    });

    it('checks credentials before reading the body', async () => {
      const res = await controller.api(false).post('/apis/v1/test/echo', { blob: 'x'.repeat(5000) });
      expect(res.status).toBe(401);
    });

    it('answers an undecodable path with 400 in the envelope', async () => {
      const res = await controller.api().get('/apis/v1/cluster/executors/%E0%A4%A');
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 'FAILED', message: 'Command validation failure' });
    });
  });

  describe('bodies', () => {
    it('parses JSON without a Content-Type header', async () => {
      const res = await rawRequest(controller.url, {
        method: 'POST', path: '/apis/v1/test/echo', body: '{"x":[1,2]}',
        headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`, 'content-length': '11' },
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).data.body).toEqual({ x: [1, 2] });
    });

    it('accepts body-less POSTs with no body, an empty body of any type, or {}', async () => {
      const auth = `Basic ${Buffer.from('admin:admin').toString('base64')}`;
      const forms: { headers: Record<string, string>; body?: string }[] = [
        { headers: { authorization: auth } },
        { headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }, body: '' },
        { headers: { authorization: auth, 'content-type': 'application/json', 'content-length': '0' }, body: '' },
        { headers: { authorization: auth, 'content-type': 'text/plain', 'content-length': '0' }, body: '' },
        { headers: { authorization: auth, 'content-type': 'application/json', 'content-length': '2' }, body: '{}' },
      ];
      for (const form of forms) {
        const res = await rawRequest(controller.url, { method: 'POST', path: '/apis/v1/cluster/maintenance/unset', ...form });
        expect(res.status, JSON.stringify(form.headers)).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ status: 'SUCCESS', data: { state: 'NORMAL' } });
      }
    });

    it('answers malformed JSON with 400 JSON validation failure and the parser message', async () => {
      for (const body of ['{"a":', '{a:1}', 'nope', '{"a":1}}']) {
        const res = await controller.api().post('/apis/v1/test/echo', body, { headers: { 'content-type': 'application/json' } });
        expect(res.status, body).toBe(400);
        expect(res.body.status).toBe('FAILED');
        expect(res.body.message).toBe('JSON validation failure');
        expect(res.body.data.validationErrors[0]).toMatch(/JSON/);
      }
    });

    it('answers a truncated upload (body shorter than Content-Length) in the envelope', async () => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(controller.port, '127.0.0.1', () => {
          socket.write('POST /apis/v1/test/echo HTTP/1.1\r\nHost: test\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n'
            + 'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":"abc');
          socket.end();
        });
        let text = '';
        socket.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
      expect(reply).toMatch(/^HTTP\/1.1 400 /);
      const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ status: 'FAILED', message: 'JSON validation failure' });
    });

    it('answers a body over the limit with 400 in the envelope', async () => {
      const res = await controller.api().post('/apis/v1/test/echo', { blob: 'x'.repeat(5000) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 'FAILED', message: 'JSON validation failure' });
      expect(res.body.data.validationErrors[0]).toContain('2048');
    });

    it('ignores JSON of any type on body-less endpoints', async () => {
      for (const body of ['[1,2]', '"text"', '42', 'null', '{"unknown":true}']) {
        const res = await controller.api().post('/apis/v1/cluster/maintenance/unset', body, { headers: { 'content-type': 'application/json' } });
        expect(res.status, body).toBe(200);
      }
    });
  });

  describe('errors and envelope', () => {
    it('turns an unexpected error into 500 Unexpected Server error without a stack', async () => {
      const res = await controller.api().get('/apis/v1/test/boom');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ status: 'FAILED', message: 'Unexpected Server error', data: { failure: 'disk on fire' } });
      expect(res.text).not.toMatch(/at .*\.ts:\d+/);
      expect(logLines.some((l) => l.level === 50 && String(l.msg).includes('unexpected error'))).toBe(true);
    });

    it('answers unconvertible query parameters with 400 Command validation failure', async () => {
      for (const query of ['size=abc', 'size=-1', 'lastSyncTime=1.5', 'lastSyncTime=-3']) {
        const res = await controller.api().get(`/apis/v1/cluster/events?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.message).toBe('Command validation failure');
        expect(res.body.data.validationErrors[0]).toMatch(/size|lastSyncTime/);
      }
    });

    it('omits null fields at every depth', async () => {
      const res = await controller.api().post('/apis/v1/test/echo', {});
      expect(res.text).not.toContain('null');
    });
  });

  describe('authentication switched off', () => {
    it('treats every caller as root', async () => {
      const open = await startTestController({ modules: [fixtureModule], config: { authEnabled: false } });
      const res = await api(open.url, false).post('/apis/v1/test/echo', { a: 1 });
      expect(res.body.data.user).toBe('root');
      await open.stop();
    });

    it('lets everyone read logs with disableReadAuth', async () => {
      const lenient = await startTestController({ modules: [fixtureModule], config: { users, disableReadAuth: true } });
      expect((await lenient.api({ user: 'ops', password: 'ops-secret' }).get('/apis/v1/test/logs')).status).toBe(200);
      await lenient.stop();
    });
  });

  it('writes one audit line per mutating request', async () => {
    logLines.length = 0;
    await controller.api({ user: 'guest', password: 'guest' }).post('/apis/v1/cluster/maintenance/set');
    await controller.api().post('/apis/v1/cluster/maintenance/unset');
    await controller.api().get('/apis/v1/cluster');
    const audit = logLines.filter((l) => l.audit === true);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ user: 'guest', method: 'POST', url: '/apis/v1/cluster/maintenance/set', status: 403, outcome: 'FAILED' });
    expect(audit[1]).toMatchObject({ user: 'admin', method: 'POST', url: '/apis/v1/cluster/maintenance/unset', status: 200, outcome: 'SUCCESS', message: 'success' });
  });

  it('serves Prometheus metrics to any authenticated user (metricsAuth defaults to true; docs/security.md)', async () => {
    await controller.api().get('/apis/v1/ping');
    expect((await api(controller.url, false).get('/metrics')).status).toBe(401);
    const res = await api(controller.url, { user: 'guest', password: 'guest' }).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/corral_http_request_duration_seconds_count\{method="GET",route="\/apis\/v1\/ping",status_code="200"\} \d+/);
    expect(res.text).toContain('corral_executors');
    expect(res.text).toContain('corral_process_cpu_user_seconds_total');
  });
});
