/**
 * RSYSLOG logging (docs/api.md §6.11): ships every line a workload writes to its `output.log` to the
 * spec's syslog server, in addition to the local file (which keeps its default rotation and
 * serves the §5 log APIs as before). One per executor, owned by the agent like the rotator.
 *
 *   follow(workload) ─▶ a LogFollower on output.log ─▶ RFC 5424 message per line ─▶ SyslogSender
 *   finish(id)       ─▶ last read (the workload exited), sender released (flushes in background)
 *   close()          ─▶ executor shutdown: followers stop and keep their cursors, senders close
 *
 * Senders are shared by every workload shipping to the same `transport://host:port`, so a
 * thousand instances logging to one server hold one TCP connection (or UDP socket), not a
 * thousand. Following the file rather than the driver's streams gives both drivers the same
 * behaviour: the process driver's workloads write the file themselves, the docker driver copies
 * the container's log into it. The price: stdout and stderr are interleaved in one file, so
 * every line goes out with severity `info`.
 */
import path from 'node:path';
import type { LoggingSpec } from '../../api/spec-types.ts';
import type { Clock } from '../../common/clock.ts';
import { systemClock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import { LogFollower } from './log-follower.ts';
import type { LogRotator } from './log-rotator.ts';
import { formatSyslogMessage, headerTail, parseSyslogAddress, SEVERITY, syslogTag } from './syslog-format.ts';
import type { SyslogSender, SyslogSenderOptions } from './syslog-sender.ts';
import { createSyslogSender } from './syslog-sender.ts';

/** The cursor beside a followed file, e.g. `.output.log.syslog-cursor`: hidden from the log APIs, which list `output.*` only. */
export function syslogCursorOf(logFile: string): string {
  return path.join(path.dirname(logFile), `.${path.basename(logFile)}.syslog-cursor`);
}

export interface LogShipperOptions {
  logger: Logger;
  clock?: Clock;
  /** Truncations of followed files are coordinated with it (no line doubled or skipped). */
  rotator?: LogRotator;
  /** How often a followed file is checked for new lines. Default 250 ms. */
  pollMs?: number;
  /** How long a released sender may take to send what it still holds. Default 2 s. */
  flushMs?: number;
  sender?: Omit<SyslogSenderOptions, 'logger'>;
}

export interface ShipRequest {
  instanceId: string;
  logging: Extract<LoggingSpec, { type: 'RSYSLOG' }>;
  /** The workload's output.log. */
  logFile: string;
  /** The executor's hostname (syslog HOSTNAME). */
  hostname: string;
  /** Started before this executor did (see LogFollower). */
  resumed: boolean;
}

interface Shipment {
  follower: LogFollower;
  senderKey: string;
  unguard: () => void;
}

interface SharedSender {
  sender: SyslogSender;
  users: number;
}

export class LogShipper {
  private readonly options: LogShipperOptions;
  private readonly clock: Clock;
  private readonly shipments = new Map<string, Promise<Shipment | undefined>>();
  private readonly senders = new Map<string, SharedSender>();
  private readonly closing = new Set<Promise<void>>();

  constructor(options: LogShipperOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  /** Starts shipping a workload's output (idempotent). Answers an error message when `server` is unusable. */
  async follow(request: ShipRequest): Promise<{ error: string } | undefined> {
    const address = parseSyslogAddress(request.logging.server);
    if ('error' in address) return address;
    if (!this.shipments.has(request.instanceId)) {
      this.shipments.set(request.instanceId, this.startShipment(request, address.key).catch((error: unknown) => {
        this.options.logger.warn({ instanceId: request.instanceId, err: (error as Error).message }, 'log shipping could not start');
        return undefined;
      }));
    }
    await this.shipments.get(request.instanceId);
    return undefined;
  }

  /** The workload exited: ships what is left in its log, then lets go of it (idempotent). */
  async finish(instanceId: string): Promise<void> {
    const pending = this.shipments.get(instanceId);
    if (!pending) return;
    this.shipments.delete(instanceId);
    const shipment = await pending;
    if (!shipment) return;
    shipment.unguard();
    await shipment.follower.finish();
    this.release(shipment.senderKey, this.options.flushMs ?? 2_000);
  }

  /** Executor shutdown: followers stop (cursors kept for the next executor), senders close. */
  async close(): Promise<void> {
    const shipments = [...this.shipments.values()];
    this.shipments.clear();
    await Promise.all(shipments.map(async (pending) => {
      const shipment = await pending;
      if (!shipment) return;
      shipment.unguard();
      await shipment.follower.close();
      this.release(shipment.senderKey, 500);
    }));
    await Promise.all(this.closing);
  }

  /** How many workloads are being shipped (tests). */
  get size(): number {
    return this.shipments.size;
  }

  private async startShipment(request: ShipRequest, senderKey: string): Promise<Shipment> {
    const { logging } = request;
    const tail = headerTail({ hostname: request.hostname, appName: syslogTag(request.instanceId, logging.tagPrefix, logging.tagSuffix) });
    const sender = this.acquire(logging.server, senderKey);
    const follower = await LogFollower.start({
      file: request.logFile,
      cursorFile: syslogCursorOf(request.logFile),
      resumed: request.resumed,
      pollMs: this.options.pollMs ?? 250,
      logger: this.options.logger,
      onLine: (line) => sender.send(formatSyslogMessage(tail, SEVERITY.info, this.clock.now(), line)),
    }).catch((error: unknown) => {
      this.release(senderKey, 0);
      throw error;
    });
    const unguard = this.options.rotator?.guardTruncation(request.logFile, (truncate) => follower.aroundTruncate(truncate)) ?? (() => {});
    return { follower, senderKey, unguard };
  }

  private acquire(server: string, key: string): SyslogSender {
    let shared = this.senders.get(key);
    if (!shared) {
      const address = parseSyslogAddress(server);
      if ('error' in address) throw new Error(address.error);
      shared = { sender: createSyslogSender(address, { logger: this.options.logger, ...this.options.sender }), users: 0 };
      this.senders.set(key, shared);
    }
    shared.users++;
    return shared.sender;
  }

  /** The last user gone, the sender flushes for at most `flushMs` and closes, in the background. */
  private release(key: string, flushMs: number): void {
    const shared = this.senders.get(key);
    if (!shared || --shared.users > 0) return;
    this.senders.delete(key);
    const closing = shared.sender.close(flushMs).finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }
}
