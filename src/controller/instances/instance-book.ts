/**
 * The leader's live book of long-running instances (every instance not yet STOPPED or LOST) of
 * one workload kind: application instances (apps/app-model.ts) and local-service instances
 * (localservices/local-service-model.ts) share it. Records carry their owner in `appId` (the
 * appId, or the serviceId of a local service).
 *
 * Every change is written to the store first and applied here after the write succeeded;
 * reads are served from here. Terminal instances leave the book (they stay readable from the
 * store as old instances) after their resources were released in the ledger and the executor
 * was told to `forget` them. Instance writes go through a batch writer so a burst of executor
 * reports costs one store transaction; events are still emitted once per state change, in order.
 */
import { EventEmitter } from 'node:events';
import type { InstanceRecord, InstanceState } from '../../api/app-types.ts';
import type { DroveEventType } from '../../api/cluster-types.ts';
import type { AbortMode } from '../../api/operation-types.ts';
import { allocationFromWire, type ResourceLedger } from '../scheduler/resource-ledger.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { KeyedLock } from './keyed-lock.ts';

/** Instance states after which nothing more happens: resources are free, the executor may forget it. */
export const TERMINAL_INSTANCE_STATES: ReadonlySet<InstanceState> = new Set(['STOPPED', 'LOST']);
export const LIVE_INSTANCE_STATES: InstanceState[] = [
  'PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'START_FAILED', 'UNREADY', 'READINESS_CHECK_FAILED',
  'READY', 'HEALTHY', 'UNHEALTHY', 'STOPPING', 'DEPROVISIONING', 'UNKNOWN',
];
/** Up or on the way up (counted towards a target count). */
export const COMING_UP_STATES: ReadonlySet<InstanceState> = new Set(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'UNKNOWN']);

export interface InstanceBookEvents {
  /** After an instance change was persisted and applied. `previous` is undefined for new instances. */
  instance: [record: InstanceRecord, previous: InstanceRecord | undefined];
}

export interface InstanceBookDeps {
  events: EventBus;
  executors: ExecutorRegistry;
  ledger: ResourceLedger;
  clock: Clock;
  logger: Logger;
}

export abstract class InstanceBook extends EventEmitter<InstanceBookEvents> {
  private readonly live = new Map<string, InstanceRecord>();
  private readonly byOwner = new Map<string, Set<string>>();
  /** ownerId → its HEALTHY live instances, kept with every change so a summary does not count them. */
  private readonly healthyByOwner = new Map<string, number>();
  /** executorId → its live instances: a snapshot is checked against these, not every instance. */
  private readonly byExecutor = new Map<string, Set<string>>();
  /** ownerId → executorId → live instances there (placement's per-host counts, kept incrementally). */
  private readonly perExecutor = new Map<string, Map<string, number>>();
  /** Placements counted in `perExecutor` whose record is not applied yet. */
  private readonly reserved = new Set<string>();
  private readonly waiters = new Map<string, Set<(record: InstanceRecord) => void>>();
  private readonly writer: GroupCommit<InstanceRecord>;
  /** Instance writes not yet applied, newest per instance. */
  private readonly queued = new Map<string, InstanceRecord>();
  readonly locks = new KeyedLock();
  /** Stops asked of executors and not yet seen through (resent when an executor reconnects). */
  readonly stopRequests = new Map<string, { mode: AbortMode; reason: string }>();
  /**
   * When this controller recorded a new instance on its executor, then when it sent
   * `startInstance`: until the start grace has passed, a snapshot may not show it yet.
   */
  readonly startSentAt = new Map<string, number>();

  protected readonly deps: InstanceBookDeps;

  constructor(deps: InstanceBookDeps) {
    super();
    this.deps = deps;
    this.setMaxListeners(0);
    this.writer = new GroupCommit((items) => this.flushInstances(items));
  }

  /** Writes instance records to the store (one transaction). */
  protected abstract persistInstances(records: InstanceRecord[]): Promise<void>;
  /** Whether the owner still exists (a report for a destroyed owner is not applied). */
  protected abstract ownerExists(ownerId: string): boolean;
  /** The state-change event of an instance: its type and metadata. */
  protected abstract instanceEvent(record: InstanceRecord, executorHost: string | undefined): [DroveEventType, Record<string, string | number>];

  /** Replaces the book with live records from the store and re-claims their resources. */
  protected loadInstances(records: InstanceRecord[]): void {
    this.live.clear();
    this.byOwner.clear();
    this.healthyByOwner.clear();
    this.byExecutor.clear();
    this.perExecutor.clear();
    for (const instance of records) {
      this.index(instance);
      const allocation = allocationFromWire(instance.resources);
      if (instance.executorId && allocation) this.deps.ledger.claim(instance.instanceId, instance.executorId, allocation);
    }
  }

  /** Drops every live instance of an owner from the book (its records were deleted). */
  protected dropOwner(ownerId: string): void {
    for (const id of this.byOwner.get(ownerId) ?? []) {
      this.deps.ledger.release(id);
      const executorId = this.live.get(id)?.executorId;
      if (executorId) this.byExecutor.get(executorId)?.delete(id);
      this.live.delete(id);
      this.stopRequests.delete(id);
      this.startSentAt.delete(id);
    }
    this.byOwner.delete(ownerId);
    this.healthyByOwner.delete(ownerId);
    this.perExecutor.delete(ownerId);
  }

  instance(instanceId: string): InstanceRecord | undefined {
    return this.live.get(instanceId);
  }

  /** Live instances of an owner, oldest first. */
  instances(ownerId: string): InstanceRecord[] {
    const ids = this.byOwner.get(ownerId);
    if (!ids) return [];
    const list: InstanceRecord[] = [];
    for (const id of ids) {
      const record = this.live.get(id);
      if (record) list.push(record);
    }
    return list.sort((a, b) => a.created - b.created || (a.instanceId < b.instanceId ? -1 : 1));
  }

  allInstances(): IterableIterator<InstanceRecord> {
    return this.live.values();
  }

  /** Live instances placed on an executor. */
  instancesOn(executorId: string): InstanceRecord[] {
    const list: InstanceRecord[] = [];
    for (const id of this.byExecutor.get(executorId) ?? []) {
      const record = this.live.get(id);
      if (record) list.push(record);
    }
    return list;
  }

  /** Live instances of an owner that are HEALTHY. */
  healthyCount(ownerId: string): number {
    return this.healthyByOwner.get(ownerId) ?? 0;
  }

  /** Live instances of an owner, whatever their state. */
  instanceCount(ownerId: string): number {
    return this.byOwner.get(ownerId)?.size ?? 0;
  }

  /** Instances up or coming up and not asked to stop. */
  comingUp(ownerId: string): InstanceRecord[] {
    return this.instances(ownerId).filter((i) => COMING_UP_STATES.has(i.state) && !this.stopRequests.has(i.instanceId));
  }

  /**
   * Persists an instance change; resolves once it is stored and applied. A terminal state is
   * final: a later non-terminal write for the same instance (a stale report) is dropped.
   */
  saveInstance(record: InstanceRecord): Promise<void> {
    const queued = this.queued.get(record.instanceId);
    if (queued && TERMINAL_INSTANCE_STATES.has(queued.state) && !TERMINAL_INSTANCE_STATES.has(record.state)) return Promise.resolve();
    this.queued.set(record.instanceId, record);
    return this.writer.write(record);
  }

  /** Resolves when every instance write so far is stored (before the store closes). */
  idle(): Promise<void> {
    return this.writer.drain();
  }

  /** The newest version of a live instance, including a change still being written. */
  latest(instanceId: string): InstanceRecord | undefined {
    return this.queued.get(instanceId) ?? this.live.get(instanceId);
  }

  /**
   * Resolves with the instance once `done(record)` holds (checked now and on every change),
   * rejects with the signal's reason when it aborts. Terminal instances are still delivered.
   */
  waitFor(instanceId: string, done: (record: InstanceRecord) => boolean, signal: AbortSignal): Promise<InstanceRecord> {
    return new Promise((resolve, reject) => {
      const current = this.live.get(instanceId);
      if (current && done(current)) return resolve(current);
      if (signal.aborted) return reject(signal.reason);
      const set = this.waiters.get(instanceId) ?? new Set();
      this.waiters.set(instanceId, set);
      const cleanup = (): void => {
        set.delete(check);
        if (set.size === 0) this.waiters.delete(instanceId);
        signal.removeEventListener('abort', onAbort);
      };
      const check = (record: InstanceRecord): void => {
        if (!done(record)) return;
        cleanup();
        resolve(record);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal.reason);
      };
      set.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Asks the executor to stop an instance (remembered, and re-sent when the executor reconnects). */
  requestStop(instanceId: string, mode: AbortMode, reason: string): boolean {
    const record = this.live.get(instanceId);
    if (!record || TERMINAL_INSTANCE_STATES.has(record.state)) return false;
    const previous = this.stopRequests.get(instanceId);
    if (previous?.mode === 'FORCE' || (previous && mode === 'GRACEFUL')) return true;
    this.stopRequests.set(instanceId, { mode, reason });
    if (!record.executorId) return false;
    return this.deps.executors.send(record.executorId, { type: 'stopInstance', instanceId, mode, reason });
  }

  /** Re-sends pending stops to an executor that (re)connected. */
  resendStops(executorId: string): void {
    for (const [instanceId, request] of this.stopRequests) {
      const record = this.live.get(instanceId);
      if (record?.executorId !== executorId) continue;
      this.deps.executors.send(executorId, { type: 'stopInstance', instanceId, mode: request.mode, reason: request.reason });
    }
  }

  /** Live instances of an owner per executor, including placements not yet stored (per-host limits). */
  countsPerExecutor(ownerId: string): ReadonlyMap<string, number> {
    return this.perExecutor.get(ownerId) ?? new Map();
  }

  /** Counts a placement at once, before its record is written, so concurrent starts see it. */
  reservePlacement(ownerId: string, executorId: string, instanceId: string): void {
    this.reserved.add(instanceId);
    this.count(ownerId, executorId, 1);
  }

  /** Undoes a reservation whose record could not be written. */
  releasePlacement(ownerId: string, executorId: string, instanceId: string): void {
    if (this.reserved.delete(instanceId)) this.count(ownerId, executorId, -1);
  }

  private index(record: InstanceRecord): void {
    const counted = this.reserved.delete(record.instanceId);
    const previous = this.live.get(record.instanceId);
    if (!previous && record.executorId && !counted) this.count(record.appId, record.executorId, 1);
    this.countHealthy(previous, -1);
    this.countHealthy(record, 1);
    this.live.set(record.instanceId, record);
    let ids = this.byOwner.get(record.appId);
    if (!ids) this.byOwner.set(record.appId, (ids = new Set()));
    ids.add(record.instanceId);
    if (record.executorId) {
      let onExecutor = this.byExecutor.get(record.executorId);
      if (!onExecutor) this.byExecutor.set(record.executorId, (onExecutor = new Set()));
      onExecutor.add(record.instanceId);
    }
  }

  private unindex(record: InstanceRecord): void {
    const known = this.live.get(record.instanceId);
    if (known?.executorId) this.count(known.appId, known.executorId, -1);
    this.countHealthy(known, -1);
    this.live.delete(record.instanceId);
    const ids = this.byOwner.get(record.appId);
    ids?.delete(record.instanceId);
    if (ids?.size === 0) this.byOwner.delete(record.appId);
    const executorId = known?.executorId ?? record.executorId;
    const onExecutor = executorId ? this.byExecutor.get(executorId) : undefined;
    onExecutor?.delete(record.instanceId);
    if (onExecutor?.size === 0) this.byExecutor.delete(executorId!);
  }

  private countHealthy(record: InstanceRecord | undefined, delta: number): void {
    if (record?.state !== 'HEALTHY') return;
    const next = (this.healthyByOwner.get(record.appId) ?? 0) + delta;
    if (next > 0) this.healthyByOwner.set(record.appId, next);
    else this.healthyByOwner.delete(record.appId);
  }

  private count(ownerId: string, executorId: string, delta: number): void {
    let counts = this.perExecutor.get(ownerId);
    if (!counts) this.perExecutor.set(ownerId, (counts = new Map()));
    const next = (counts.get(executorId) ?? 0) + delta;
    if (next > 0) counts.set(executorId, next);
    else counts.delete(executorId);
    if (counts.size === 0) this.perExecutor.delete(ownerId);
  }

  private async flushInstances(items: InstanceRecord[]): Promise<void> {
    const latest = new Map<string, InstanceRecord>();
    for (const item of items) latest.set(item.instanceId, item);
    try {
      await this.persistInstances([...latest.values()].map((r) => structuredClone(r)));
    } catch (error) {
      for (const item of items) if (this.queued.get(item.instanceId) === item) this.queued.delete(item.instanceId);
      throw error;
    }
    const forget = new Map<string, string[]>();
    for (const record of items) {
      if (this.queued.get(record.instanceId) === record) this.queued.delete(record.instanceId);
      const previous = this.live.get(record.instanceId);
      if (!previous && !this.ownerExists(record.appId)) continue; // owner destroyed meanwhile
      const terminal = TERMINAL_INSTANCE_STATES.has(record.state);
      if (terminal) {
        this.unindex(record);
        this.deps.ledger.release(record.instanceId);
        this.stopRequests.delete(record.instanceId);
        this.startSentAt.delete(record.instanceId);
        if (record.executorId) {
          const list = forget.get(record.executorId) ?? [];
          list.push(record.instanceId);
          forget.set(record.executorId, list);
        }
      } else {
        this.index(record);
      }
      if (!previous || previous.state !== record.state) {
        const host = record.executorId ? this.deps.executors.get(record.executorId)?.record.hostname : undefined;
        const [type, metadata] = this.instanceEvent(record, host);
        this.emitEvent(type, metadata);
      }
      for (const wake of [...(this.waiters.get(record.instanceId) ?? [])]) wake(record);
      this.emit('instance', record, previous);
    }
    for (const [executorId, instanceIds] of forget) this.deps.executors.send(executorId, { type: 'forget', instanceIds });
  }

  protected emitEvent(type: DroveEventType, metadata: Record<string, string | number>): void {
    this.deps.events.emit(type, metadata).catch((error: unknown) => this.deps.logger.warn({ err: error, type }, 'could not record event'));
  }
}
