/**
 * Sends syslog messages to one server over UDP or TCP without ever blocking or failing the
 * caller: `send` queues and returns; the network side runs on its own.
 *
 *   TCP:  idle ─send─▶ connecting ─▶ connected ─(error/close)─▶ backoff ─(timer)─▶ connecting …
 *         frames are octet-counted (RFC 6587); while not connected they wait in a bounded queue
 *         and the overflow is dropped; backoff doubles from 0.5 s up to 30 s.
 *   UDP:  the host is resolved once (again after a minute, or after a failure, with backoff);
 *         one datagram per message; nothing can tell a UDP sender that nobody listens, so only
 *         resolution and local send errors are noticed.
 *
 * A failure is logged once per outage (warn) and the recovery once (info) with how many
 * messages were dropped meanwhile, so a dead server cannot flood the executor's own log.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { logRejection, type Logger } from '../../common/logger.ts';
import type { SyslogAddress } from './syslog-format.ts';
import { octetFrame } from './syslog-format.ts';
import { errorMessage } from '../../common/error-message.ts';

export interface SyslogSenderOptions {
  logger: Logger;
  /** Messages kept while the server cannot take them (TCP connecting/down, UDP resolving). Default 10 000. */
  maxQueued?: number;
  /** Reconnect/resolve backoff. Default 500 ms doubling to 30 s. */
  backoffMs?: { initial: number; max: number };
  /** How long a resolved UDP address is used before it is looked up again. Default 60 s. */
  resolveTtlMs?: number;
}

export interface SyslogSender {
  readonly address: SyslogAddress;
  /** Queues one formatted message; never throws. */
  send(message: string): void;
  /** Sends what is queued for at most `flushMs` (only if the server is up), then closes. */
  close(flushMs?: number): Promise<void>;
  /** Counters since creation, for tests and logs. */
  readonly stats: { sent: number; dropped: number };
}

export function createSyslogSender(address: SyslogAddress, options: SyslogSenderOptions): SyslogSender {
  return address.transport === 'tcp' ? new TcpSyslogSender(address, options) : new UdpSyslogSender(address, options);
}


/** Outage bookkeeping shared by both transports: warn once, count drops, tell the recovery. */
abstract class SenderBase {
  readonly address: SyslogAddress;
  readonly stats = { sent: 0, dropped: 0 };
  protected readonly logger: Logger;
  protected readonly maxQueued: number;
  protected closed = false;
  private readonly backoff: { initial: number; max: number };
  private nextDelay: number;
  private down = false;
  private droppedAtOutage = 0;

  constructor(address: SyslogAddress, options: SyslogSenderOptions) {
    this.address = address;
    this.logger = options.logger;
    this.maxQueued = options.maxQueued ?? 10_000;
    this.backoff = options.backoffMs ?? { initial: 500, max: 30_000 };
    this.nextDelay = this.backoff.initial;
  }

  protected failed(error: unknown): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.droppedAtOutage = this.stats.dropped;
    this.logger.warn(
      { server: this.address.key, err: errorMessage(error) },
      'syslog server unreachable: workload output is not shipped (lines are dropped) until it answers again',
    );
  }

  protected recovered(): void {
    this.nextDelay = this.backoff.initial;
    if (!this.down) return;
    this.down = false;
    this.logger.info({ server: this.address.key, dropped: this.stats.dropped - this.droppedAtOutage }, 'syslog server reachable again');
  }

  /** The next backoff delay (doubling up to the maximum). */
  protected delay(): number {
    const delay = this.nextDelay;
    this.nextDelay = Math.min(this.backoff.max, this.nextDelay * 2);
    return delay;
  }
}

class TcpSyslogSender extends SenderBase implements SyslogSender {
  private readonly queue: Buffer[] = [];
  private socket: net.Socket | undefined;
  private connected = false;
  private timer: NodeJS.Timeout | undefined;
  private writing = false;
  private endWhenDrained = false;

  send(message: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.stats.dropped++;
      return;
    }
    this.queue.push(octetFrame(message));
    if (this.connected) this.pump();
    else if (!this.socket && !this.timer) this.connect();
  }

  async close(flushMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (!socket) return void (this.stats.dropped += this.queue.splice(0).length);
    if (this.connected) {
      // 'finish': every byte is with the kernel, which still sends it after the socket is closed.
      const flushed = new Promise<void>((resolve) => {
        socket.once('finish', () => resolve());
        socket.once('close', () => resolve());
      });
      // pump() ends the connection once the queue is written (now, or after the next 'drain').
      this.endWhenDrained = true;
      this.pump();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, flushMs).unref());
      await Promise.race([flushed, timeout]);
    }
    this.stats.dropped += this.queue.splice(0).length;
    socket.destroy();
  }

  private connect(): void {
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.once('connect', () => {
      this.connected = true;
      this.recovered();
      this.pump();
    });
    socket.on('error', (error) => this.failed(error));
    socket.once('close', () => {
      this.socket = undefined;
      this.connected = false;
      this.writing = false;
      if (this.closed) return;
      this.failed(new Error('connection closed'));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.connect();
      }, this.delay());
      this.timer.unref();
    });
  }

  /** Writes queued frames while the socket takes them; waits for 'drain' when it does not. */
  private pump(): void {
    const socket = this.socket;
    if (!socket || !this.connected || this.writing) return;
    while (this.queue.length > 0) {
      const frame = this.queue.shift()!;
      this.stats.sent++;
      if (!socket.write(frame)) {
        this.writing = true;
        socket.once('drain', () => {
          this.writing = false;
          this.pump();
        });
        return;
      }
    }
    if (this.endWhenDrained) socket.end();
  }
}

class UdpSyslogSender extends SenderBase implements SyslogSender {
  private readonly ttlMs: number;
  private socket: dgram.Socket | undefined;
  private socketFamily: 4 | 6 = 4;
  private target: { ip: string; family: 4 | 6; at: number } | undefined;
  private resolving: Promise<void> | undefined;
  private retryAt = 0;
  private readonly pending: Buffer[] = [];

  constructor(address: SyslogAddress, options: SyslogSenderOptions) {
    super(address, options);
    this.ttlMs = options.resolveTtlMs ?? 60_000;
  }

  send(message: string): void {
    if (this.closed) return;
    const datagram = Buffer.from(message, 'utf8');
    const target = this.target;
    if (target && Date.now() - target.at > this.ttlMs) this.resolveQuietly();
    if (target) return this.transmit(datagram, target);
    if (Date.now() < this.retryAt || this.pending.length >= this.maxQueued) {
      this.stats.dropped++;
      return;
    }
    this.pending.push(datagram);
    this.resolveQuietly();
  }

  async close(flushMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stats.dropped += this.pending.splice(0).length;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    // Datagrams handed to send() are queued in libuv; closing at once could cut the last ones.
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, flushMs).unref();
      socket.close(() => {
        clearTimeout(timeout);
        resolve();
      });
    });
  }

  /** Looks the server up again in the background (a failed lookup is already counted and logged by resolve()). */
  private resolveQuietly(): void {
    this.resolve().catch(logRejection(this.logger, 'syslog: looking up the server failed'));
  }

  private resolve(): Promise<void> {
    this.resolving ??= (async () => {
      try {
        const family = net.isIP(this.address.host);
        const found = family ? { address: this.address.host, family } : await lookup(this.address.host);
        this.target = { ip: found.address, family: found.family === 6 ? 6 : 4, at: Date.now() };
        this.recovered();
        for (const datagram of this.pending.splice(0)) this.transmit(datagram, this.target);
      } catch (error) {
        this.failed(error);
        this.retryAt = Date.now() + this.delay();
        this.stats.dropped += this.pending.splice(0).length;
      } finally {
        this.resolving = undefined;
      }
    })();
    return this.resolving;
  }

  private transmit(datagram: Buffer, target: { ip: string; family: 4 | 6 }): void {
    if (this.closed) return;
    const socket = this.socketFor(target.family);
    socket.send(datagram, this.address.port, target.ip, (error) => {
      if (!error) {
        this.stats.sent++;
        return this.recovered();
      }
      this.stats.dropped++;
      this.failed(error);
    });
  }

  private socketFor(family: 4 | 6): dgram.Socket {
    if (this.socket && this.socketFamily === family) return this.socket;
    this.socket?.close();
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    socket.on('error', (error) => this.failed(error));
    socket.unref();
    this.socket = socket;
    this.socketFamily = family;
    return socket;
  }
}
