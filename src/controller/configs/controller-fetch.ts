/**
 * CONTROLLER_HTTP_FETCH configs (docs/api.md §6.6): the controller fetches the content at every
 * start — of a task, an app instance or a local-service instance — and ships it to the executor
 * as INLINE, so a start message never carries a fetch the executor would have to do with the
 * controller's network view.
 *
 * Bounded both ways: a body larger than `maxBytes` fails the start ("…is larger than the limit"),
 * so a start message always fits in one control-channel frame; the timeouts are the spec's own,
 * however long (timed with long timers: a "30 days" timeout waits 30 days).
 */
import http from 'node:http';
import https from 'node:https';
import { durationMillis } from '../../common/durations.ts';
import { errorMessage } from '../../common/error-message.ts';
import { setLongTimeout } from '../../common/long-timer.ts';
import type { ConfigSpec, HttpCallSpec } from '../../api/spec-types.ts';

/** Whether any config needs the controller to fetch it. */
export function needsControllerFetch(configs: readonly ConfigSpec[] | undefined): boolean {
  return (configs ?? []).some((c) => c.type === 'CONTROLLER_HTTP_FETCH');
}

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 1_048_576) * 10) / 10} MB`;
}

/** Fetches one HTTPCallSpec; resolves with the body, rejects with a readable message. */
export function fetchHttpCall(call: HttpCallSpec, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
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
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        request.destroy(new Error(`the response is ${megabytes(declared)}, larger than the limit of ${megabytes(maxBytes)} (controllerFetchMaxBytes)`));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > maxBytes) {
          request.destroy(new Error(`the response is larger than the limit of ${megabytes(maxBytes)} (controllerFetchMaxBytes)`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => {
        timer.cancel();
        const status = response.statusCode ?? 0;
        if (call.successCodes.includes(status)) resolve(Buffer.concat(chunks));
        else reject(new Error(`${call.verb} ${target} answered ${status}, expected one of [${call.successCodes.join(', ')}]`));
      });
      response.on('error', (error) => reject(new Error(`${call.verb} ${target} failed: ${error.message}`)));
    });
    const timer = setLongTimeout(() => request.destroy(new Error(`timed out after ${totalMs} ms`)), totalMs);
    request.on('socket', (socket) => {
      // A socket timeout is a Node timer too: past ~24.8 days it would fire at once, so longer
      // connection timeouts are left to the overall (long) timer.
      if (connectMs < 2 ** 31 - 1) socket.setTimeout(connectMs, () => request.destroy(new Error(`no connection within ${connectMs} ms`)));
      socket.once('connect', () => socket.setTimeout(0));
    });
    request.on('error', (error) => {
      timer.cancel();
      reject(new Error(`${call.verb} ${target} failed: ${error.message}`));
    });
    if (call.payload !== undefined && call.verb !== 'GET') request.write(call.payload);
    request.end();
  });
}

/**
 * Returns the configs with every CONTROLLER_HTTP_FETCH replaced by INLINE content. `maxBytes`
 * bounds the fetched bodies of one start together.
 */
export async function resolveControllerConfigs(configs: readonly ConfigSpec[], maxBytes: number, signal?: AbortSignal): Promise<ConfigSpec[]> {
  let budget = maxBytes;
  const resolved: ConfigSpec[] = [];
  for (const config of configs) {
    if (config.type !== 'CONTROLLER_HTTP_FETCH') {
      resolved.push(config);
      continue;
    }
    let body: Buffer;
    try {
      body = await fetchHttpCall(config.http, budget, signal);
    } catch (error) {
      const why = budget < maxBytes && /larger than the limit/.test(errorMessage(error))
        ? `the fetched configs of this start together are larger than the limit of ${megabytes(maxBytes)} (controllerFetchMaxBytes)`
        : errorMessage(error);
      throw new Error(`Could not fetch config ${config.localFilename}: ${why}`, { cause: error });
    }
    budget -= body.length;
    resolved.push({ type: 'INLINE', localFilename: config.localFilename, data: body.toString('base64') });
  }
  return resolved;
}
