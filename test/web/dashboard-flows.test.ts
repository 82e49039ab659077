/**
 * The dashboard in a real Chromium against a real cluster (a controller and two `corral executor`
 * processes running real PROCESS workloads): the flows a person uses, as admin and as guest.
 * Every page visited is checked with axe-core (no serious violations) and for console errors,
 * and screenshotted to test-artifacts/dashboard/ (docs/screenshots/ holds a committed set).
 *
 * The steps build on each other (one cluster, one browser), in the order a person would go.
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { launchChromium, openSession, type DashboardSession } from './browser-session.ts';
import { nodeAppSpec, OP_SPEC } from './dashboard-fixtures.ts';

const UI_TIMEOUT = 30_000;

/** Waits until the element holds the text (the page updated itself: no reload is made). */
async function waitForText(page: Page, selector: string, text: string, timeout = UI_TIMEOUT): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout });
}

const openDialog = (page: Page) => page.locator('dialog[open]');

// Generous per-test time: each step waits on real processes and a real browser, and the
// machine (2 cores) may be running other test files alongside.
describe('dashboard flows in Chromium', { timeout: 180_000 }, () => {
  let controller: TestController;
  let executors: TestExecutor[];
  let api: ApiClient;
  let browser: Browser;
  let admin: DashboardSession;
  let page: Page;

  /** Visits, checks accessibility and takes the screenshot: the standard look at a page. */
  async function look(session: DashboardSession, path: string, name: string): Promise<void> {
    await session.visit(path);
    await session.assertAccessible(`${name} (${path})`);
    await session.screenshot(name);
  }

  async function operationsOf(appId: string, state = 'ACTIVE') {
    return (await api.get(`/apis/v1/operations?appId=${appId}&state=${state}`)).body.data as { operationId: string; type: string; state: string }[];
  }

  beforeAll(async () => {
    controller = await startTestController({ config: { killTimeoutMs: 2_000, snapshotIntervalMs: 1_000 } });
    api = controller.api();
    executors = await Promise.all([1, 2].map((n) => startTestExecutor(controller.url, {
      secret: controller.config.clusterSecret, cores: 8, memoryMb: 4096, name: `node-${n}`,
      labels: { zone: n === 1 ? 'a' : 'b' }, rack: `r${n}`,
    })));
    browser = await launchChromium();
    admin = await openSession(browser, controller.url, { username: 'admin', password: 'admin' });
    page = admin.page;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopAllTestProcesses();
  });

  it('opens to the cluster overview after the login, live', async () => {
    await look(admin, '/', 'overview');
    await waitForText(page, '.big-number', '2');
    await page.locator('.live-live').waitFor();
    expect(await page.locator('h1').textContent()).toBe('Cluster overview');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('creates an application from the page, with the API\'s validation messages next to the fields', async () => {
    await look(admin, '/apps', 'apps-empty');
    await page.getByRole('button', { name: 'Create application…' }).click();
    const dialog = openDialog(page);
    const spec = JSON.stringify(nodeAppSpec('web', { env: { GREETING: '<img src=x onerror="window.pwned=1">' } }), null, 2);
    await dialog.getByLabel('Application spec (JSON)').fill(spec);
    await dialog.getByLabel('Parallelism').fill('0');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    const parallelism = dialog.locator('.field', { has: page.getByLabel('Parallelism') });
    await parallelism.locator('.field-errors', { hasText: 'opSpec.parallelism must be greater than or equal to 1' }).waitFor();
    // The rejected request changed nothing: the dialog keeps what was typed, no app exists.
    expect(await dialog.getByLabel('Application spec (JSON)').inputValue()).toBe(spec);
    expect((await api.get('/apis/v1/applications')).body.data).toEqual({});
    await admin.screenshot('apps-create-validation');
    expect(admin.takeConsoleErrors().every((e) => e.includes('status of 400'))).toBe(true);

    await dialog.getByLabel('Parallelism').fill('1');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL('**/apps/web-1');
    await waitForText(page, 'main h1', 'web-1');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('scales the app and shows its instances going HEALTHY live', async () => {
    await page.getByRole('button', { name: 'Scale…' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('Instances wanted').fill('2');
    await dialog.getByLabel('Parallelism').fill('2');
    await dialog.getByRole('button', { name: 'Scale', exact: true }).click();
    await waitForText(page, '.health-count', '2 healthy of 2 expected');
    await page.locator('#app-instances [data-state="HEALTHY"]').nth(1).waitFor();
    await waitForText(page, '#app-operations tr', 'SCALE');
    await admin.assertAccessible('the app page');
    await admin.screenshot('app');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('reads an instance\'s state history and live log tail, and downloads the log', async () => {
    await page.locator('#app-instances tbody a').first().click();
    await waitForText(page, 'main h1', 'AI-');
    await waitForText(page, '#instance-history li', 'Healthy');
    await waitForText(page, 'pre.log', '<b>web</b> listening on');
    // Log lines are text: the markup in them is shown, never made into elements.
    expect(await page.locator('pre.log b').count()).toBe(0);
    // Health checks keep writing lines; following shows them without a reload.
    const before = (await page.locator('pre.log').textContent())!.split('\n').length;
    await expect.poll(async () => (await page.locator('pre.log').textContent())!.split('\n').length, { timeout: UI_TIMEOUT }).toBeGreaterThan(before);
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Follow' }).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download' }).click();
    const file = await (await download).path();
    expect(readFileSync(file, 'utf8')).toContain('listening on');
    await admin.assertAccessible('the instance page');
    await admin.screenshot('instance');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('resynchronises after the event stream is lost', async () => {
    await look(admin, '/apps', 'apps');
    await page.locator('.live-live').waitFor();
    // Every plain HTTP connection is cut, the page's event stream with them (the executors'
    // WebSocket channels are upgraded connections and stay).
    controller.running!.server.closeAllConnections();
    await page.locator('.live-reconnecting').waitFor({ timeout: UI_TIMEOUT });
    // Created before the stream is back (the browser retries after 3 s): its events never reach this page.
    const created = await api.post('/apis/v1/applications/operations', { type: 'CREATE', spec: nodeAppSpec('quiet'), instances: 0, opSpec: OP_SPEC });
    expect(created.body.status).toBe('SUCCESS');
    await page.locator('.live-live').waitFor({ timeout: UI_TIMEOUT });
    await waitForText(page, 'main table a', 'quiet-1');
    // Chromium reports the cut stream itself; nothing else may be logged.
    expect(admin.takeConsoleErrors().filter((e) => !e.includes('ERR_INCOMPLETE_CHUNKED_ENCODING'))).toEqual([]);
  });

  it('runs a task from a pasted spec and shows its result, output and environment as text', async () => {
    await look(admin, '/tasks', 'tasks');
    await page.getByRole('button', { name: 'Run a task…' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('Task spec (JSON)').fill(JSON.stringify({
      sourceAppName: 'DASH', taskId: 'hello',
      executable: { type: 'PROCESS', command: '/bin/sh' },
      args: ['-c', 'echo "hello <i>from</i> the dashboard"; exit 3'],
      env: { SECRET_HTML: '<img src=x onerror="window.pwned=1">' },
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
    }));
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL('**/tasks/DASH/hello');
    await waitForText(page, '.subtitle', 'exit code 3');
    await page.locator('.subtitle [data-state="FAILED"]').waitFor();
    await waitForText(page, 'pre.log', 'hello <i>from</i> the dashboard');
    await waitForText(page, 'main', 'SECRET_HTML=<img src=x onerror="window.pwned=1">');
    expect(await page.locator('main img, pre.log i').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    await waitForText(page, '#task-history li', 'Terminated');
    await admin.assertAccessible('the task page');
    await admin.screenshot('task');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('runs a fan-out task with its aggregated result and subtasks, and kills a long task', async () => {
    const create = (spec: Record<string, unknown>) => api.post('/apis/v1/tasks/operations', { type: 'CREATE', spec, opSpec: { ...OP_SPEC, parallelism: 2 } });
    const resources = [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }];
    expect((await create({
      sourceAppName: 'DASH', taskId: 'fan', executable: { type: 'PROCESS', command: '/bin/sh' }, args: ['-c', 'echo on $DROVE_TASK_ID'], resources,
      nodeFilter: { filterSetType: 'union', filterSet: [{ filterType: 'union', nodeNames: ['node-1', 'node-2'] }] },
    })).body.status).toBe('SUCCESS');
    await admin.visit('/tasks/DASH/fan');
    await page.locator('#task-result [data-state="success"]').waitFor({ timeout: UI_TIMEOUT });
    await waitForText(page, '#task-subtasks', 'fan-node-1');
    expect(await page.locator('#task-subtasks tbody [data-state="SUCCESSFUL"]').count()).toBe(2);
    await admin.assertAccessible('a fan-out task');
    await admin.screenshot('task-fanout');

    expect((await create({
      sourceAppName: 'DASH', taskId: 'long', executable: { type: 'PROCESS', command: '/bin/sh' }, args: ['-c', 'echo waiting; exec sleep 120'], resources,
    })).body.status).toBe('SUCCESS');
    await admin.visit('/tasks');
    await page.getByLabel('Search').fill('long');
    await waitForText(page, '#active-tasks table', 'DASH/long');
    await page.getByLabel('Search').fill('no-such-task');
    await waitForText(page, '#active-tasks', 'No active task matches');
    await admin.visit('/tasks/DASH/long');
    await page.locator('.subtitle [data-state="RUNNING"]').waitFor({ timeout: UI_TIMEOUT });
    await page.getByRole('button', { name: 'Kill…' }).click();
    await openDialog(page).getByRole('button', { name: 'Kill', exact: true }).click();
    await page.locator('.subtitle [data-state="CANCELLED"]').waitFor({ timeout: UI_TIMEOUT });
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('aborts a slow operation gracefully from the Operations page and shows CANCELLING then CANCELLED', async () => {
    expect((await api.post('/apis/v1/applications/operations', {
      type: 'CREATE', spec: nodeAppSpec('slow', { startDelayMs: 2_500 }), instances: 0, opSpec: OP_SPEC,
    })).body.status).toBe('SUCCESS');
    await admin.visit('/apps/slow-1');
    await page.getByRole('button', { name: 'Scale…' }).click();
    await openDialog(page).getByLabel('Instances wanted').fill('6');
    await openDialog(page).getByRole('button', { name: 'Scale', exact: true }).click();
    const [scale] = await waitFor(async () => {
      const ops = (await operationsOf('slow-1')).filter((op) => op.type === 'SCALE' && op.state === 'RUNNING');
      return ops.length ? ops : undefined;
    }, { message: 'the slow SCALE to run' });

    await look(admin, '/operations?state=ALL', 'operations');
    await page.locator('nav .nav-count').waitFor({ timeout: UI_TIMEOUT });
    const row = page.locator(`tr[data-operation="${scale.operationId}"]`);
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Abort selected (1)…' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('Deadline (graceful only, optional)').fill('soon');
    await dialog.getByRole('button', { name: 'Abort 1 operation' }).click();
    await dialog.locator('.field-errors', { hasText: 'deadline' }).waitFor();
    expect(admin.takeConsoleErrors().every((e) => e.includes('status of 400'))).toBe(true);
    expect((await api.get(`/apis/v1/operations/${scale.operationId}`)).body.data.state).toBe('RUNNING');
    await admin.assertAccessible('the abort dialog');
    await admin.screenshot('operations-abort-dialog');

    await dialog.getByLabel('Deadline (graceful only, optional)').fill('');
    await dialog.getByRole('button', { name: 'Abort 1 operation' }).click();
    await page.locator(`tr[data-operation="${scale.operationId}"][data-state="CANCELLING"]`).waitFor({ timeout: UI_TIMEOUT });
    await admin.screenshot('operations-cancelling');
    await page.locator(`tr[data-operation="${scale.operationId}"][data-state="CANCELLED"]`).waitFor({ timeout: UI_TIMEOUT });
    const record = (await api.get(`/apis/v1/operations/${scale.operationId}`)).body.data;
    expect(record).toMatchObject({ state: 'CANCELLED', abortMode: 'GRACEFUL', abortedBy: 'admin' });
    // Graceful: the step in flight finished, so the app settles with expected = healthy.
    const summary = (await api.get('/apis/v1/applications/slow-1')).body.data;
    expect(summary.requiredInstances).toBe(summary.healthyInstances);
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('aborts every active operation by force with one button', async () => {
    const { healthyInstances } = (await api.get('/apis/v1/applications/slow-1')).body.data;
    const scale = await api.post('/apis/v1/applications/operations', { type: 'SCALE', appId: 'slow-1', requiredInstances: healthyInstances + 3, opSpec: OP_SPEC });
    expect(scale.body.status, JSON.stringify([scale.body, (await api.get('/apis/v1/cluster/executors')).body.data, (await api.get('/apis/v1/applications')).body.data])).toBe('SUCCESS');
    await admin.visit('/operations');
    const running = page.locator('tr[data-state="RUNNING"]', { hasText: 'slow-1' });
    await running.first().waitFor({ timeout: UI_TIMEOUT });
    const operationId = await running.first().getAttribute('data-operation');
    await page.getByRole('button', { name: 'Abort all active…' }).click();
    const dialog = openDialog(page);
    await dialog.getByRole('radio', { name: /Force/ }).check();
    await dialog.getByRole('button', { name: 'Abort all active' }).click();
    await waitForText(page, '.notice', 'Abort sent');
    // The active view empties as the operations end; the record says how it was aborted.
    await waitFor(async () => (await api.get(`/apis/v1/operations/${operationId}`)).body.data.state === 'CANCELLED', { message: 'the forced abort to end' });
    expect((await api.get(`/apis/v1/operations/${operationId}`)).body.data).toMatchObject({ abortMode: 'FORCE' });
    await page.locator('.state-box.empty', { hasText: 'No operation is running' }).waitFor({ timeout: UI_TIMEOUT });
    await page.locator('nav .nav-count').waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    await look(admin, `/operations/${operationId}`, 'operation');
    await waitForText(page, '#operation-messages', 'abort');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('shows an executor with its core map, and blacklists and unblacklists it', async () => {
    await look(admin, '/executors', 'executors');
    const target = executors[1];
    await look(admin, `/executors/${target.executorId}`, 'executor');
    expect(await page.locator('.core-map .cores li').count()).toBe(8);
    const owned = await page.locator('.core.owned').count();
    const details = (await api.get(`/apis/v1/cluster/executors/${target.executorId}`)).body.data;
    const heldCores = [...details.instances, ...details.tasks].flatMap((w: { resources?: { type: string; cores?: Record<string, number[]> }[] }) =>
      (w.resources ?? []).filter((r) => r.type === 'CPU').flatMap((r) => Object.values(r.cores ?? {}).flat()));
    expect(owned).toBe(heldCores.length);
    await waitForText(page, '.facts', 'zone=b');

    await page.getByRole('button', { name: 'Blacklist…' }).click();
    await openDialog(page).getByRole('button', { name: 'Blacklist', exact: true }).click();
    await page.locator('.subtitle [data-state="BLACKLISTED"]').waitFor({ timeout: UI_TIMEOUT });
    await page.getByRole('button', { name: 'Unblacklist…' }).click();
    await openDialog(page).getByRole('button', { name: 'Unblacklist', exact: true }).click();
    await page.locator('.subtitle [data-state="ACTIVE"]').waitFor({ timeout: UI_TIMEOUT });
    await look(admin, '/', 'overview-live');
    await waitForText(page, '.event-list', 'EXECUTOR_UN_BLACKLISTED');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('shows a read-only user everything and no write controls', async () => {
    const guest = await openSession(browser, controller.url, { username: 'guest', password: 'guest' });
    try {
      const pages = ['/', '/apps', '/apps/web-1', '/tasks', '/tasks/DASH/hello', '/operations?state=ALL', '/executors', `/executors/${executors[0].executorId}`, '/local-services'];
      for (const path of pages) {
        await guest.visit(path);
        if (['/', '/apps/web-1', '/operations?state=ALL'].includes(path)) await guest.assertAccessible(`${path} as guest`);
        const writeControls = guest.page.getByRole('button', { name: /Create application|Scale|Suspend|Destroy|Run a task|Kill|Abort|Blacklist/ });
        expect(await writeControls.count(), path).toBe(0);
      }
      await guest.visit('/apps/web-1');
      await waitForText(guest.page, '.who', 'guest');
      await guest.page.locator('#app-instances tbody a').first().click();
      await waitForText(guest.page, 'pre.log', 'listening on');
      await guest.screenshot('guest-instance');
      expect(guest.takeConsoleErrors()).toEqual([]);
    } finally {
      await guest.close();
    }
  });

  it('is readable in the dark theme and at phone width, and local services show a clear empty state', async () => {
    const dark = await openSession(browser, controller.url, { username: 'admin', password: 'admin', colorScheme: 'dark' });
    const phone = await openSession(browser, controller.url, { username: 'admin', password: 'admin', viewport: { width: 390, height: 844 } });
    try {
      for (const [path, name] of [['/', 'overview'], ['/operations?state=ALL', 'operations'], ['/apps/web-1', 'app']]) {
        await look(dark, path, `dark-${name}`);
        await look(phone, path, `phone-${name}`);
      }
      await look(dark, `/executors/${executors[0].executorId}`, 'dark-executor');
      await look(dark, '/local-services', 'local-services');
      await waitForText(dark.page, '.state-box.empty', 'No local services');
      expect([...dark.takeConsoleErrors(), ...phone.takeConsoleErrors()]).toEqual([]);
    } finally {
      await dark.close();
      await phone.close();
    }
  });

  it('stops a selected instance, suspends and destroys an app with the page\'s buttons, by keyboard too', async () => {
    await admin.visit('/apps/web-1');
    await waitForText(page, '.health-count', '2 healthy of 2 expected');
    await page.locator('#app-instances tbody input[type="checkbox"]').first().check();
    await page.getByRole('button', { name: 'Stop 1 selected…' }).click();
    await openDialog(page).getByRole('button', { name: 'Stop 1 instance(s)' }).click();
    await waitForText(page, '.health-count', '1 healthy of 1 expected');

    // Keyboard only: focus the button, Enter opens the dialog, Escape closes it, Enter again, submit.
    await page.getByRole('button', { name: 'Suspend…' }).focus();
    await page.keyboard.press('Enter');
    await openDialog(page).waitFor();
    await page.keyboard.press('Escape');
    await openDialog(page).waitFor({ state: 'detached' });
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Suspend…');
    await page.keyboard.press('Enter');
    await openDialog(page).getByRole('button', { name: 'Suspend', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.subtitle [data-state="MONITORING"]').waitFor({ timeout: UI_TIMEOUT });

    await page.getByRole('button', { name: 'Destroy…' }).click();
    await openDialog(page).getByRole('button', { name: 'Destroy', exact: true }).click();
    await waitForText(page, '.state-box.error', 'App web-1 not found', UI_TIMEOUT);
    expect((await api.get('/apis/v1/applications/web-1')).body).toMatchObject({ status: 'FAILED', message: 'App web-1 not found' });
    expect(admin.takeConsoleErrors()).toEqual([]);
  });

  it('shows the login prompt, not a broken page, for a wrong login', async () => {
    const wrong = await openSession(browser, controller.url, { username: 'admin', password: 'not-the-password' });
    try {
      const response = await wrong.page.goto('/apps/web-1');
      expect(response?.status()).toBe(401);
      expect(await response?.headerValue('www-authenticate')).toBe('Basic realm="corral"');
      await waitForText(wrong.page, 'h1', 'corral');
      await waitForText(wrong.page, 'main', 'needs a login');
    } finally {
      await wrong.close();
    }
  });

  it('asks to log in again when the login stops being accepted while a page is open', async () => {
    await admin.visit('/apps');
    await page.locator('.live-live').waitFor();
    // The controller comes back with admin's password changed: the page's stream reconnects,
    // is refused, and the page says so instead of breaking.
    controller = await controller.restart({ config: { users: [{ username: 'admin', password: 'changed', role: 'DROVE_EXTERNAL_ROOT' }] } });
    await page.getByRole('heading', { name: 'Log in again' }).waitFor({ timeout: UI_TIMEOUT });
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await admin.screenshot('login-again');
    expect(admin.takeConsoleErrors().filter((e) => !/status of 401|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/.test(e))).toEqual([]);
  });
});
