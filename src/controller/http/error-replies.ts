/**
 * Turns anything thrown while handling a request into the Drove envelope of docs/api.md §1.4.
 * CorralErrors map one-to-one; Fastify's own client errors (body too large, truncated body,
 * schema validation, bad URL) become 400s; everything else is a 500 with a one-line detail and
 * never a stack trace.
 */
import {
  CommandValidationError, CorralError, JsonValidationError, LookupFailedError,
} from '../../common/errors.ts';
import { failure, type Envelope } from '../../common/envelope.ts';
import { errorMessage } from '../../common/error-message.ts';

export interface ErrorReply {
  statusCode: number;
  body: Envelope;
  /** True when this is a server fault that must be logged as an error. */
  unexpected: boolean;
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

function validationMessages(error: FastifyLikeError): string[] {
  return (error.validation ?? []).map((v) => {
    const path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    const missing = v.params?.missingProperty;
    const subject = [error.validationContext, path || (typeof missing === 'string' ? missing : '')].filter(Boolean).join('.');
    return `${subject} ${v.message ?? 'is invalid'}`.trim();
  });
}

/** Maps an error to its status code and envelope. */
export function errorReply(error: unknown, bodyLimitBytes: number): ErrorReply {
  if (error instanceof CorralError) return { statusCode: error.httpStatus, body: corralBody(error), unexpected: false };
  const e = (error ?? {}) as FastifyLikeError;
  if (e.validation) {
    return { statusCode: 400, body: failure('Command validation failure', { validationErrors: validationMessages(e) }), unexpected: false };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        statusCode: 400,
        body: failure('JSON validation failure', { validationErrors: [`Request body is larger than the limit of ${bodyLimitBytes} bytes`] }),
        unexpected: false,
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        statusCode: 400,
        body: failure('JSON validation failure', { validationErrors: ['Request body length does not match its Content-Length (truncated body?)'] }),
        unexpected: false,
      };
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const message = e.message ?? 'Bad request';
    const body = e.statusCode === 400 ? failure('Command validation failure', { validationErrors: [message] }) : failure(message);
    return { statusCode: e.statusCode, body, unexpected: false };
  }
  const detail = errorMessage(error);
  return { statusCode: 500, body: failure('Unexpected Server error', { failure: detail }), unexpected: true };
}

function corralBody(error: CorralError): Envelope {
  if (error instanceof CommandValidationError) return failure('Command validation failure', { validationErrors: error.validationErrors });
  if (error instanceof JsonValidationError) return failure('JSON validation failure', { validationErrors: error.validationErrors });
  if (error instanceof LookupFailedError) return failure(error.message, error.data);
  return failure(error.message);
}
