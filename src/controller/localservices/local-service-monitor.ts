/**
 * Keeps every local service at what its activation state asks for, and holds joining executors
 * UNREADY until their local-service instances are up (docs/localservices.md, "The monitor" and
 * "Executors"). Leader only (it runs inside the leader's module); skipped in maintenance.
 *
 *   every intervalMs, and soon after an executor joins or leaves or an instance ends:
 *     each idle service (no operation, state = activation state) whose plan is not empty
 *       ──▶ ADJUST_INSTANCES submitted by the controller
 *     each UNREADY executor that is ready ──▶ ACTIVE
 *   executor connects (ACTIVE) and is not ready ──▶ UNREADY
 *
 * An adjustment that fails (a spec that cannot start, an executor without room) is retried with
 * a growing delay (one interval, doubling up to `maxBackoffMs`), reset by one that completes, so
 * a broken service does not fill the operation list with a failed ADJUST every few seconds.
 *
 * Ready means: for every ACTIVE service the executor is eligible for, at least
 * `instancesPerHost` HEALTHY instances on it (Drove waits for exact equality and also for
 * CONFIG_TESTING services; corral recomputes on every pass, so a service deactivated meanwhile
 * no longer holds the executor).
 */
import type { LiveExecutor } from '../executors/live-executor.ts';
import type { ControllerContext } from '../context.ts';
import { logRejection } from '../../common/logger.ts';
import type { LocalServiceCommands } from './local-service-commands.ts';
import type { LocalServiceModel } from './local-service-model.ts';
import { planAdjust } from './local-service-plan.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ExecutorRecord } from '../../api/cluster-types.ts';

/** What readiness is judged on: which executor, and the drivers it has. */
type ExecutorFacts = Pick<ExecutorRecord, 'executorId' | 'drivers'>;

export interface MonitorOptions {
  intervalMs: number;
  /** Longest wait between retries of a service whose adjustments keep failing. Default 5 min. */
  maxBackoffMs?: number;
  /** Runs before each pass (instances of executors that are gone become LOST). */
  beforePass?: () => Promise<void>;
}

export class LocalServiceMonitor {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running = false;
  /** serviceId → consecutive failed adjustments and when the next may be submitted. */
  private readonly backoff = new Map<string, { failures: number; notBefore: number }>();
  private readonly detachers: (() => void)[] = [];
  private readonly ctx: ControllerContext;
  private readonly model: LocalServiceModel;
  private readonly commands: LocalServiceCommands;
  private readonly options: MonitorOptions;

  constructor(ctx: ControllerContext, model: LocalServiceModel, commands: LocalServiceCommands, options: MonitorOptions) {
    this.ctx = ctx;
    this.model = model;
    this.commands = commands;
    this.options = options;
  }

  start(): void {
    const registry = this.ctx.executors;
    const onConnected = (executor: LiveExecutor) => this.guard(this.holdUntilReady(executor));
    const kick = () => this.kick();
    const onInstance = (record: { state: string }) => {
      if (record.state === 'HEALTHY' || record.state === 'STOPPED' || record.state === 'LOST') this.kick();
    };
    registry.on('connected', onConnected);
    registry.on('lost', kick);
    registry.on('removed', kick);
    registry.on('stateChanged', kick);
    this.model.on('instance', onInstance);
    this.detachers.push(
      () => registry.off('connected', onConnected),
      () => registry.off('lost', kick),
      () => registry.off('removed', kick),
      () => registry.off('stateChanged', kick),
      () => this.model.off('instance', onInstance),
    );
    // Executors that connected before this leader started are judged on the first pass.
    for (const executor of registry.list()) if (executor.connected) this.guard(this.holdUntilReady(executor));
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    for (const detach of this.detachers.splice(0)) detach();
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
  }

  /** Whether an executor has every instance its ACTIVE local services require on it. */
  isReady(executor: ExecutorFacts): boolean {
    for (const service of this.model.listServices()) {
      if (service.activationState !== 'ACTIVE' || !isEligibleIgnoringState(executor, service)) continue;
      const healthy = this.model.instances(service.serviceId)
        .filter((i) => i.executorId === executor.executorId && i.state === 'HEALTHY').length;
      if (healthy < service.instancesPerHost) return false;
    }
    return true;
  }

  /** An adjustment of the service ended: failures push its next automatic one further out. */
  adjustmentEnded(serviceId: string, completed: boolean): void {
    if (completed) {
      this.backoff.delete(serviceId);
      return;
    }
    const failures = (this.backoff.get(serviceId)?.failures ?? 0) + 1;
    const delay = Math.min(this.options.maxBackoffMs ?? 300_000, this.options.intervalMs * 2 ** (failures - 1));
    this.backoff.set(serviceId, { failures, notBefore: this.ctx.clock.now() + delay });
  }

  /** Runs a pass soon (coalesced). */
  kick(): void {
    if (this.soon || !this.timer) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      this.guard(this.pass());
    }, 50);
    this.soon.unref();
  }

  /** One pass: adjust idle services that need it, promote ready UNREADY executors. */
  async pass(): Promise<void> {
    if (this.running || this.ctx.cluster.inMaintenance()) return;
    this.running = true;
    try {
      await this.options.beforePass?.();
      for (const service of this.model.listServices()) {
        if (this.ctx.operations.current({ kind: 'localservice', serviceId: service.serviceId })) continue;
        if (service.state !== service.activationState) {
          await this.repair(service.serviceId).catch((error: unknown) => {
            this.ctx.logger.warn({ err: error, serviceId: service.serviceId }, 'could not repair a local service left without its operation');
          });
          continue;
        }
        if ((this.backoff.get(service.serviceId)?.notBefore ?? 0) > this.ctx.clock.now()) continue;
        if (planAdjust(this.model, this.ctx.executors, service).length === 0) continue;
        await this.commands.submitInternal(service.serviceId, 'ADJUST_INSTANCES').catch((error: unknown) => {
          this.ctx.logger.warn({ err: error, serviceId: service.serviceId }, 'could not submit a local-service adjustment');
        });
      }
      for (const executor of this.ctx.executors.list()) {
        if (executor.connected && executor.record.executorState === 'UNREADY' && this.isReady(executor.record)) {
          await this.ctx.executors.setExecutorState(executor.record.executorId, 'ACTIVE');
        }
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * A service left in an operation's state with no operation (its record could not be written
   * and the state could not be put back, e.g. while the store was failing) would refuse every
   * operation for ever: it goes back to its activation state, or an interrupted emergency
   * deactivation gets its DEACTIVATE. Under the service's lock, so an operation being accepted
   * is never mistaken for a lost one.
   */
  private async repair(serviceId: string): Promise<void> {
    const target = { kind: 'localservice' as const, serviceId };
    const deactivate = await this.model.locks.run(serviceId, async () => {
      const service = this.model.service(serviceId);
      if (!service || service.state === service.activationState || this.ctx.operations.current(target)) return false;
      if (service.state === 'EMERGENCY_DEACTIVATION_REQUESTED') return true;
      this.ctx.logger.warn({ serviceId, state: service.state }, 'local service in an operation state with no operation: back to its activation state');
      await this.model.saveService({ ...service, state: service.activationState });
      return false;
    });
    if (deactivate) await this.commands.submitInternal(serviceId, 'DEACTIVATE');
  }

  /** A joining (or returning) executor waits UNREADY for its local-service instances. */
  private async holdUntilReady(executor: LiveExecutor): Promise<void> {
    if (executor.record.executorState === 'ACTIVE' && !this.isReady(executor.record)) {
      await this.ctx.executors.setExecutorState(executor.record.executorId, 'UNREADY');
    }
    this.kick();
  }

  private guard(work: Promise<void>): void {
    work.catch(logRejection(this.ctx.logger, 'local-service monitor pass failed'));
  }
}

/** Eligible whatever its state (an UNREADY executor is what readiness is asked about): it has the driver. */
function isEligibleIgnoringState(executor: ExecutorFacts, service: LocalServiceRecord): boolean {
  return executor.drivers.includes(service.spec.executable.type);
}
