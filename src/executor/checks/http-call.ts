/**
 * One HTTP(S) request with the knobs Drove's HTTPCallSpec and HTTP checks expose: a connect
 * budget separate from the whole-operation budget, basic auth or a verbatim Authorization
 * header, extra headers, a body, and `insecure` TLS. Used by health/readiness checks,
 * preShutdown hooks and EXECUTOR_HTTP_FETCH configs. Never throws for HTTP statuses; throws an
 * `HttpCallError` with a readable message for network problems and timeouts.
 */
import http from 'node:http';
import https from 'node:https';
import type { HttpCallSpec } from '../../api/spec-types.ts';
import { durationMillis } from '../../common/durations.ts';
import { setLongTimeout } from '../../common/long-timer.ts';

export interface HttpCallOptions {
  protocol: 'HTTP' | 'HTTPS';
  hostname: string;
  port: number;
  path: string;
  verb: 'GET' | 'POST' | 'PUT';
  payload?: string;
  headers?: Record<string, string>;
  /** Budget to establish the connection. */
  connectTimeoutMs: number;
  /** Budget for the whole exchange. */
  timeoutMs: number;
  insecure?: boolean;
  /** Upper bound on the body kept (bytes). */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

export interface HttpCallResult {
  status: number;
  body: Buffer;
}

export class HttpCallError extends Error {
  readonly code = 'HTTP_CALL_FAILED';
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

export function httpCall(options: HttpCallOptions): Promise<HttpCallResult> {
  const target = `${options.protocol.toLowerCase()}://${options.hostname}:${options.port}${options.path}`;
  const transport = options.protocol === 'HTTPS' ? https : http;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  return new Promise<HttpCallResult>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      overall.cancel();
      options.signal?.removeEventListener('abort', onAbort);
      request.destroy();
      reject(new HttpCallError(`${options.verb} ${target}: ${message}`));
    };
    const headers: Record<string, string> = { ...options.headers };
    if (options.payload !== undefined) headers['content-length'] = String(Buffer.byteLength(options.payload));
    const request = transport.request({
      protocol: options.protocol === 'HTTPS' ? 'https:' : 'http:',
      hostname: options.hostname,
      port: options.port,
      path: options.path || '/',
      method: options.verb,
      headers,
      rejectUnauthorized: !options.insecure,
      agent: false,
    });
    // Long timers: a check's timeout comes from the spec and may exceed setTimeout's 24.8 days.
    const overall = setLongTimeout(() => fail(`no complete response within ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = () => fail('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connect = setLongTimeout(() => fail(`could not connect within ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
      socket.once('connect', () => connect.cancel());
      socket.once('secureConnect', () => connect.cancel());
      socket.once('close', () => connect.cancel());
    });
    request.once('error', (error) => fail(error.message || (error as NodeJS.ErrnoException).code || 'request failed'));
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) fail(`response body larger than ${maxBody} bytes`);
        else chunks.push(chunk);
      });
      response.once('error', (error) => fail(error.message));
      response.once('end', () => {
        if (settled) return;
        settled = true;
        overall.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) });
      });
    });
    request.end(options.payload);
  });
}

/** Compiles an HTTPCallSpec (configs) into call options, applying docs/api.md §6.6 defaults. */
export function httpCallSpecOptions(spec: HttpCallSpec, signal?: AbortSignal): HttpCallOptions {
  const protocol = spec.protocol ?? 'HTTP';
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.authHeader) headers.authorization = spec.authHeader;
  else if (spec.username !== undefined && spec.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${spec.username}:${spec.password}`).toString('base64')}`;
  }
  return {
    protocol,
    hostname: spec.hostname,
    port: spec.port || (protocol === 'HTTPS' ? 443 : 80),
    path: spec.path || '/',
    verb: spec.verb ?? 'GET',
    payload: spec.payload,
    headers,
    connectTimeoutMs: spec.connectionTimeout ? durationMillis(spec.connectionTimeout) : 1_000,
    timeoutMs: spec.operationTimeout ? durationMillis(spec.operationTimeout) : 1_000,
    insecure: spec.insecure ?? false,
    signal,
  };
}
