/**
 * The controller's Fastify server: Drove envelope with null omission, lenient body parsing
 * (API.md §1.2), the check order of §1.4 (route → auth → role → leadership → parsing → …),
 * audit log, metrics, and the WebSocket plugin the executor channel runs on.
 *
 * Routes declare who may call them with `config: { roles }` (or `config: { public: true }`);
 * a route with neither is refused with 403 so a forgotten declaration fails closed.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import websocket from '@fastify/websocket';
import { failure, stringifyWithoutNulls, type Envelope } from '../../common/envelope.ts';
import { ForbiddenError, JsonValidationError, NotLeaderError, UnauthorizedError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import type { ControllerConfig } from '../config.ts';
import type { Principal } from '../context.ts';
import { installAuditLog } from './audit-log.ts';
import { errorReply } from './error-replies.ts';
import type { ControllerMetrics } from './http-metrics.ts';
import type { Leadership } from './leadership.ts';
import { Authenticator, ROOT_PRINCIPAL, roleAllows } from './request-auth.ts';

export interface HttpServerOptions {
  config: ControllerConfig;
  logger: Logger;
  leadership: Leadership;
  metrics: ControllerMetrics;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;
/** Largest executor-channel frame (a full snapshot of a busy executor). */
const CHANNEL_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Builds the server with every cross-cutting concern installed; routes are added by the caller. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { config, logger, leadership, metrics } = options;
  const app: FastifyInstance = Fastify({
    loggerInstance: logger.child({ component: 'http' }) as FastifyBaseLogger,
    // The audit log and the metrics cover requests; per-request access lines would be noise.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    // Keep-alive connections must not hold shutdown hostage.
    forceCloseConnections: true,
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
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
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return notFound(request, reply);
    const routeConfig = request.routeOptions.config;
    if (routeConfig.public) return;
    const principal = config.authEnabled ? await authenticator.authenticate(request.headers.authorization) : ROOT_PRINCIPAL;
    if (!principal) throw new UnauthorizedError();
    request.principal = principal;
    if (!routeConfig.roles) throw new ForbiddenError('This route declares no role group and is closed');
    if (!roleAllows(routeConfig.roles, principal.role, config.disableReadAuth)) {
      throw new ForbiddenError(`Role ${principal.role} may not call ${request.method} ${request.routeOptions.url}`);
    }
    if (!leadership.isLeader()) throw new NotLeaderError();
  });

  installAuditLog(app, logger);
  metrics.install(app);
  await app.register(websocket, { options: { maxPayload: CHANNEL_MAX_PAYLOAD } });
  return app;
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a body cut short of its
 * Content-Length, malformed HTTP) still get the Drove envelope.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
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
 * (`curl --data ''` sends a form type), anything else must be JSON.
 */
function installBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new JsonValidationError(`Malformed JSON body: ${(error as Error).message}`), undefined);
    }
  });
}
