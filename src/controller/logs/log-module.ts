/**
 * Log-file routes (docs/api.md §5) for tasks, application and local-service instances: list, read (tail protocol)
 * and download, proxied to the executor that runs (or ran) the workload over the control
 * channel. No envelope: lookup failures (unknown workload, executor not connected, or an executor
 * that no longer has the workload) are 204 with no body; a request the executor refuses (a file
 * name that is not one of the workload's log files, traversal, NUL bytes) is answered with the
 * executor's own 4xx and `{"error": "<its reason>"}` — what Drove's executor answers, where Drove's
 * controller turned it into a 500 [corral]: a bad file name is the client's error, not the server's.
 * Other executor-side failures stay 500 `{"error": "Executor call returned: <code> body: <body>"}`.
 * Downloads stream in chunks, a few at a time per executor (log-download.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { LogTarget, RequestAction } from '../../api/channel-protocol.ts';
import type { ControllerContext } from '../context.ts';
import { queryBoolean, queryInteger } from '../http/query-params.ts';
import { chunkedDownload, DOWNLOAD_CHUNK_BYTES, DownloadSlots, type LogChunk } from './log-download.ts';
import { contentTypeFor, downloadName, lastPathComponent } from './log-files.ts';

/** Where a workload's logs live: its executor and the channel target. */
interface LogLocation {
  executorId: string;
  target: LogTarget;
  /** `{sourceAppName}_{taskId}` or `{appId}_{instanceId}`: the prefix of renamed downloads. */
  owner: string;
}

type Locate = (params: Record<string, string>) => Promise<LogLocation | undefined>;

/** Bytes a read may ask for at most (docs/api.md §5 allows a cap). */
export const MAX_READ_LENGTH = 1024 * 1024;
const DEFAULT_READ_LENGTH = 32_768;
const REQUEST_TIMEOUT_MS = 15_000;

/** The log-file routes, part of every controller (they serve tasks and app instances alike). */
export interface LogModule {
  registerRoutes(app: FastifyInstance): void;
}

/** Builds the log-file module. */
export function createLogModule(ctx: ControllerContext): LogModule {
  const downloads = new DownloadSlots(ctx.config.maxLogDownloadsPerExecutor);
  const locateTask: Locate = async ({ sourceAppName, taskId }) => {
    const record = await ctx.store.getTask(sourceAppName, taskId);
    if (!record?.executorId) return undefined;
    return { executorId: record.executorId, target: { kind: 'task', instanceId: record.instanceId }, owner: `${sourceAppName}_${taskId}` };
  };
  const locateInstance: Locate = async ({ appId, instanceId }) => {
    const record = await ctx.store.getInstance(appId, instanceId);
    if (!record?.executorId) return undefined;
    return { executorId: record.executorId, target: { kind: 'instance', instanceId }, owner: `${appId}_${instanceId}` };
  };

  /** Runs a channel request; answers 204 / 4xx / 500 itself and returns undefined when it did. */
  async function call<T>(reply: FastifyReply, location: LogLocation | undefined, action: RequestAction, timeoutMs: number): Promise<T | undefined> {
    if (!location || !ctx.executors.get(location.executorId)?.connected) {
      await reply.code(204).send();
      return undefined;
    }
    try {
      return await ctx.executors.request<T>(location.executorId, action, timeoutMs);
    } catch (error) {
      const e = error as Error & { code?: string; status?: number };
      if (e.code === 'EXECUTOR_NOT_CONNECTED') {
        await reply.code(204).send();
        return undefined;
      }
      if (e.status === 404) {
        await reply.code(204).send();
        return undefined;
      }
      if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        await reply.code(e.status).type('application/json').send(JSON.stringify({ error: e.message }));
        return undefined;
      }
      const message = typeof e.status === 'number'
        ? `Executor call returned: ${e.status} body: ${JSON.stringify({ error: e.message })}`
        : `Executor call failed: ${e.message}`;
      ctx.logger.warn({ err: error, executorId: location.executorId, action: action.action }, 'log request to an executor failed');
      await reply.code(500).type('application/json').send(JSON.stringify({ error: message }));
      return undefined;
    }
  }

  function register(app: FastifyInstance, prefix: string, locate: Locate): void {
    const options = { config: { roles: 'LOGS' as const } };
    app.get(`${prefix}/list`, options, async (request, reply) => {
      const location = await locate(request.params as Record<string, string>);
      const data = await call<{ files: string[] } | string[]>(reply, location, { action: 'logs.list', target: location?.target as LogTarget }, REQUEST_TIMEOUT_MS);
      if (data === undefined) return reply;
      const files = Array.isArray(data) ? data : data.files ?? [];
      return reply.type('application/json').send(JSON.stringify({ files }));
    });

    app.get(`${prefix}/read/:fileName`, options, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const offset = queryInteger(query, 'offset', -1, { min: -1 });
      let length = queryInteger(query, 'length', -1, { min: -1, max: 2_147_483_647 });
      // offset -1 means "where is the end now", whatever the length (docs/api.md §10 #10)
      if (offset === -1) length = -1;
      else length = length === -1 ? DEFAULT_READ_LENGTH : Math.min(length, MAX_READ_LENGTH);
      const params = request.params as Record<string, string>;
      const location = await locate(params);
      const fileName = lastPathComponent(params.fileName);
      const data = await call<{ data: string; offset: number }>(reply, location,
        { action: 'logs.read', target: location?.target as LogTarget, fileName, offset, length }, REQUEST_TIMEOUT_MS);
      if (data === undefined) return reply;
      return reply.type('application/json').send(JSON.stringify({ data: data.data ?? '', offset: data.offset }));
    });

    app.get(`${prefix}/download/:fileName`, options, async (request, reply) => {
      const rename = queryBoolean(request.query as Record<string, string | undefined>, 'rename', false);
      const params = request.params as Record<string, string>;
      const location = await locate(params);
      const fileName = lastPathComponent(params.fileName);
      if (!location || !ctx.executors.get(location.executorId)?.connected) return reply.code(204).send();
      const release = downloads.acquire(location.executorId);
      const chunk = (offset: number, length: number): RequestAction => ({ action: 'logs.chunk', target: location.target, fileName, offset, length });
      let first: LogChunk | undefined;
      try {
        first = await call<LogChunk>(reply, location, chunk(0, DOWNLOAD_CHUNK_BYTES), REQUEST_TIMEOUT_MS);
      } finally {
        if (first === undefined) release();
      }
      if (first === undefined) return reply;
      const body = chunkedDownload(first, (offset, length) => ctx.executors.request<LogChunk>(location.executorId, chunk(offset, length), REQUEST_TIMEOUT_MS));
      body.once('close', release);
      body.once('error', (error) => ctx.logger.warn({ err: error.message, executorId: location.executorId, fileName }, 'log download aborted'));
      const name = rename ? downloadName(location.owner, fileName, ctx.clock.now()) : fileName;
      return reply
        .header('content-disposition', `attachment; filename=${name}`)
        .header('content-length', String(first.size))
        .type(contentTypeFor(fileName))
        .send(body);
    });
  }

  const locateServiceInstance: Locate = async ({ serviceId, instanceId }) => {
    const record = await ctx.store.getLocalServiceInstance(serviceId, instanceId);
    if (!record?.executorId) return undefined;
    return { executorId: record.executorId, target: { kind: 'instance', instanceId }, owner: `${serviceId}_${instanceId}` };
  };

  return {
    registerRoutes(app) {
      register(app, '/apis/v1/logfiles/tasks/:sourceAppName/:taskId', locateTask);
      register(app, '/apis/v1/logfiles/applications/:appId/:instanceId', locateInstance);
      register(app, '/apis/v1/logfiles/localservices/:serviceId/:instanceId', locateServiceInstance);
    },
  };
}
