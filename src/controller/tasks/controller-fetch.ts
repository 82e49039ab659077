/**
 * CONTROLLER_HTTP_FETCH configs (API.md §6.6): the controller fetches the content at every
 * start and ships it to the executor as INLINE, so `startTask`/`startInstance` never carry a
 * fetch the executor would have to do with the controller's network view.
 */
import http from 'node:http';
import https from 'node:https';
import { durationMillis } from '../../common/durations.ts';
import type { ConfigSpec, HttpCallSpec } from '../../api/spec-types.ts';

/** Whether any config needs the controller to fetch it. */
export function needsControllerFetch(configs: readonly ConfigSpec[] | undefined): boolean {
  return (configs ?? []).some((c) => c.type === 'CONTROLLER_HTTP_FETCH');
}

/** Fetches one HTTPCallSpec; resolves with the body, rejects with a readable message. */
export function fetchHttpCall(call: HttpCallSpec, signal?: AbortSignal): Promise<Buffer> {
  const secure = call.protocol === 'HTTPS';
  const port = call.port || (secure ? 443 : 80);
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.authHeader) headers.authorization = call.authHeader;
  else if (call.username !== undefined && call.password !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${call.username}:${call.password}`).toString('base64')}`;
  }
  const target = `${call.protocol.toLowerCase()}://${call.hostname}:${port}${call.path || '/'}`;
  const connectMs = durationMillis(call.connectionTimeout);
  const totalMs = connectMs + durationMillis(call.operationTimeout);
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request({
      host: call.hostname, port, path: call.path || '/', method: call.verb, headers,
      rejectUnauthorized: !call.insecure, signal,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        if (call.successCodes.includes(status)) resolve(Buffer.concat(chunks));
        else reject(new Error(`${call.verb} ${target} answered ${status}, expected one of [${call.successCodes.join(', ')}]`));
      });
      response.on('error', (error) => reject(new Error(`${call.verb} ${target} failed: ${error.message}`)));
    });
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${totalMs} ms`)), totalMs);
    request.on('socket', (socket) => {
      socket.setTimeout(connectMs, () => request.destroy(new Error(`no connection within ${connectMs} ms`)));
      socket.once('connect', () => socket.setTimeout(0));
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${call.verb} ${target} failed: ${error.message}`));
    });
    if (call.payload !== undefined && call.verb !== 'GET') request.write(call.payload);
    request.end();
  });
}

/** Returns the configs with every CONTROLLER_HTTP_FETCH replaced by INLINE content. */
export async function resolveControllerConfigs(configs: readonly ConfigSpec[], signal?: AbortSignal): Promise<ConfigSpec[]> {
  return Promise.all(configs.map(async (config): Promise<ConfigSpec> => {
    if (config.type !== 'CONTROLLER_HTTP_FETCH') return config;
    try {
      const body = await fetchHttpCall(config.http, signal);
      return { type: 'INLINE', localFilename: config.localFilename, data: body.toString('base64') };
    } catch (error) {
      throw new Error(`Could not fetch config ${config.localFilename}: ${(error as Error).message}`, { cause: error });
    }
  }));
}
