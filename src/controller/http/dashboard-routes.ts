/**
 * The web dashboard (docs/dashboard.md), served by the controller on its own port:
 *
 *   GET /  and every page URL (/apps/…, /executors/…, /tasks/…, /operations/…, /local-services/…)
 *        → src/web/static/index.html; role ANY, so a browser without a login gets the 401
 *          challenge and asks for one (an HTML 401 page if the user cancels).
 *   GET /ui/session                 → who is logged in and what they may do (role ANY)
 *   GET /ui/…  /ui/vendor/…  /favicon.ico → the dashboard's own files and the ES modules of
 *          preact and htm straight from node_modules; public (code, no data), no build step.
 *
 * The page is locked down by a Content-Security-Policy that allows scripts from this origin only
 * (plus the one inline import map, by hash) so an untrusted string can never run as code.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../../common/errors.ts';
import type { ControllerConfig } from '../config.ts';
import { BASIC_CHALLENGE, roleAllows } from './request-auth.ts';

const STATIC_DIR = fileURLToPath(new URL('../../web/static/', import.meta.url));

/** First path segments that are dashboard pages (deep links), besides `/` itself. */
export const DASHBOARD_PAGES = ['apps', 'executors', 'tasks', 'operations', 'local-services'] as const;

/** Third-party ES modules the page imports (through its import map), by the name it asks for. */
function vendorFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const add = (specifier: string) => {
    const file = fileURLToPath(import.meta.resolve(specifier));
    files.set(path.basename(file), file);
    files.set(`${path.basename(file)}.map`, `${file}.map`);
  };
  add('preact');
  add('preact/hooks');
  files.set('htm.mjs', fileURLToPath(import.meta.resolve('htm')));
  return files;
}

interface IndexPage {
  html: string;
  csp: string;
}

function loadIndexPage(): IndexPage {
  const html = readFileSync(path.join(STATIC_DIR, 'index.html'), 'utf8');
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const importMapHash = createHash('sha256').update(importMap, 'utf8').digest('base64');
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
  return { html, csp };
}

const LOGIN_NEEDED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in — corral</title><link rel="icon" href="/ui/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/ui/dashboard.css"></head>
<body><main class="login-needed"><h1>corral</h1><p>This dashboard needs a login (HTTP basic authentication).
The login was missing, cancelled or not accepted.</p><p><a class="button primary" href="">Log in again</a></p></main></body></html>
`;

/** The capabilities the dashboard shows controls for; the API checks them again on every call. */
export interface DashboardSession {
  username: string;
  role: string;
  authEnabled: boolean;
  /** Application, task and local-service operations, cancel, abort (role group RW). */
  canOperate: boolean;
  /** Blacklisting and maintenance mode (role group MAINT). */
  canMaintain: boolean;
  /** Log files (role group LOGS). */
  canReadLogs: boolean;
  /**
   * API routes that are still landing, so the page asks only for what exists (a 404 would be a
   * console error in the browser): the dashboard aggregate and the local-service API.
   */
  features: { clusterDashboard: boolean; localServices: boolean };
}

/** Registers the dashboard's routes; call before the server listens. */
export function registerDashboardRoutes(app: FastifyInstance, config: ControllerConfig): void {
  const index = loadIndexPage();
  const vendor = vendorFiles();

  app.register(async (scope) => {
    await scope.register(fastifyStatic, { root: STATIC_DIR, serve: false, cacheControl: false, index: false });

    // A page answers 401 with the Basic challenge, so the browser asks for the login; one that
    // cancels the prompt shows this body: a page, not JSON. (/ui/session, like the API, does not
    // challenge: the page's own calls never pop a prompt.)
    scope.setErrorHandler((error, request, reply) => {
      if (error instanceof UnauthorizedError && request.routeOptions.config.challenge) {
        reply.header('WWW-Authenticate', BASIC_CHALLENGE);
        if (acceptsHtml(request)) {
          return reply.code(401).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(LOGIN_NEEDED_PAGE);
        }
      }
      throw error;
    });

    const sendIndex = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.header('Cache-Control', 'no-cache').header('Content-Security-Policy', index.csp)
        .header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'same-origin')
        .type('text/html; charset=utf-8').send(index.html);
    const page = { config: { roles: 'ANY' as const, challenge: true } };
    scope.get('/', page, sendIndex);
    for (const name of DASHBOARD_PAGES) {
      scope.get(`/${name}`, page, sendIndex);
      scope.get(`/${name}/*`, page, sendIndex);
    }

    scope.get('/ui/session', { config: { roles: 'ANY' } }, async (request) => {
      const { username, role } = request.principal;
      const session: DashboardSession = {
        username, role, authEnabled: config.authEnabled,
        canOperate: roleAllows('RW', role, config.disableReadAuth),
        canMaintain: roleAllows('MAINT', role, config.disableReadAuth),
        canReadLogs: roleAllows('LOGS', role, config.disableReadAuth),
        features: {
          clusterDashboard: app.hasRoute({ method: 'GET', url: '/apis/v1/cluster/dashboard' }),
          localServices: app.hasRoute({ method: 'GET', url: '/apis/v1/localservices' }),
        },
      };
      return { status: 'SUCCESS', data: session, message: 'success' };
    });

    const revalidate = (reply: FastifyReply) => reply.header('Cache-Control', 'no-cache').header('X-Content-Type-Options', 'nosniff');
    scope.get<{ Params: { file: string } }>('/ui/vendor/:file', { config: { public: true } }, async (request, reply) => {
      const file = vendor.get(request.params.file);
      if (!file) return reply.code(404).send({ status: 'FAILED', message: `No such dashboard file: ${request.params.file}` });
      return revalidate(reply).sendFile(path.basename(file), path.dirname(file));
    });
    scope.get<{ Params: { '*': string } }>('/ui/*', { config: { public: true } }, async (request, reply) =>
      revalidate(reply).sendFile(request.params['*']));
    scope.get('/favicon.ico', { config: { public: true } }, async (_request, reply) => revalidate(reply).sendFile('favicon.svg'));
  });
}

function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html');
}
