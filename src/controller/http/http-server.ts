/**
 * The controller's Fastify server: Drove envelope with null omission, lenient body parsing
 * (docs/api.md §1.2), the check order of §1.4 (route → auth → role → leadership → parsing → …),
 * audit log, metrics, the OpenAPI document (api-docs.ts), and the WebSocket plugin the executor
 * channel runs on.
 *
 * Routes declare who may call them with `config: { roles }` (or `config: { public: true }`);
 * a route with neither is refused with 403 so a forgotten declaration fails closed.
 *
 * Hostile and slow clients (docs/security.md): writes from a foreign `Origin` and non-JSON
 * bodies are refused, failed logins are limited per address, a request must arrive completely
 * within `requestTimeoutMs`, and a path parameter may be as long as the longest id a client can
 * create (MAX_APP_ID_LENGTH), so whatever was accepted stays addressable.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyServerFactory, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { CHANNEL_HELLO_MAX_BYTES } from '../../api/channel-protocol.ts';
import { failure, stringifyWithoutNulls, type Envelope } from '../../common/envelope.ts';
import { ForbiddenError, JsonValidationError, NotLeaderError, TooManyRequestsError, UnauthorizedError } from '../../common/errors.ts';
import { MAX_APP_ID_LENGTH } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import type { ControllerConfig } from '../config.ts';
import type { Principal } from '../../api/auth-types.ts';
import { registerApiDocs } from './api-docs.ts';
import { installAuditLog } from './audit-log.ts';
import { errorReply } from './error-replies.ts';
import type { ControllerMetrics } from './http-metrics.ts';
import type { Leadership } from './leadership.ts';
import { LoginThrottle } from './login-throttle.ts';
import { Authenticator, ROOT_PRINCIPAL, roleAllows } from './request-auth.ts';
import { INSTANCE_TOKEN_HEADER, type InstanceTokens } from './instance-tokens.ts';
import { originGuard, requireJsonBody } from './request-guards.ts';

export interface HttpServerOptions {
  config: ControllerConfig;
  logger: Logger;
  leadership: Leadership;
  metrics: ControllerMetrics;
  /** Checks `App-Instance-Authorization` (docs/api.md §4.10); without it that header is ignored. */
  instanceTokens?: Pick<InstanceTokens, 'verify'>;
  /**
   * The server the app's handler is attached to instead of one of its own: the controller's
   * front server (front-server.ts) listens and hands each request to the app of the current
   * leadership term, so the listening socket outlives the terms.
   */
  serverFactory?: FastifyServerFactory;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
/** Headers must be complete this soon (slowloris); never more than the whole-request limit. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** A connection with no traffic at all for this long is closed (event streams send heartbeats). */
export const IDLE_CONNECTION_TIMEOUT_MS = 120_000;

/** Builds the server with every cross-cutting concern installed; routes are added by the caller. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, logger, leadership, metrics } = options;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // The audit log and the metrics cover requests; per-request access lines would be noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_APP_ID_LENGTH },
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: IDLE_CONNECTION_TIMEOUT_MS,
    // Node checks request deadlines on this period (default 30 s, which would let a trickling
    // body hold its connection that much longer than requestTimeoutMs).
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs), connectionsCheckingInterval: 1_000 },
    // Keep-alive connections must not hold shutdown hostage.
    forceCloseConnections: true,
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Undecodable paths (`%E0%A4%A`) are refused by the router before any route or hook.
    frameworkErrors: (error, _request, rawReply) => {
      const body = failure('Command validation failure', { validationErrors: [error.message] });
      (rawReply as unknown as FastifyReply).code(400).type('application/json; charset=utf-8').send(stringifyWithoutNulls(body));
    },
  });

  app.setReplySerializer((payload) => stringifyWithoutNulls(payload));
  installBodyParser(app);
  app.decorateRequest('principal', null as unknown as Principal);

  app.setErrorHandler((error, request, reply) => {
    const rendered = errorReply(error, config.bodyLimitBytes);
    if (rendered.unexpected) request.log.error({ err: error, method: request.method, url: request.url }, 'unexpected error while handling a request');
    if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(error.retryAfterSeconds));
    if (error instanceof NotLeaderError) {
      const leader = leadership.leaderUrl();
      if (leader) reply.header('X-Corral-Leader', leader);
    }
    reply.status(rendered.statusCode).send(rendered.body);
  });

  // Route matching comes first (§1.4): an unknown route or method is answered before
  // credentials are checked or a body is read.
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const allowed = METHODS.filter((m) => m !== request.method && app.findRoute({ method: m, url: path }));
    if (allowed.length > 0) {
      return reply.status(405).header('Allow', allowed.join(', ')).send(failure(`Method ${request.method} is not allowed on ${path}`));
    }
    return reply.status(404).send(failure(`No such route: ${request.method} ${path}`));
  };
  app.setNotFoundHandler(notFound);

  const authenticator = new Authenticator(config.users);
  const throttle = new LoginThrottle(config.authFailuresPerMinute);
  const checkOrigin = originGuard(config.allowedOrigins);
  const authenticate = async (request: FastifyRequest): Promise<Principal> => {
    // An instance token is checked before users (Drove's filter order), with or without user
    // authentication: it says which instance calls, which the instance-facing API needs.
    const instanceToken = request.headers[INSTANCE_TOKEN_HEADER];
    if (typeof instanceToken === 'string' && options.instanceTokens) {
      await throttle.check(request.ip);
      const claims = await options.instanceTokens.verify(instanceToken.trim());
      if (claims) return { username: `instance ${claims.appId}/${claims.instanceId}`, role: 'DROVE_APPLICATION_INSTANCE', instance: claims };
      await throttle.failed(request.ip);
      throw new UnauthorizedError();
    }
    if (!config.authEnabled) return ROOT_PRINCIPAL;
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedError();
    await throttle.check(request.ip);
    const principal = await authenticator.authenticate(header);
    if (principal) return principal;
    await throttle.failed(request.ip);
    throw new UnauthorizedError();
  };
  app.addHook('onRequest', async (request, reply) => {
    // Every answer of a follower names the leader (docs/ha.md), whatever the request.
    if (!leadership.isLeader()) {
      const leader = leadership.leaderUrl();
      if (leader) reply.header('X-Corral-Leader', leader);
    }
    if (request.is404) return notFound(request, reply);
    checkOrigin(request);
    const routeConfig = request.routeOptions.config;
    if (routeConfig.public) return;
    request.principal = await authenticate(request);
    const principal = request.principal;
    if (!routeConfig.roles) throw new ForbiddenError('This route declares no role group and is closed');
    if (!roleAllows(routeConfig.roles, principal.role, config.disableReadAuth)) {
      throw new ForbiddenError(`Role ${principal.role} may not call ${request.method} ${request.routeOptions.url}`);
    }
    if (!routeConfig.followerServes && !leadership.isLeader()) throw new NotLeaderError();
  });

  installAuditLog(app, logger);
  // Before any route: the OpenAPI plugin learns routes as they are added.
  await registerApiDocs(app);
  metrics.install(app, { requireAuth: config.metricsAuth });
  // The executor channel raises a registered executor's limit to CHANNEL_MAX_BYTES itself.
  await app.register(websocket, { options: { maxPayload: CHANNEL_HELLO_MAX_BYTES } });
  return app;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a body cut short of its
 * Content-Length, malformed HTTP) still get the Drove envelope.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let body: Envelope;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = failure('Request timed out before it was complete');
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = failure('Request headers are too large');
  } else if (error.code === 'HPE_INVALID_EOF_STATE') {
    body = failure('JSON validation failure', { validationErrors: ['Request body ended before its Content-Length (truncated body)'] });
  } else {
    body = failure('Command validation failure', { validationErrors: [`Malformed HTTP request (${error.code ?? error.message})`] });
  }
  const text = stringifyWithoutNulls(body);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${text}`);
  }
  socket.destroy(error);
}

/**
 * One parser for every content type: an empty body is "no body" whatever the Content-Type
 * (`curl --data ''` sends a form type), anything else must be JSON and say so, or say nothing.
 */
function installBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    const contentType = request.headers['content-type'];
    if (request.routeOptions.config?.formBody && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '')) {
      done(null, Object.fromEntries(new URLSearchParams(text)));
      return;
    }
    try {
      requireJsonBody(contentType);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new JsonValidationError(`Malformed JSON body: ${(error as Error).message}`), undefined);
    }
  });
}
