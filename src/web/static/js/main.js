// The dashboard shell: who is logged in, navigation, the live-stream indicator, the theme, and
// which page a URL shows. Pages live in ./pages/, one file per noun.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet, onLoginNeeded } from './api.js';
import { html } from './html.js';
import { useLiveStatus, useResource } from './hooks.js';
import { startLive } from './live.js';
import { installLinkInterception, matchRoute, useLocation } from './router.js';
import { SessionContext } from './session.js';
import { Toasts } from './ui.js';
import { OverviewPage } from './pages/overview.js';
import { ExecutorListPage, ExecutorPage } from './pages/executors.js';
import { AppListPage } from './pages/apps.js';
import { AppPage } from './pages/app-detail.js';
import { InstancePage } from './pages/instance.js';
import { TaskListPage } from './pages/tasks.js';
import { TaskPage } from './pages/task-detail.js';
import { OperationListPage } from './pages/operations.js';
import { OperationPage } from './pages/operation-detail.js';
import { LocalServiceListPage, LocalServicePage } from './pages/local-services.js';
import { NotFoundPage } from './pages/not-found.js';

const ROUTES = [
  ['/', OverviewPage],
  ['/operations', OperationListPage],
  ['/operations/:operationId', OperationPage],
  ['/apps', AppListPage],
  ['/apps/:appId', AppPage],
  ['/apps/:appId/instances/:instanceId', InstancePage],
  ['/tasks', TaskListPage],
  ['/tasks/:sourceAppName/:taskId', TaskPage],
  ['/executors', ExecutorListPage],
  ['/executors/:executorId', ExecutorPage],
  ['/local-services', LocalServiceListPage],
  ['/local-services/:serviceId', LocalServicePage],
];

const NAV = [
  ['/', 'Overview'],
  ['/operations', 'Operations'],
  ['/apps', 'Applications'],
  ['/tasks', 'Tasks'],
  ['/executors', 'Executors'],
  ['/local-services', 'Local services'],
];

function resolve(pathname) {
  for (const [pattern, Page] of ROUTES) {
    const params = matchRoute(pattern, pathname);
    if (params) return { Page, params };
  }
  return { Page: NotFoundPage, params: {} };
}

function isCurrent(href, pathname) {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

const THEME_KEY = 'corral.theme';

function useTheme() {
  const [theme, setTheme] = useState(() => localStorage.getItem(THEME_KEY) ?? 'auto');
  useEffect(() => {
    if (theme === 'auto') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return [theme, setTheme];
}

function ThemeSwitch() {
  const [theme, setTheme] = useTheme();
  return html`<label class="theme-switch"><span class="visually-hidden">Colour theme</span>
    <select value=${theme} onChange=${(e) => setTheme(e.currentTarget.value)} aria-label="Colour theme">
      <option value="auto">Theme: system</option><option value="light">Theme: light</option><option value="dark">Theme: dark</option>
    </select></label>`;
}

function LiveIndicator() {
  const status = useLiveStatus();
  const words = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…' };
  return html`<span class=${`live live-${status}`} role="status" title="Updates arrive over the controller's event stream">
    <span class="live-dot" aria-hidden="true"></span>${words[status]}</span>`;
}

/** How many operations are active, beside "Operations" in the menu: visible from every page. */
function ActiveOperationCount() {
  const active = useResource(async () => (await apiGet('/apis/v1/operations?state=ACTIVE&size=1000')).length, [],
    { refreshOn: ['OPERATION_STATE_CHANGE'] });
  if (!active.data) return null;
  return html` <span class="nav-count"><span class="visually-hidden">(active: </span>${active.data}<span class="visually-hidden">)</span></span>`;
}

function Shell({ session }) {
  const location = useLocation();
  const pathname = location.split('?')[0];
  const { Page, params } = resolve(pathname);
  const mainRef = useRef();
  const first = useRef(true);
  useEffect(() => {
    // After a navigation, move focus to the new page's heading so keyboard and screen-reader
    // users start at the top of what changed.
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = mainRef.current?.querySelector('h1');
    heading?.focus({ preventScroll: true });
  }, [pathname]);
  return html`<${SessionContext.Provider} value=${session}>
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <a class="brand" href="/" aria-label="corral overview"><img src="/ui/favicon.svg" alt="" width="28" height="28" /><span>corral</span></a>
      <nav aria-label="Main">
        <ul>${NAV.map(([href, label]) => html`<li><a href=${href} aria-current=${isCurrent(href, pathname) ? 'page' : undefined}>${label}${
          href === '/operations' ? html`<${ActiveOperationCount} />` : null}</a></li>`)}</ul>
      </nav>
      <div class="topbar-end">
        <${LiveIndicator} />
        <span class="who" title=${session.role}><span class="visually-hidden">Logged in as </span>${session.username}
          <span class="role">${session.canOperate ? 'operator' : session.canMaintain ? 'maintenance' : 'read-only'}</span></span>
        <${ThemeSwitch} />
      </div>
    </header>
    <main id="main" ref=${mainRef}>
      <${Page} key=${pathname} ...${params} />
    </main>
    <${Toasts} />
  <//>`;
}

function LoginNeeded() {
  return html`<main class="login-needed">
    <h1>Log in again</h1>
    <p>The controller no longer accepts this login (it expired, changed, or was cancelled).</p>
    <p><button type="button" class="button primary" onClick=${() => location.reload()}>Log in</button></p>
  </main>`;
}

function App() {
  const [session, setSession] = useState();
  const [problem, setProblem] = useState();
  const [loginNeeded, setLoginNeeded] = useState(false);
  useEffect(() => onLoginNeeded(() => setLoginNeeded(true)), []);
  useEffect(() => {
    apiGet('/ui/session').then((s) => {
      setSession(s);
      startLive();
    }, setProblem);
  }, []);
  if (loginNeeded) return html`<${LoginNeeded} />`;
  if (problem) {
    return html`<main class="login-needed"><h1>The dashboard could not start</h1><p>${problem.message}</p>
      <p><button type="button" class="button primary" onClick=${() => location.reload()}>Reload</button></p></main>`;
  }
  if (!session) return html`<p class="boot" role="status">Loading the corral dashboard…</p>`;
  return html`<${Shell} session=${session} />`;
}

installLinkInterception();
render(html`<${App} />`, document.getElementById('app'));
