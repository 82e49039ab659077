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
 *
 * Several controllers (docs/ha.md): a follower refuses the upgrade with HTTP 400 and names the
 * leader in `X-Corral-Leader`; when that is one of our URLs it is tried next, at once. A
 * follower's answer also resets the backoff: a controller that answers means the cluster is up
 * and, if the leader it names cannot be reached, an election is under way. The executor then
 * polls every `ELECTION_POLL_MS` (jittered) instead of backing off to seconds, so it follows a
 * new leader within about half a second of its election rather than several seconds later. Every
 * controller frame carries the sender's leadership epoch: the newest one seen is kept, and a
 * frame (or a welcome) with an older one is refused and logged, so a deposed leader that wakes
 * up with frames queued cannot command this executor.
 */
import WebSocket from 'ws';
import { MAX_CHANNEL_FRAME_BYTES, type ControllerFrame, type ControllerMessage, type ExecutorMessage, type HelloMessage, type WelcomeMessage } from '../../api/channel-protocol.ts';
import { CLOSE_REFUSED, CLOSE_REPLACED, CLOSE_TRY_AGAIN, CLOSE_WRONG_SECRET } from '../../api/channel-protocol.ts';
import type { Logger } from '../../common/logger.ts';

/** While followers answer and the leader they name cannot be reached: the longest wait between tries. */
export const ELECTION_POLL_MS = 500;

/** RFC 6455 "going away": what the controller closes the channel with when it shuts down. */
const CLOSE_GOING_AWAY = 1001;

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
  /** Index of the URL to try next instead of the following one (the leader a follower named). */
  private nextUrlIndex: number | undefined;
  /** The URL index whose last try got no answer at all (refused, reset, timed out), if the last try did. */
  private lastUnreachedIndex: number | undefined;
  /** Whether the current try got any HTTP answer (so it reached a controller). */
  private answered = false;
  /** The newest leadership epoch any controller frame carried. */
  private newestEpoch = 0;
  private partitioned = false;

  constructor(options: ChannelOptions, handlers: ChannelHandlers) {
    this.options = options;
    this.handlers = handlers;
  }

  /** True once `welcome` arrived on the current connection. */
  get connected(): boolean {
    return this.welcomed && this.socket?.readyState === WebSocket.OPEN;
  }

  /** The newest leadership epoch seen (frames with an older one are refused). */
  get epoch(): number {
    return this.newestEpoch;
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
    if (!this.connected || this.partitioned) return false;
    this.socket!.send(JSON.stringify(message));
    return true;
  }

  /**
   * Simulation (`corral sim`): a network partition. The connection goes silent both ways — no
   * frame read or sent, pings unanswered, so the controller notices only by the silence, as it
   * would a cut cable — and nothing is dialled until `heal()`.
   */
  partition(): void {
    this.partitioned = true;
    clearTimeout(this.retryTimer);
    this.socket?.pause();
  }

  /** Ends a partition: a connection that survived it carries on (what was held back arrives), else a new one is dialled. */
  heal(): void {
    if (!this.partitioned) return;
    this.partitioned = false;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) socket.resume();
    else if (!this.closed && (!socket || socket.readyState === WebSocket.CLOSED)) this.connect();
  }

  /** Closes for good (no reconnect); resolves when the socket is closed. A partitioned one is dropped without a word. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    if (this.partitioned) {
      socket.terminate();
      return;
    }
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
    if (this.closed || this.partitioned) return;
    const url = this.currentUrl;
    const { logger } = this.options;
    this.welcomed = false;
    this.answered = false;
    const socket = new WebSocket(url, {
      headers: { 'Cluster-Authorization': this.options.secret },
      handshakeTimeout: Math.min(this.options.welcomeTimeoutMs, 10_000),
      perMessageDeflate: false,
      maxPayload: MAX_CHANNEL_FRAME_BYTES,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.answered = true;
      socket.send(JSON.stringify(this.handlers.hello()));
      this.welcomeTimer = setTimeout(() => {
        logger.warn({ url }, `no welcome from the controller within ${this.options.welcomeTimeoutMs} ms; reconnecting`);
        socket.terminate();
      }, this.options.welcomeTimeoutMs);
    });
    socket.on('message', (data) => this.onFrame(socket, data.toString()));
    socket.on('pong', () => (this.awaitingPong = false));
    socket.on('unexpected-response', (_request, response) => {
      this.answered = true;
      const status = response.statusCode ?? 0;
      const leader = response.headers['x-corral-leader'];
      if (status === 401 || status === 403) {
        logger.error({ url, status }, 'the controller refused the cluster secret (HTTP %d); check --secret. Retrying slowly', status);
        this.nextDelayOverride = this.options.refusedDelayMs;
      } else if (status === 400 && typeof leader === 'string' && leader) {
        const index = this.indexOfController(leader);
        logger.info({ url, leader }, 'this controller is a follower; moving to the leader it names');
        this.attempt = 0;
        if (index !== undefined) {
          this.nextUrlIndex = index;
          // Named again right after it could not be reached: poll, do not hammer.
          this.nextDelayOverride = index === this.lastUnreachedIndex
            ? Math.round(ELECTION_POLL_MS / 2 + Math.random() * (ELECTION_POLL_MS / 2))
            : Math.min(this.options.initialDelayMs, 100);
        }
      } else if (status === 400) {
        logger.info({ url }, 'this controller is a follower and knows no leader yet; trying the next one');
        this.attempt = 0;
        this.nextDelayOverride = Math.round(ELECTION_POLL_MS / 2 + Math.random() * (ELECTION_POLL_MS / 2));
      }
      else logger.warn({ url, status }, 'controller answered the channel upgrade with HTTP %d', status);
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => logger.debug({ url, err: error.message }, 'channel error'));
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  /** Which of our URLs points at the controller with base URL `base` (same host and port). */
  private indexOfController(base: string): number | undefined {
    try {
      const wanted = new URL(base).host;
      const index = this.options.urls.findIndex((url) => new URL(url).host === wanted);
      return index >= 0 ? index : undefined;
    } catch {
      return undefined;
    }
  }

  private onFrame(socket: WebSocket, text: string): void {
    let message: ControllerFrame;
    try {
      message = JSON.parse(text) as ControllerFrame;
    } catch {
      this.options.logger.warn({ frame: text.slice(0, 200) }, 'ignoring a channel frame that is not JSON');
      return;
    }
    const epoch = typeof message.epoch === 'number' && Number.isSafeInteger(message.epoch) ? message.epoch : 0;
    if (epoch < this.newestEpoch) {
      // A deposed leader (paused, partitioned) speaking after its successor: never obey it.
      this.options.logger.warn({ url: this.currentUrl, type: message.type, epoch, newestEpoch: this.newestEpoch }, 'refusing a frame from a controller whose leadership epoch is older than the newest seen');
      if (message.type === 'welcome' || this.welcomed) socket.terminate();
      return;
    }
    this.newestEpoch = epoch;
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
      // Cut off (simulation): nothing crosses a cut cable, not a ping, not a reset.
      if (this.partitioned) return;
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
      // The controller's own trouble (its store failing mid-hello): the usual backoff, not the slow retry of a refusal.
      else if (code === CLOSE_TRY_AGAIN) logger.warn({ url: this.currentUrl, reason }, 'the controller could not register this executor just now; retrying');
      if (code === CLOSE_REPLACED) logger.warn({ reason }, 'another connection with this executor id replaced this one');
      // 1001 (going away) is a controller shutting down on purpose (a restart, Ctrl-C on corral dev): no surprise.
      else if (wasWelcomed && code === CLOSE_GOING_AWAY) logger.info({ url: this.currentUrl, reason }, 'the controller is shutting down; reconnecting until one answers');
      else if (wasWelcomed) logger.warn({ url: this.currentUrl, code, reason }, 'lost the connection to the controller; reconnecting');
      delay = this.nextDelayOverride ?? reconnectDelay(this.attempt, this.options.urls.length, this.options.initialDelayMs, this.options.maxDelayMs);
    }
    this.nextDelayOverride = undefined;
    this.lastUnreachedIndex = this.answered ? undefined : this.urlIndex;
    this.attempt++;
    this.urlIndex = this.nextUrlIndex ?? (this.urlIndex + 1) % this.options.urls.length;
    this.nextUrlIndex = undefined;
    // Not unref'd: a waiting reconnect is what keeps a lone executor process alive.
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
