/**
 * Cross-site request guards (docs/security.md, "Browsers"). A browser on another site can make
 * a user's browser send a write to the controller — with the basic credentials it has cached for
 * it — as long as the request is a CORS "simple" one (a form-typed or text/plain body, no custom
 * header), because such requests are sent without asking first. Two checks close that:
 *
 * - a write carrying an `Origin` header must come from the controller's own origin (or one of
 *   `allowedOrigins`); requests without `Origin` (curl, the CLI, other programs) are not browsers'
 *   cross-site requests and pass;
 * - a non-empty body must be JSON (`application/json` or `application/*+json`) or carry no
 *   Content-Type at all (docs/api.md §1.2); an empty body may carry any type (`curl --data ''`).
 */
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnsupportedMediaTypeError } from '../../common/errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `scheme://host[:port]` of a URL, or undefined when it is not one. */
function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the Origin check of write requests; `allowedOrigins` are extra trusted origins. */
export function originGuard(allowedOrigins: readonly string[]): (request: FastifyRequest) => void {
  const allowed = new Set(allowedOrigins.map(originOf).filter((o): o is string => o !== undefined));
  return (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin === undefined) return;
    const own = request.headers.host ? originOf(`${request.protocol}://${request.headers.host}`) : undefined;
    const offered = originOf(origin);
    if (offered !== undefined && (offered === own || allowed.has(offered))) return;
    throw new ForbiddenError(`Cross-origin write refused: Origin ${origin} is not this controller's origin${own ? ` (${own})` : ''} or one of allowedOrigins`);
  };
}

/** True when a Content-Type header names JSON. */
export function isJsonContentType(contentType: string): boolean {
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** Refuses a non-empty body that announces itself as something other than JSON. */
export function requireJsonBody(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === '' || isJsonContentType(contentType)) return;
  throw new UnsupportedMediaTypeError(`Request bodies must be JSON: send Content-Type: application/json (got ${JSON.stringify(contentType.slice(0, 100))})`);
}
