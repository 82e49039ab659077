/**
 * The executor's end of the control channel (src/api/channel-protocol.ts). It dials out:
 *
 *   connecting ──open──▶ hello sent ──welcome──▶ welcomed ──close/error/missed pong──▶ backoff
 *       ▲                     │ no welcome in time                                       │
 *       └─────────────────────┴──────────── next controller URL, after the delay ◀───────┘
 *
 * Delays grow exponentially with jitter up to ~5 s while rotating through every controller
 * URL (the first pass over the list is quick, so a follower or a dead controller only costs one
 * short step). A refused secret (close 4001, or HTTP 401/403 on the upgrade) is logged plainly
 * and retried slowly; so is a refusal (4003) from the only controller there is. WebSocket pings detect a dead peer within two ping periods.
 */
import WebSocket from 'ws';
import type { ControllerMessage, ExecutorMessage, HelloMessage, WelcomeMessage } from '../../api/channel-protocol.ts';
import { CLOSE_REFUSED, CLOSE_REPLACED, CLOSE_WRONG_SECRET } from '../../api/channel-protocol.ts';
import type { Logger } from '../../common/logger.ts';

export interface ChannelHandlers {
  hello(): HelloMessage;
  onWelcome(message: WelcomeMessage): void;
  onMessage(message: ControllerMessage): void;
  onDisconnect(): void;
}

export interface ChannelOptions {
  urls: string[];
  secret: string;
  logger: Logger;
  initialDelayMs: number;
  maxDelayMs: number;
  refusedDelayMs: number;
  welcomeTimeoutMs: number;
  pingIntervalMs: number;
}

/** Delay before reconnect attempt `attempt` (0-based) with `urlCount` URLs to rotate through. */
export function reconnectDelay(attempt: number, urlCount: number, initialMs: number, maxMs: number, random = Math.random): number {
  const round = Math.floor(attempt / Math.max(1, urlCount));
  const base = Math.min(maxMs, initialMs * 2 ** round);
  // "Equal jitter": half fixed, half random, so executors do not reconnect in lockstep.
  return Math.round(base / 2 + random() * (base / 2));
}

export class ControllerChannel {
  private readonly options: ChannelOptions;
  private readonly handlers: ChannelHandlers;
  private socket: WebSocket | undefined;
  private welcomed = false;
  private closed = false;
  private urlIndex = 0;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private welcomeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  private nextDelayOverride: number | undefined;

  constructor(options: ChannelOptions, handlers: ChannelHandlers) {
    this.options = options;
    this.handlers = handlers;
  }

  /** True once `welcome` arrived on the current connection. */
  get connected(): boolean {
    return this.welcomed && this.socket?.readyState === WebSocket.OPEN;
  }

  get currentUrl(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length];
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  /** Sends when welcomed; false otherwise (the next snapshot carries the news). */
  send(message: ExecutorMessage): boolean {
    if (!this.connected) return false;
    this.socket!.send(JSON.stringify(message));
    return true;
  }

  /** Closes for good (no reconnect); resolves when the socket is closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2_000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'executor shutting down');
    });
  }

  private connect(): void {
    if (this.closed) return;
    const url = this.currentUrl;
    const { logger } = this.options;
    this.welcomed = false;
    const socket = new WebSocket(url, {
      headers: { 'Cluster-Authorization': this.options.secret },
      handshakeTimeout: Math.min(this.options.welcomeTimeoutMs, 10_000),
      perMessageDeflate: false,
    });
    this.socket = socket;
    socket.on('open', () => {
      socket.send(JSON.stringify(this.handlers.hello()));
      this.welcomeTimer = setTimeout(() => {
        logger.warn({ url }, `no welcome from the controller within ${this.options.welcomeTimeoutMs} ms; reconnecting`);
        socket.terminate();
      }, this.options.welcomeTimeoutMs);
    });
    socket.on('message', (data) => this.onFrame(socket, data.toString()));
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      if (status === 401 || status === 403) {
        logger.error({ url, status }, 'the controller refused the cluster secret (HTTP %d); check --secret. Retrying slowly', status);
        this.nextDelayOverride = this.options.refusedDelayMs;
      } else logger.warn({ url, status }, 'controller answered the channel upgrade with HTTP %d', status);
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => logger.debug({ url, err: error.message }, 'channel error'));
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onFrame(socket: WebSocket, text: string): void {
    let message: ControllerMessage;
    try {
      message = JSON.parse(text) as ControllerMessage;
    } catch {
      this.options.logger.warn({ frame: text.slice(0, 200) }, 'ignoring a channel frame that is not JSON');
      return;
    }
    if (!this.welcomed) {
      if (message.type !== 'welcome') {
        this.options.logger.warn({ type: message.type }, 'ignoring a frame received before welcome');
        return;
      }
      clearTimeout(this.welcomeTimer);
      this.welcomed = true;
      this.attempt = 0;
      this.options.logger.info({ url: this.currentUrl }, 'connected to the controller');
      this.startPings(socket);
      this.handlers.onWelcome(message);
      return;
    }
    try {
      this.handlers.onMessage(message);
    } catch (error) {
      this.options.logger.error({ type: message.type, err: (error as Error).message }, 'failed to handle a controller message');
    }
  }

  private startPings(socket: WebSocket): void {
    this.awaitingPong = false;
    this.pingTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.options.logger.warn({ url: this.currentUrl }, 'controller missed a ping; dropping the connection');
        socket.terminate();
        return;
      }
      this.awaitingPong = true;
      socket.ping();
    }, this.options.pingIntervalMs);
    this.pingTimer.unref();
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    clearTimeout(this.welcomeTimer);
    clearInterval(this.pingTimer);
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    if (wasWelcomed) this.handlers.onDisconnect();
    if (this.closed) return;
    const { logger } = this.options;
    let delay: number;
    if (code === CLOSE_WRONG_SECRET) {
      logger.error({ url: this.currentUrl, reason }, 'the controller rejected the cluster secret (close 4001); check --secret. Retrying slowly');
      delay = this.options.refusedDelayMs;
    } else if (code === CLOSE_REFUSED && this.options.urls.length === 1) {
      logger.error({ url: this.currentUrl, reason }, `the controller refused this executor (close 4003): ${reason}. Retrying slowly`);
      delay = this.options.refusedDelayMs;
    } else {
      // With several controllers a refusal (e.g. from a follower) just moves on to the next URL.
      if (code === CLOSE_REFUSED) logger.info({ url: this.currentUrl, reason }, 'controller refused the connection; trying the next one');
      if (code === CLOSE_REPLACED) logger.warn({ reason }, 'another connection with this executor id replaced this one');
      else if (wasWelcomed) logger.warn({ url: this.currentUrl, code, reason }, 'lost the connection to the controller; reconnecting');
      delay = this.nextDelayOverride ?? reconnectDelay(this.attempt, this.options.urls.length, this.options.initialDelayMs, this.options.maxDelayMs);
    }
    this.nextDelayOverride = undefined;
    this.attempt++;
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    // Not unref'd: a waiting reconnect is what keeps a lone executor process alive.
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
