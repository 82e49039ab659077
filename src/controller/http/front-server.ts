/**
 * The controller's listening socket, which outlives its leadership terms (docs/ha.md).
 *
 *   client ──▶ front server (host:port) ──request / upgrade──▶ app of the current term
 *                                                              (leader or follower Fastify)
 *              no term attached yet (starting) ──▶ 503 in the Drove envelope
 *
 * Each term builds a complete Fastify app (createHttpServer with `slot.serverFactory`), whose
 * own server never listens: the front server hands it requests, and WebSocket upgrades by
 * emitting `upgrade` on it (@fastify/websocket routes them from there). A term that ends keeps
 * answering (as a non-leader) until the next one is attached in its place.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyServerFactory } from 'fastify';
import { failure, stringifyWithoutNulls } from '../../common/envelope.ts';
import { answerClientError, HEADERS_TIMEOUT_MS, IDLE_CONNECTION_TIMEOUT_MS } from './http-server.ts';

const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Where one term's Fastify app is attached to the front server. */
export interface ServerSlot {
  serverFactory: FastifyServerFactory;
  /** The term's request handler and (never listening) server, once Fastify has created them. */
  target?: { handler: (req: IncomingMessage, res: ServerResponse) => void; server: http.Server };
}

export class FrontServer {
  readonly server: http.Server;
  private current: ServerSlot | undefined;

  constructor(options: { requestTimeoutMs: number }) {
    this.server = http.createServer({
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, options.requestTimeoutMs),
      connectionsCheckingInterval: 1_000,
    }, (request, response) => this.dispatch(request, response));
    this.server.setTimeout(IDLE_CONNECTION_TIMEOUT_MS);
    // Fastify's default: long enough that clients reusing a connection rarely race its close.
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.on('clientError', answerClientError);
    this.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const target = this.current?.target;
      if (target) target.server.emit('upgrade', request, socket, head);
      else socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /** A new slot for a term's app: pass `slot.serverFactory` to Fastify, then `attach(slot)`. */
  slot(): ServerSlot {
    const slot: ServerSlot = {
      serverFactory: (handler) => {
        const server = http.createServer();
        slot.target = { handler, server };
        return server;
      },
    };
    return slot;
  }

  /** From now on requests go to this slot's app. */
  attach(slot: ServerSlot): void {
    this.current = slot;
  }

  /** Requests stop going to this slot's app, unless another was attached in its place already. */
  detach(slot: ServerSlot): void {
    if (this.current === slot) this.current = undefined;
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  /** Stops listening and closes every connection (keep-alive ones must not hold shutdown hostage). */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private dispatch(request: IncomingMessage, response: ServerResponse): void {
    const target = this.current?.target;
    if (target) {
      target.handler(request, response);
      return;
    }
    const body = stringifyWithoutNulls(failure('This controller is starting; try again in a moment'));
    response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '1' }).end(body);
  }
}
