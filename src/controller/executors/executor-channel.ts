/**
 * The controller end of the executor control channel (API.md §4.11, src/api/channel-protocol.ts):
 * a WebSocket at CHANNEL_PATH authenticated by `Cluster-Authorization`.
 *
 *   open ──wrong secret──▶ closed 4001
 *     │
 *     ▼ first frame must be a valid `hello` (else closed 4003)
 *   welcomed ──frames──▶ registry (malformed frames are logged and ignored)
 *
 * Frames of one connection are handled strictly in order; until the controller has started
 * its modules they wait, so no report reaches a module that is not listening yet.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failure } from '../../common/envelope.ts';
import type { WebSocket, RawData } from 'ws';
import { CHANNEL_PATH, CLOSE_REFUSED, CLOSE_WRONG_SECRET, CLUSTER_AUTH_HEADER } from '../../api/channel-protocol.ts';
import type { Logger } from '../../common/logger.ts';
import { parseExecutorFrame } from './channel-messages.ts';
import type { ChannelConnection, LiveExecutorRegistry } from './executor-registry.ts';

export interface ExecutorChannelOptions {
  registry: LiveExecutorRegistry;
  clusterSecret: string;
  logger: Logger;
  /** Resolves once the controller's modules have started. */
  ready: Promise<void>;
  /** How long a new connection may take to say hello (default 10 s). */
  helloTimeoutMs?: number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function adapt(socket: WebSocket, remoteAddress: string): ChannelConnection {
  return {
    remoteAddress,
    send(text) {
      if (socket.readyState !== socket.OPEN) return false;
      socket.send(text);
      return true;
    },
    close(code, reason) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    },
    terminate: () => socket.terminate(),
    ping() {
      if (socket.readyState === socket.OPEN) socket.ping();
    },
  };
}

/** Registers the channel route on `app`. */
export function registerExecutorChannel(app: FastifyInstance, options: ExecutorChannelOptions): void {
  const { registry, ready } = options;
  const log = options.logger.child({ component: 'executor-channel' });
  const secret = digest(options.clusterSecret);
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;

  app.route({
    method: 'GET',
    url: CHANNEL_PATH,
    config: { public: true },
    handler: async (_request, reply) => reply.code(426).header('Upgrade', 'websocket')
      .send(failure('This is the executor control channel: connect with a WebSocket upgrade')),
    wsHandler: (socket, request) => channel(socket, request),
  });

  function channel(socket: WebSocket, request: FastifyRequest): void {
    const remoteAddress = `${request.ip}:${request.socket.remotePort ?? '?'}`;
    const offered = request.headers[CLUSTER_AUTH_HEADER];
    if (typeof offered !== 'string' || !timingSafeEqual(digest(offered), secret)) {
      log.warn({ remoteAddress }, 'executor channel refused: wrong or missing cluster secret');
      socket.close(CLOSE_WRONG_SECRET, 'wrong cluster secret');
      return;
    }
    const conn = adapt(socket, remoteAddress);
    let executorId: string | undefined;
    let refused = false;
    let queue: Promise<void> = ready;
    const helloTimer = setTimeout(() => {
      if (executorId === undefined && !refused) refuse('no hello within the time limit');
    }, helloTimeoutMs);
    helloTimer.unref();

    function refuse(reason: string): void {
      refused = true;
      log.warn({ remoteAddress, reason }, 'executor channel refused');
      conn.close(CLOSE_REFUSED, reason.slice(0, 120));
    }

    async function handle(data: RawData, isBinary: boolean): Promise<void> {
      if (refused) return;
      if (isBinary) {
        log.warn({ remoteAddress, executorId }, 'binary frame ignored (the channel speaks JSON text)');
        return;
      }
      const parsed = parseExecutorFrame(data.toString());
      if ('error' in parsed) {
        if (executorId === undefined) refuse(`invalid hello: ${parsed.error}`);
        else log.warn({ remoteAddress, executorId, problem: parsed.error }, 'malformed executor frame ignored');
        return;
      }
      const { message } = parsed;
      if (executorId === undefined) {
        if (message.type !== 'hello') {
          refuse(`the first frame must be hello, got ${message.type}`);
          return;
        }
        await registry.hello(conn, message.executor, message.features);
        executorId = message.executor.executorId;
        clearTimeout(helloTimer);
        return;
      }
      registry.frame(executorId, conn, message);
    }

    socket.on('message', (data, isBinary) => {
      if (executorId !== undefined) registry.touch(executorId, conn);
      queue = queue.then(() => handle(data, isBinary)).catch((error: unknown) => {
        log.error({ err: error, remoteAddress, executorId }, 'executor frame could not be handled');
        if (executorId === undefined) refuse('the controller could not register this executor');
      });
    });
    socket.on('pong', () => {
      if (executorId !== undefined) registry.touch(executorId, conn);
    });
    socket.on('error', (error) => log.warn({ err: error, remoteAddress, executorId }, 'executor channel error'));
    socket.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      queue = queue.then(() => {
        if (executorId !== undefined) registry.closed(executorId, conn, code, reason.toString());
      }).catch((error: unknown) => log.error({ err: error, executorId }, 'executor disconnect could not be handled'));
    });
  }
}
