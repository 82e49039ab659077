/**
 * A real Chromium for dashboard tests: Debian's `/usr/bin/chromium` driven by playwright-core
 * (`.ci/run` installs it; no browser is ever downloaded). One browser per test file, one context
 * per login, console errors and page errors collected per page, axe-core injected for
 * accessibility checks, screenshots written to `test-artifacts/dashboard/`.
 *
 *   const browser = await launchChromium();
 *   const admin = await openSession(browser, controller.url, { username: 'admin', password: 'admin' });
 *   await admin.visit('/apps');
 *   await admin.assertAccessible('apps');
 *   admin.takeConsoleErrors();   // [] when the page logged none
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'dashboard');
/**
 * Chromium aborts requests in flight when the machine's network interfaces change (other test
 * files make namespaces and veths): the environment's doing, not the page's, so it is not counted
 * as a console error.
 */
const NETWORK_CHANGED = 'ERR_NETWORK_CHANGED';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Launches headless Chromium with a fresh profile (playwright-core makes a temp user-data-dir). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
}

export interface SessionOptions {
  username: string;
  password: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

export interface DashboardSession {
  context: BrowserContext;
  page: Page;
  /** Opens a dashboard URL and waits until the page's first read has rendered. */
  visit(pathname: string): Promise<void>;
  /** Serious and critical axe-core violations of the current page (an empty list passes). */
  seriousViolations(): Promise<AxeViolation[]>;
  /** Throws with a readable list when axe-core finds serious or critical violations. */
  assertAccessible(what: string): Promise<void>;
  /** Full-page screenshot to test-artifacts/dashboard/NAME.png. */
  screenshot(name: string): Promise<void>;
  /** Console errors and uncaught page errors since the last call (ERR_NETWORK_CHANGED left out). */
  takeConsoleErrors(): string[];
  close(): Promise<void>;
}

export async function openSession(browser: Browser, baseUrl: string, options: SessionOptions): Promise<DashboardSession> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    httpCredentials: { username: options.username, password: options.password },
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: uncaught ${error.message}`));
  mkdirSync(ARTIFACTS, { recursive: true });

  const session: DashboardSession = {
    context,
    page,
    async visit(pathname) {
      for (let attempt = 1; ; attempt++) {
        const response = await page.goto(pathname);
        if (!response || response.status() !== 200) throw new Error(`GET ${pathname} answered ${response?.status()}`);
        try {
          // Generous: on a loaded 2-core machine the first load of ~35 modules can be slow.
          await page.locator('main h1').first().waitFor({ timeout: 30_000 });
          break;
        } catch (error) {
          // Another test on this machine changing network interfaces makes Chromium abort
          // requests in flight (ERR_NETWORK_CHANGED), a module load among them: load again.
          if (attempt >= 2 || !errors.some((e) => e.includes(NETWORK_CHANGED))) throw error;
        }
      }
      // Loading placeholders are gone once every section's first read has answered.
      await page.locator('.state-box.loading').first().waitFor({ state: 'detached', timeout: 30_000 });
    },
    async seriousViolations() {
      if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE_SOURCE);
      // Run in the page (a string, so the test build needs no DOM types).
      const result = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then(({ violations }) =>
        violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`);
      return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    },
    async assertAccessible(what) {
      const violations = await session.seriousViolations();
      if (violations.length > 0) {
        const text = violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')} — ${n.failureSummary ?? ''}`).join('\n')}`).join('\n');
        throw new Error(`axe-core found serious accessibility violations on ${what}:\n${text}`);
      }
    },
    async screenshot(name) {
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    takeConsoleErrors() {
      return errors.splice(0, errors.length).filter((e) => !e.includes(NETWORK_CHANGED));
    },
    close: () => context.close(),
  };
  return session;
}
