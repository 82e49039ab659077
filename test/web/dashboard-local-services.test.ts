/**
 * The local-services pages in Chromium against a real controller and two real executors: the
 * list, one service with an instance per executor updating live, and Deactivate from the page.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { agentSpec, killMarked, startLocalServiceCluster, type LocalServiceCluster } from '../localservices/local-service-cluster.ts';
import { launchChromium, openSession, type DashboardSession } from './browser-session.ts';

const UI_TIMEOUT = 30_000;
const marker = randomUUID();

async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout: UI_TIMEOUT });
}

describe('local-services pages in Chromium', { timeout: 180_000 }, () => {
  let cluster: LocalServiceCluster;
  let browser: Browser;
  let admin: DashboardSession;

  beforeAll(async () => {
    cluster = await startLocalServiceCluster({ executors: 2 });
    browser = await launchChromium();
    admin = await openSession(browser, cluster.controller.url, { username: 'admin', password: 'admin' });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stopAllTestProcesses();
    killMarked(marker);
  });

  it('lists the services and shows one live, with its instances per executor; Deactivate from the page', async () => {
    const page = admin.page;
    await cluster.submit({ type: 'CREATE', spec: agentSpec('dash-agent', marker), instancesPerHost: 1 });
    await admin.visit('/local-services');
    await waitForText(page, 'table', 'dash-agent-1');
    await admin.assertAccessible('local services list');
    await admin.screenshot('local-services');

    await admin.visit('/local-services/dash-agent-1');
    await waitForText(page, 'h2', 'Instances (0)');
    await cluster.submit({ type: 'ACTIVATE', serviceId: 'dash-agent-1' });
    // The page follows the events: no reload.
    await waitForText(page, 'h2', 'Instances (2)');
    await waitFor(async () => (await page.locator('#service-instances .state', { hasText: 'HEALTHY' }).count()) === 2
      || (await page.locator('#service-instances', { hasText: 'HEALTHY' }).count()) > 0, { timeoutMs: UI_TIMEOUT });
    await admin.assertAccessible('local service page');
    await admin.screenshot('local-service');

    await page.getByRole('button', { name: 'Deactivate…' }).click();
    await page.locator('dialog[open]').getByRole('button', { name: 'Deactivate' }).click();
    await waitForText(page, 'h2', 'Instances (0)');
    expect((await cluster.summary('dash-agent-1')).activationState).toBe('INACTIVE');
    expect(admin.takeConsoleErrors()).toEqual([]);
  });
});
