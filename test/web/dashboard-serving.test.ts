/**
 * How the controller serves the dashboard (docs/dashboard.md): the login challenge, page URLs
 * and deep links behind the same basic auth as the API, public static files, the session's
 * capabilities per role, the Content-Security-Policy, and that the API's own 404s stay JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('dashboard serving', () => {
  let controller: TestController;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${controller.url}${path}`, { headers, redirect: 'manual' });

  beforeAll(async () => {
    controller = await startTestController({
      config: {
        users: [
          { username: 'admin', password: 'admin', role: 'DROVE_EXTERNAL_ROOT' },
          { username: 'guest', password: 'guest', role: 'DROVE_EXTERNAL_READ_ONLY' },
          { username: 'ops', password: 'ops', role: 'DROVE_EXTERNAL_MAINTENANCE' },
        ],
      },
    });
  });
  afterAll(stopAllTestProcesses);

  it('challenges a browser without a login with Basic realm="corral" and an HTML page', async () => {
    const res = await get('/', { Accept: 'text/html,application/xhtml+xml' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="corral"');
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('needs a login');
  });

  it('challenges a wrong login too; the API and the page\'s own calls answer 401 without a prompt', async () => {
    const page = await get('/operations', { Accept: 'text/html', Authorization: basic('admin', 'wrong') });
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toBe('Basic realm="corral"');
    const curl = await get('/apps/web-1', { Authorization: basic('admin', 'wrong') });
    expect(curl.status).toBe(401);
    expect(curl.headers.get('www-authenticate')).toBe('Basic realm="corral"');
    expect(await curl.json()).toMatchObject({ status: 'FAILED' });
    for (const path of ['/apis/v1/cluster', '/ui/session']) {
      const res = await get(path, { Authorization: basic('admin', 'wrong') });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toBeNull();
      expect(await res.json()).toMatchObject({ status: 'FAILED' });
    }
  });

  it('serves the page at / and at every deep link, with a strict Content-Security-Policy', async () => {
    for (const path of ['/', '/apps', '/apps/web-1', '/apps/web-1/instances/AI-1', '/tasks/APP/T1', '/operations', '/operations/OP-1',
      '/executors/x', '/local-services', '/apps/%3Cscript%3E']) {
      const res = await get(path, { Authorization: basic('guest', 'guest') });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(await res.text()).toContain('<script type="module" src="/ui/js/main.js">');
    }
  });

  it('serves the dashboard code and its libraries without a login (no data in them), and refuses paths outside', async () => {
    for (const [path, type] of [['/ui/js/main.js', 'javascript'], ['/ui/dashboard.css', 'text/css'], ['/ui/vendor/preact.mjs', 'javascript'],
      ['/ui/vendor/hooks.mjs', 'javascript'], ['/ui/vendor/htm.mjs', 'javascript'], ['/favicon.ico', 'image/svg+xml'], ['/ui/favicon.svg', 'image/svg+xml']]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
    }
    expect((await get('/ui/vendor/not-a-library.mjs')).status).toBe(404);
    expect((await get('/ui/js/nothing-here.js')).status).toBe(404);
    for (const path of ['/ui/..%2f..%2fpackage.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/vendor/..%2f..%2fpackage.json']) {
      const res = await get(path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(await res.text(), path).not.toContain('"devDependencies"');
    }
  });

  it('tells the page who is logged in and which controls to show, per role', async () => {
    const session = async (user: string) => ((await (await get('/ui/session', { Authorization: basic(user, user) })).json()) as { data: Record<string, unknown> }).data;
    expect(await session('admin')).toMatchObject({ username: 'admin', role: 'DROVE_EXTERNAL_ROOT', canOperate: true, canMaintain: true, canReadLogs: true });
    expect(await session('guest')).toMatchObject({ username: 'guest', canOperate: false, canMaintain: false, canReadLogs: true });
    expect(await session('ops')).toMatchObject({ username: 'ops', canOperate: false, canMaintain: true, canReadLogs: false });
    // The routes still landing are reported, so the page asks only for what exists.
    expect((await session('admin')).features).toMatchObject({ localServices: true });
    expect((await get('/ui/session')).status).toBe(401);
  });

  it('keeps the API answering JSON: unknown API routes are 404 envelopes, other unknown paths too', async () => {
    const auth = { Authorization: basic('admin', 'admin') };
    const api = await get('/apis/v1/no-such-thing', auth);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ status: 'FAILED', message: 'No such route: GET /apis/v1/no-such-thing' });
    const other = await get('/not-a-dashboard-page', auth);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toContain('application/json');
  });
});
