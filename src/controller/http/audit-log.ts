/**
 * One structured log line per mutating request: who, what, and how it ended. The outcome and
 * message are taken from the envelope on its way out, so rejected commands are audited with
 * the reason the client saw.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../../common/logger.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Adds the audit hooks to `app`. */
export function installAuditLog(app: FastifyInstance, logger: Logger): void {
  const outcomes = new WeakMap<FastifyRequest, { status?: string; message?: string }>();
  const audit = logger.child({ component: 'audit' });

  app.addHook('preSerialization', async (request, _reply, payload) => {
    if (!READ_METHODS.has(request.method) && payload && typeof payload === 'object') {
      const { status, message } = payload as { status?: unknown; message?: unknown };
      outcomes.set(request, {
        status: typeof status === 'string' ? status : undefined,
        message: typeof message === 'string' ? message : undefined,
      });
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    if (READ_METHODS.has(request.method)) return;
    const outcome = outcomes.get(request);
    audit.info({
      audit: true,
      user: request.principal?.username ?? null,
      role: request.principal?.role ?? null,
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      outcome: outcome?.status ?? (reply.statusCode < 400 ? 'SUCCESS' : 'FAILED'),
      message: outcome?.message,
      remoteAddress: request.ip,
    }, 'audit');
  });
}
