/**
 * The leader's live view of executors: who is connected, what they last reported, and the
 * liveness clock that declares silent executors lost and then removed.
 *
 *   (hello) ──▶ CONNECTED ──socket closes / silent a few s──▶ DISCONNECTED
 *                   ▲                                            │ silent ≥ executorLostAfterMs
 *                   │ hello (same executorId)                     ▼
 *                   ├──────────────────────────────────────── LOST  (EXECUTOR_LOST, `lost`)
 *                   │                                            │ silent ≥ executorRemovedAfterMs
 *                   └──── hello (EXECUTOR_ADDED again) ◀──── REMOVED (EXECUTOR_REMOVED, `removed`;
 *                                                               listed as REMOVED for a while)
 *
 * `executorState` (ACTIVE / UNREADY / BLACKLIST_REQUESTED / BLACKLISTED) is orthogonal: it is
 * persisted, survives reconnects and controller restarts, and is sent to the executor.
 * Every record change is written to the store before the live view changes.
 *
 * Identity: the record keeps the digest of the identity key the executor's hello carried. A
 * hello for the same id with another key (or none) is refused while the executor is connected
 * or merely disconnected; once it is LOST a new key may take the id over (a rebuilt machine).
 */
import { EventEmitter } from 'node:events';
import type { ControllerFrame, ControllerMessage, ExecutorMessage, RequestAction } from '../../api/channel-protocol.ts';
import { CLOSE_REPLACED, FEATURE_INSTANCE_UPDATES, FEATURE_STATS, FEATURE_TASK_UPDATES } from '../../api/channel-protocol.ts';
import type { ExecutorIdentity, ExecutorRecord, ExecutorState } from '../../api/cluster-types.ts';
import type { Logger } from '../../common/logger.ts';
import type { ExecutorRegistry, ExecutorRegistryEvents, LiveExecutor } from './live-executor.ts';
import type { ExecutorUsage } from '../scheduler/resource-ledger.ts';
import type { ChannelConnection } from './channel-connection.ts';
import { ChannelRequests, ExecutorNotConnectedError } from './channel-requests.ts';
import { checkIdentity, identityDigestOf } from './executor-identity.ts';
import { withRegistryDefaults, type ExecutorRegistryOptions } from './executor-registry-options.ts';
import { listKnownInstanceIds } from './known-instances.ts';
import { newEntry, type RegistryEntry } from './registry-entry.ts';

/** An executor that was removed, as last known. */
export interface RemovedExecutor {
  record: ExecutorRecord;
  usage: ExecutorUsage;
}

const BLACKLISTED_STATES: ReadonlySet<ExecutorState> = new Set(['BLACKLIST_REQUESTED', 'BLACKLISTED']);

/** How often an executor that keeps speaking is pinged anyway, for the channel round-trip metric. */
const RTT_SAMPLE_MS = 5_000;

export class LiveExecutorRegistry extends EventEmitter<ExecutorRegistryEvents> implements ExecutorRegistry {
  private readonly entries = new Map<string, RegistryEntry>();
  private readonly removed = new Map<string, RemovedExecutor & { removedAt: number }>();
  private readonly requests = new ChannelRequests();
  private readonly opts: Required<ExecutorRegistryOptions>;
  private readonly log: Logger;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastSweepAt: number | undefined;
  private schedulableGeneration = 0;
  private viewChanges = 0;
  /** Silence after which the controller pings (well before `silentAfterMs` drops the connection). */
  private readonly pingAfterMs: number;

  constructor(options: ExecutorRegistryOptions) {
    super();
    this.opts = withRegistryDefaults(options);
    this.log = options.logger.child({ component: 'executors' });
    this.pingAfterMs = Math.min(this.opts.sweepIntervalMs, Math.floor(this.opts.silentAfterMs / 3));
  }

  /** Bumped when an executor may have become schedulable (connected, or its state changed). */
  generation(): number {
    return this.schedulableGeneration;
  }

  /**
   * Bumped the moment anything of an executor's place in the fleet changes: joined, connected,
   * disconnected, lost, removed, its state or record replaced (scheduler/capacity-index.ts).
   */
  viewGeneration(): number {
    return this.viewChanges;
  }

  /** Loads persisted executors as disconnected; their grace period starts now. */
  async load(): Promise<void> {
    const now = this.opts.clock.now();
    for (const record of await this.opts.store.listExecutors()) {
      // Removed before the restart: stays dormant in the store (blacklist remembered) until it says hello.
      if (record.lostAt !== undefined && now - record.lastSeen >= this.opts.removedAfterMs) continue;
      this.entries.set(record.executorId, newEntry({ ...record, lastSeen: now }, false));
      this.viewChanges++;
      this.opts.ledger.setLayout(record.executorId, record.layout);
    }
  }

  list(): LiveExecutor[] {
    return [...this.entries.values()].map((e) => e.live);
  }

  get(executorId: string): LiveExecutor | undefined {
    return this.entries.get(executorId)?.live;
  }

  /** Executors removed recently (for the executor list, state REMOVED, last known numbers). */
  recentlyRemoved(): RemovedExecutor[] {
    return [...this.removed.values()].map(({ record, usage }) => ({ record, usage }));
  }

  send(executorId: string, message: ControllerMessage): boolean {
    const conn = this.entries.get(executorId)?.conn;
    return conn ? this.transmit(conn, message) : false;
  }

  /** The one way a frame leaves for an executor: only while leader, always with the epoch. */
  private transmit(conn: ChannelConnection, message: ControllerMessage): boolean {
    if (!this.opts.mayCommand()) {
      this.log.warn({ type: message.type, epoch: this.opts.epoch }, 'not sending to the executor: this controller is no longer the leader');
      return false;
    }
    return conn.send(JSON.stringify({ ...message, epoch: this.opts.epoch } satisfies ControllerFrame));
  }

  request<T = unknown>(executorId: string, action: RequestAction, timeoutMs = 10_000): Promise<T> {
    if (!this.entries.get(executorId)?.conn) return Promise.reject(new ExecutorNotConnectedError(executorId));
    return this.requests.start<T>(executorId, action.action, timeoutMs, (requestId) =>
      this.send(executorId, { type: 'request', requestId, ...action }));
  }

  async setExecutorState(executorId: string, state: ExecutorState): Promise<ExecutorRecord | undefined> {
    if (state === 'REMOVED') throw new Error('REMOVED is not a state an executor can be set to');
    const entry = this.entries.get(executorId);
    if (!entry) return undefined;
    return this.serial(entry, async () => {
      const previous = entry.live.record.executorState;
      if (previous === state) return entry.live.record;
      const next: ExecutorRecord = { ...entry.live.record, executorState: state };
      await this.opts.store.upsertExecutor(next);
      entry.live.record = next;
      this.viewChanges++;
      this.send(executorId, { type: 'executorState', executorState: state });
      const type = state === 'BLACKLIST_REQUESTED' ? 'EXECUTOR_BLACKLIST_REQUESTED'
        : state === 'BLACKLISTED' ? 'EXECUTOR_BLACKLISTED'
          : BLACKLISTED_STATES.has(previous) ? 'EXECUTOR_UN_BLACKLISTED' : undefined;
      if (type) await this.opts.events.emit(type, { EXECUTOR_ID: executorId, HOSTNAME: next.hostname, PORT: next.port });
      this.log.info({ executorId, from: previous, to: state }, 'executor state changed');
      this.notify('stateChanged', entry.live, previous);
      return next;
    });
  }

  // ------------------------------------------------------------------ channel side

  /**
   * Accepts a hello: persists the record (keeping its executorState), welcomes the executor.
   * Throws ExecutorIdentityConflictError when the id belongs to an executor that is still around
   * and `identityKey` is not that executor's.
   */
  async hello(conn: ChannelConnection, identity: ExecutorIdentity, features: readonly string[] = [], identityKey?: string): Promise<LiveExecutor> {
    const id = identity.executorId;
    const identityDigest = identityDigestOf(identityKey);
    let entry = this.entries.get(id);
    if (entry?.live.record) checkIdentity(entry.live, identityDigest, conn.remoteAddress, this.log);
    if (entry?.conn && entry.conn !== conn) {
      this.log.warn({ executorId: id, remoteAddress: conn.remoteAddress }, 'executor reconnected: replacing its previous connection');
      const old = entry.conn;
      entry.conn = undefined;
      entry.live.connected = false;
      this.viewChanges++;
      this.requests.failAll(id, 'was replaced by a new connection');
      old.close(CLOSE_REPLACED, 'replaced by a newer connection of the same executor');
    }
    entry ??= newEntry(undefined as unknown as ExecutorRecord, false);
    const target = entry;
    return this.serial(target, async () => {
      // Not (or no longer) in the live view: first time, or after removal.
      const isNew = this.entries.get(id) !== target;
      const previous = isNew ? await this.opts.store.getExecutor(id) : target.live.record;
      const wasLost = !isNew && previous?.lostAt !== undefined;
      const kept = previous?.executorState;
      const now = this.opts.clock.now();
      if (previous?.identityDigest !== undefined && previous.identityDigest !== identityDigest) {
        this.log.warn({ executorId: id, remoteAddress: conn.remoteAddress }, 'executor id taken over by a new identity (the previous one was lost)');
      }
      const record: ExecutorRecord = {
        ...identity,
        executorState: kept && kept !== 'REMOVED' && kept !== 'UNREADY' ? kept : 'ACTIVE',
        lastSeen: now,
        updated: previous?.updated ?? now,
        ...(identityDigest !== undefined ? { identityDigest } : {}),
      };
      if (record.executorState === 'ACTIVE' && !this.opts.isReady(record)) record.executorState = 'UNREADY';
      await this.opts.store.upsertExecutor(record);
      const knownInstanceIds = await listKnownInstanceIds(this.opts.store, id);
      target.live.record = record;
      target.live.features = features;
      target.live.connected = true;
      target.conn = conn;
      target.lastPing = now;
      this.entries.set(id, target);
      this.viewChanges++;
      this.removed.delete(id);
      this.opts.ledger.setLayout(id, identity.layout);
      this.transmit(conn, {
        type: 'welcome', executorState: record.executorState, snapshotIntervalMs: this.opts.snapshotIntervalMs, knownInstanceIds,
        features: [FEATURE_TASK_UPDATES, FEATURE_INSTANCE_UPDATES, FEATURE_STATS],
      });
      this.log.info({ executorId: id, hostname: identity.hostname, port: identity.port, remoteAddress: conn.remoteAddress, state: record.executorState }, 'executor connected');
      if (isNew) await this.opts.events.emit('EXECUTOR_ADDED', { EXECUTOR_ID: id, HOSTNAME: identity.hostname, PORT: identity.port });
      if (wasLost) await this.opts.events.emit('EXECUTOR_RECONNECTED', { EXECUTOR_ID: id, HOSTNAME: identity.hostname, PORT: identity.port });
      this.notify('connected', target.live);
      return target.live;
    });
  }

  /** Any sign of life on a connection (frame or pong). */
  touch(executorId: string, conn: ChannelConnection): void {
    const entry = this.entries.get(executorId);
    if (entry && entry.conn === conn) entry.live.record.lastSeen = this.opts.clock.now();
  }

  /** A frame after hello. Frames from a replaced connection are ignored. */
  frame(executorId: string, conn: ChannelConnection, message: ExecutorMessage): void {
    const entry = this.entries.get(executorId);
    if (!entry || entry.conn !== conn) return;
    switch (message.type) {
      case 'snapshot':
        entry.live.tasks = new Map(message.tasks.map((t) => [t.instanceId, t]));
        entry.live.record.updated = this.opts.clock.now();
        this.notify('snapshot', executorId, message);
        break;
      case 'taskUpdate':
        entry.live.tasks.set(message.task.instanceId, message.task);
        this.notify('taskUpdate', executorId, message.task);
        break;
      case 'taskUpdates':
        // One frame, several reports in order: each is handled exactly as a `taskUpdate`.
        for (const task of message.tasks) {
          entry.live.tasks.set(task.instanceId, task);
          this.notify('taskUpdate', executorId, task);
        }
        break;
      case 'instanceUpdate':
        this.notify('instanceUpdate', executorId, message.instance);
        break;
      case 'instanceUpdates':
        // Likewise: each report handled exactly as an `instanceUpdate`, in order.
        for (const instance of message.instances) this.notify('instanceUpdate', executorId, instance);
        break;
      case 'reply':
        if (!this.requests.settle(executorId, message)) this.log.debug({ executorId, requestId: message.requestId }, 'late or unknown reply ignored');
        break;
      case 'stats':
        this.notify('stats', executorId, message);
        break;
      case 'hello':
        this.log.warn({ executorId }, 'second hello on an open channel ignored');
        break;
    }
  }

  /** The connection closed (or was dropped); ignored if it was already replaced. */
  closed(executorId: string, conn: ChannelConnection, code: number, reason: string): void {
    const entry = this.entries.get(executorId);
    if (!entry || entry.conn !== conn) return;
    // A clean close (executor shutting down) is routine; anything else deserves attention.
    this.detach(entry, `connection closed (${code}${reason ? `: ${reason}` : ''})`, code === 1000 || code === 1001 ? 'info' : 'warn');
  }

  // ------------------------------------------------------------------ liveness

  /** Starts the liveness sweep. */
  start(): void {
    this.sweepTimer = setInterval(() => this.sweep(), this.opts.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Stops the sweep and closes every channel (executors keep their work and reconnect later). */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const entry of this.entries.values()) {
      const conn = entry.conn;
      if (!conn) continue;
      entry.conn = undefined;
      entry.live.connected = false;
      this.viewChanges++;
      this.requests.failAll(entry.live.record.executorId, 'controller is shutting down');
      conn.close(1001, 'controller shutting down');
    }
    await Promise.allSettled([...this.entries.values()].map((e) => e.chain));
  }

  /** One liveness pass (also callable by tests driving a ManualClock). */
  sweep(): void {
    const now = this.opts.clock.now();
    // After a stall of this process, timers run before the socket reads that piled up
    // meanwhile (frames, pongs, reconnecting hellos): judge only once those are taken in.
    const stalled = this.lastSweepAt !== undefined && now - this.lastSweepAt > 3 * this.opts.sweepIntervalMs;
    this.lastSweepAt = now;
    for (const entry of this.entries.values()) {
      const silent = now - entry.live.record.lastSeen;
      if (entry.conn) {
        if (silent >= this.opts.silentAfterMs && !stalled) {
          this.log.warn({ executorId: entry.live.record.executorId, silentMs: silent }, 'executor silent: dropping its connection');
          entry.conn.terminate();
          this.detach(entry, `silent for ${silent} ms`);
        } else if ((silent >= this.pingAfterMs && now - entry.lastPing >= this.opts.sweepIntervalMs) || now - entry.lastPing >= RTT_SAMPLE_MS) {
          // An executor quiet for a sweep interval is pinged; one that speaks (executors ping
          // every 2 s themselves, and report often) only every RTT_SAMPLE_MS, to keep the round
          // trip measured: a thousand pings a second were a thousand writes the fleet did not need.
          entry.lastPing = now;
          entry.conn.ping();
        }
      } else if (!entry.transitioning && !stalled) {
        if (entry.live.record.lostAt === undefined && silent >= this.opts.lostAfterMs) this.markLost(entry);
        else if (entry.live.record.lostAt !== undefined && silent >= this.opts.removedAfterMs) this.remove(entry);
      }
    }
    for (const [id, removed] of this.removed) if (now - removed.removedAt >= this.opts.removedVisibleMs) this.removed.delete(id);
  }

  /** Counts for the metrics gauge: connected executors by executorState, others by liveness. */
  countsByState(): Record<string, number> {
    const counts: Record<string, number> = { REMOVED: this.removed.size };
    for (const { live } of this.entries.values()) {
      const key = live.connected ? live.record.executorState : live.record.lostAt !== undefined ? 'LOST' : 'DISCONNECTED';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  // ------------------------------------------------------------------ internals

  private detach(entry: RegistryEntry, why: string, level: 'info' | 'warn' = 'warn'): void {
    const id = entry.live.record.executorId;
    entry.conn = undefined;
    entry.live.connected = false;
    this.viewChanges++;
    this.requests.failAll(id, why);
    this.log[level]({ executorId: id, why }, 'executor disconnected');
    this.notify('disconnected', entry.live);
  }

  private markLost(entry: RegistryEntry): void {
    entry.transitioning = true;
    void this.serial(entry, async () => {
      if (entry.conn) return; // came back meanwhile
      const record: ExecutorRecord = { ...entry.live.record, lostAt: this.opts.clock.now() };
      await this.opts.store.upsertExecutor(record);
      entry.live.record = record;
      this.viewChanges++;
      this.log.warn({ executorId: record.executorId, hostname: record.hostname }, 'executor lost');
      await this.opts.events.emit('EXECUTOR_LOST', { EXECUTOR_ID: record.executorId, HOSTNAME: record.hostname, PORT: record.port });
      this.notify('lost', entry.live);
    }).catch((error: unknown) => this.log.error({ err: error }, 'could not mark an executor lost'))
      .finally(() => { entry.transitioning = false; });
  }

  private remove(entry: RegistryEntry): void {
    entry.transitioning = true;
    const id = entry.live.record.executorId;
    void this.serial(entry, async () => {
      if (entry.conn) return;
      const record = entry.live.record;
      // A blacklisted executor keeps its record so the blacklist holds when it comes back.
      if (BLACKLISTED_STATES.has(record.executorState)) await this.opts.store.upsertExecutor(record);
      else await this.opts.store.deleteExecutor(id);
      const usage = this.opts.ledger.usage(id);
      this.entries.delete(id);
      this.viewChanges++;
      this.opts.ledger.removeExecutor(id);
      this.removed.set(id, { record: { ...record, executorState: 'REMOVED' }, usage, removedAt: this.opts.clock.now() });
      this.log.warn({ executorId: id, hostname: record.hostname }, 'executor removed');
      await this.opts.events.emit('EXECUTOR_REMOVED', { EXECUTOR_ID: id });
      this.notify('removed', id);
    }).catch((error: unknown) => this.log.error({ err: error }, 'could not remove an executor'))
      .finally(() => { entry.transitioning = false; });
  }

  private serial<T>(entry: RegistryEntry, work: () => Promise<T>): Promise<T> {
    const run = entry.chain.then(work, work);
    entry.chain = run.catch(() => undefined);
    return run;
  }

  /** Listener faults belong to the listener's module; they must not break the registry. */
  private notify<K extends keyof ExecutorRegistryEvents>(event: K, ...args: ExecutorRegistryEvents[K]): void {
    if (event === 'connected' || event === 'stateChanged') this.schedulableGeneration++;
    try {
      (this.emit as (e: K, ...a: ExecutorRegistryEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error({ err: error, event }, 'executor registry listener failed');
    }
  }
}
