/**
 * The controller end of the executor control channel (docs/api.md §4.11, src/api/channel-protocol.ts):
 * a WebSocket at CHANNEL_PATH authenticated by `Cluster-Authorization`.
 *
 *   upgrade request ──wrong/missing secret──▶ HTTP 401 (never upgraded)
 *     │            ──too many sockets waiting for hello──▶ HTTP 503
 *     ▼ upgraded: frames up to CHANNEL_HELLO_MAX_BYTES (larger: closed 1009)
 *   first frame must be a valid `hello` (else closed 4003; also when the id is another
 *     │                                   executor's, see executor-identity.ts)
 *     ▼ frames up to CHANNEL_MAX_BYTES
 *   welcomed ──frames──▶ registry (malformed frames are logged and ignored)
 *
 * Why before the upgrade: an upgraded socket may send frames, and ws buffers a whole frame up to
 * the socket's limit before anyone can look at it; refused at the HTTP stage, a stranger costs
 * one request, and a secret holder that never says hello costs at most a small frame.
 *
 * Frames of one connection are handled strictly in order; until the controller has started
 * its modules they wait, so no report reaches a module that is not listening yet.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { failure } from '../../common/envelope.ts';
import { turnCork, type Corkable } from '../../common/turn-cork.ts';
import type { WebSocket, RawData } from 'ws';
import {
  CHANNEL_HELLO_MAX_BYTES, CHANNEL_MAX_BYTES, CHANNEL_PATH, CLOSE_REFUSED, CLOSE_TRY_AGAIN, CLUSTER_AUTH_HEADER,
} from '../../api/channel-protocol.ts';
import { NotLeaderError, UnauthorizedError } from '../../common/errors.ts';
import type { Logger } from '../../common/logger.ts';
import { parseExecutorFrame } from './channel-messages.ts';
import { ExecutorIdentityConflictError } from './executor-identity.ts';
import type { ChannelConnection } from './channel-connection.ts';
import type { LiveExecutorRegistry } from './executor-registry.ts';

export interface ExecutorChannelOptions {
  registry: LiveExecutorRegistry;
  clusterSecret: string;
  logger: Logger;
  /** Resolves once the controller's modules have started. */
  ready: Promise<void>;
  /**
   * False on a follower: the upgrade is refused with 400 `This node is not the leader
   * controller` and `X-Corral-Leader`, so the executor moves on to the leader (docs/ha.md).
   */
  isLeader?: () => boolean;
  /** How long a new connection may take to say hello (default 10 s). */
  helloTimeoutMs?: number;
  /** Upgraded sockets that have not said hello yet, at most (default 16); more are answered 503. */
  maxPendingSockets?: number;
  /** Told each ping → pong round trip of a registered executor's socket (metrics). */
  onRoundTrip?: (seconds: number) => void;
}

/**
 * Sets the largest frame `socket` accepts from now on. ws fixes the limit per server; the channel
 * needs a small one until hello and a large one after, so the receiver's limit is changed in
 * place (ws 8 checks `_maxPayload` for every frame it reads).
 */
function setFrameLimit(socket: WebSocket, bytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') throw new Error('ws no longer exposes its frame limit: the executor channel cannot raise it after hello');
  receiver._maxPayload = bytes;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function adapt(socket: WebSocket, remoteAddress: string, pinged: (at: number) => void): ChannelConnection {
  // The frames of one turn to this executor leave in one writev (common/turn-cork.ts). ws keeps
  // its TCP socket as `_socket`; without it, frames are sent as they come.
  const tcp = (socket as unknown as { _socket?: Corkable })._socket;
  const cork = tcp && typeof tcp.cork === 'function' ? turnCork(tcp) : () => undefined;
  return {
    remoteAddress,
    send(text) {
      if (socket.readyState !== socket.OPEN) return false;
      cork();
      socket.send(text);
      return true;
    },
    close(code, reason) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
    },
    terminate: () => socket.terminate(),
    ping() {
      if (socket.readyState !== socket.OPEN) return;
      pinged(performance.now());
      socket.ping();
    },
  };
}

/** Registers the channel route on `app`. */
export function registerExecutorChannel(app: FastifyInstance, options: ExecutorChannelOptions): void {
  const { registry, ready } = options;
  const log = options.logger.child({ component: 'executor-channel' });
  const secret = digest(options.clusterSecret);
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000;
  const maxPending = options.maxPendingSockets ?? 16;
  let pending = 0;

  app.route({
    method: 'GET',
    url: CHANNEL_PATH,
    config: { public: true },
    // Runs before the upgrade (@fastify/websocket routes upgrade requests through the hooks).
    preValidation: async (request, reply) => {
      if (!request.ws) return; // a plain GET is answered 426 below, whoever asks
      const offered = request.headers[CLUSTER_AUTH_HEADER];
      if (typeof offered !== 'string' || !timingSafeEqual(digest(offered), secret)) {
        log.warn({ remoteAddress: `${request.ip}:${request.socket.remotePort ?? '?'}` }, 'executor channel refused: wrong or missing cluster secret');
        throw new UnauthorizedError('Wrong or missing cluster secret (Cluster-Authorization)');
      }
      if (options.isLeader && !options.isLeader()) throw new NotLeaderError();
      if (pending >= maxPending) {
        log.warn({ remoteAddress: request.ip, pending }, 'executor channel refused: too many connections waiting for hello');
        return reply.code(503).send(failure(`Too many executor connections are waiting to register (${pending}); try again shortly`));
      }
    },
    handler: async (_request, reply) => reply.code(426).header('Upgrade', 'websocket')
      .send(failure('This is the executor control channel: connect with a WebSocket upgrade')),
    wsHandler: (socket, request) => channel(socket, request),
  });

  function channel(socket: WebSocket, request: FastifyRequest): void {
    const remoteAddress = `${request.ip}:${request.socket.remotePort ?? '?'}`;
    setFrameLimit(socket, CHANNEL_HELLO_MAX_BYTES);
    pending++;
    let counted = true;
    const registered = () => {
      if (counted) pending--;
      counted = false;
    };
    // One ping in flight at a time (the registry's period is far longer than a round trip).
    let pingedAt: number | undefined;
    const conn = adapt(socket, remoteAddress, (at) => {
      pingedAt = at;
    });
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
        try {
          await registry.hello(conn, message.executor, message.features, message.identityKey);
        } catch (error) {
          if (error instanceof ExecutorIdentityConflictError) {
            refuse(error.message);
            return;
          }
          throw error;
        }
        executorId = message.executor.executorId;
        clearTimeout(helloTimer);
        registered();
        setFrameLimit(socket, CHANNEL_MAX_BYTES);
        return;
      }
      registry.frame(executorId, conn, message);
    }

    socket.on('message', (data, isBinary) => {
      if (executorId !== undefined) registry.touch(executorId, conn);
      queue = queue.then(() => handle(data, isBinary)).catch((error: unknown) => {
        log.error({ err: error, remoteAddress, executorId }, 'executor frame could not be handled');
        // Our fault (the store failing mid-hello), not the executor's: it may come straight back.
        if (executorId === undefined && !refused) {
          refused = true;
          conn.close(CLOSE_TRY_AGAIN, 'the controller could not register this executor just now; try again');
        }
      });
    });
    // An executor's own ping is a sign of life as good as a frame.
    socket.on('ping', () => {
      if (executorId !== undefined) registry.touch(executorId, conn);
    });
    socket.on('pong', () => {
      if (executorId !== undefined) registry.touch(executorId, conn);
      if (pingedAt !== undefined) options.onRoundTrip?.((performance.now() - pingedAt) / 1000);
      pingedAt = undefined;
    });
    socket.on('error', (error) => log.warn({ err: error, remoteAddress, executorId }, 'executor channel error'));
    socket.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      registered();
      queue = queue.then(() => {
        if (executorId !== undefined) registry.closed(executorId, conn, code, reason.toString());
      }).catch((error: unknown) => log.error({ err: error, executorId }, 'executor disconnect could not be handled'));
    });
  }
}
