/**
 * Config files (docs/api.md §6.6) and the HTTPCallSpec used by the two HTTP-fetch config types.
 * INLINE `data` is Base64 (Jackson's `byte[]`): bad Base64 is a JSON failure, an empty value a
 * constraint failure. HTTPCallSpec defaults are applied here so consumers never guess them.
 */
import { z } from 'zod';
import type { ConfigSpec, HttpCallSpec } from '../spec-types.ts';
import { duration } from '../../common/durations.ts';
import { durationField } from './durations-schema.ts';
import { COMMAND, dedupe, enumOf, flag, intIn, JSON_PROBLEM, stringMap, text } from './field-schema.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True when `value` is standard, padded Base64 (whitespace is not allowed). */
export function isBase64(value: string): boolean {
  return BASE64.test(value);
}

const base64Field = z.string().check((ctx) => {
  if (ctx.value === '') ctx.issues.push({ code: 'custom', message: 'must not be empty', input: ctx.value, params: COMMAND });
  else if (!isBase64(ctx.value)) {
    ctx.issues.push({ code: 'custom', message: 'is not valid Base64 (standard alphabet, padded)', input: ctx.value, params: JSON_PROBLEM });
  }
});

export const httpCallSchema = z
  .object({
    protocol: enumOf(['HTTP', 'HTTPS']).default('HTTP'),
    hostname: text(),
    port: intIn(0, 65535).default(0),
    path: z.string().default('/'),
    verb: enumOf(['GET', 'POST', 'PUT']).default('GET'),
    successCodes: z.array(z.int()).transform(dedupe).default([200]),
    payload: z.string().optional(),
    connectionTimeout: durationField().default(duration('1 second')),
    operationTimeout: durationField().default(duration('1 second')),
    username: z.string().optional(),
    password: z.string().optional(),
    authHeader: z.string().optional(),
    headers: stringMap().optional(),
    insecure: flag(false),
  })
  .transform((call) => ({
    ...call,
    port: call.port === 0 ? (call.protocol === 'HTTPS' ? 443 : 80) : call.port,
    path: call.path === '' ? '/' : call.path,
    successCodes: call.successCodes.length === 0 ? [200] : call.successCodes,
  })) satisfies z.ZodType<HttpCallSpec>;

export const configSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('INLINE'), localFilename: text(), data: base64Field }),
  z.object({ type: z.literal('EXECUTOR_LOCAL_FILE'), localFilename: text(), filePathOnHost: text() }),
  z.object({ type: z.literal('CONTROLLER_HTTP_FETCH'), localFilename: text(), http: httpCallSchema }),
  z.object({ type: z.literal('EXECUTOR_HTTP_FETCH'), localFilename: text(), http: httpCallSchema }),
]) satisfies z.ZodType<ConfigSpec>;
