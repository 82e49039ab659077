/**
 * Brings applications back to their expected instance count (docs/api.md §2.3.8) and repairs app
 * states left behind by an interrupted controller:
 *
 *   app without an active operation, outside maintenance:
 *     instances up ≠ expected (RUNNING, MONITORING, SCALING_REQUESTED, OUTAGE_DETECTED) ──▶ RECOVER
 *     DESTROY_REQUESTED                                                                ──▶ DESTROY again
 *     STOP_/REPLACE_INSTANCES_REQUESTED, INIT                                           ──▶ RUNNING | MONITORING
 *   instance turned UNHEALTHY ──▶ stopInstance, then the shortfall is recovered
 *
 * Checked for every app periodically, and at once for an app whose instance was lost, died, or
 * whose operation ended without converging. Failed recoveries back off (doubling up to 5 min)
 * so an app that cannot start does not flood the operation log.
 */
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { ControllerContext } from '../context.ts';
import { COMING_UP_STATES, type AppModel } from './app-model.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { AppServices } from './app-services.ts';
import type { AppCommands } from './app-commands.ts';

const MAX_BACKOFF_MS = 5 * 60_000;

export interface AppReconcilerOptions {
  intervalMs: number;
  /** Runs at the start of every periodic pass (e.g. sweeping instances of vanished executors). */
  beforePass?(): Promise<void>;
  /** First delay of the recovery backoff (doubles per consecutive failure). */
  backoffBaseMs: number;
}

export class AppReconciler {
  private timer?: NodeJS.Timeout;
  private readonly kicked = new Set<string>();
  private kickScheduled = false;
  private readonly backoff = new Map<string, { failures: number; notBefore: number }>();
  private running = false;
  private readonly onInstance = (record: InstanceRecord, previous: InstanceRecord | undefined) => this.instanceChanged(record, previous);

  private readonly ctx: ControllerContext;
  private readonly model: AppModel;
  private readonly operations: Operations;
  private readonly commands: AppCommands;
  private readonly options: AppReconcilerOptions;

  constructor(services: AppServices, options: AppReconcilerOptions) {
    ({ ctx: this.ctx, model: this.model, operations: this.operations, commands: this.commands } = services);
    this.options = options;
  }

  start(): void {
    this.running = true;
    this.model.on('instance', this.onInstance);
    this.timer = setInterval(() => {
      (this.options.beforePass?.() ?? Promise.resolve())
        .catch((error: unknown) => this.ctx.logger.error({ err: error }, 'reconciler pre-pass failed'))
        .finally(() => this.kick(this.model.listApps().map((a) => a.appId)));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.running = false;
    this.model.off('instance', this.onInstance);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks these apps soon (coalesced). */
  kick(appIds: Iterable<string>): void {
    for (const id of appIds) this.kicked.add(id);
    if (this.kickScheduled || !this.running) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      const ids = [...this.kicked];
      this.kicked.clear();
      for (const appId of ids) {
        this.check(appId).catch((error: unknown) => this.ctx.logger.error({ err: error, appId }, 'app reconciliation failed'));
      }
    });
  }

  /** The engine reports every finished operation here. */
  operationFinished(record: OperationRecord): void {
    if (record.target.kind !== 'app') return;
    const appId = record.target.appId;
    if (record.state === 'COMPLETED') this.backoff.delete(appId);
    else if (record.type === 'RECOVER' && (record.state === 'FAILED' || record.state === 'TIMED_OUT')) {
      const previous = this.backoff.get(appId)?.failures ?? 0;
      const failures = previous + 1;
      const delay = Math.min(MAX_BACKOFF_MS, this.options.backoffBaseMs * 2 ** (failures - 1));
      this.backoff.set(appId, { failures, notBefore: this.ctx.clock.now() + delay });
      const retry = setTimeout(() => this.kick([appId]), delay);
      retry.unref();
    }
    this.kick([appId]);
  }

  /** One app: decide whether it needs a RECOVER (or a repair). */
  async check(appId: string): Promise<void> {
    if (!this.running || this.ctx.cluster.inMaintenance()) return;
    if (this.operations.pending({ kind: 'app', appId }).length > 0) return;
    await this.model.locks.run(appId, async () => {
      const app = this.model.app(appId);
      if (!app || this.operations.pending({ kind: 'app', appId }).length > 0) return;
      await this.decide(app);
    });
  }

  private async decide(app: AppRecord): Promise<void> {
    const up = this.model.comingUp(app.appId).length;
    switch (app.state) {
      case 'DESTROY_REQUESTED':
        await this.commands.submitInternal(app.appId, 'DESTROY', {});
        return;
      case 'INIT':
      case 'STOP_INSTANCES_REQUESTED':
      case 'REPLACE_INSTANCES_REQUESTED':
        await this.model.saveApp({ ...app, state: this.model.healthyCount(app.appId) > 0 ? 'RUNNING' : 'MONITORING' });
        this.kick([app.appId]);
        return;
      case 'RUNNING':
      case 'MONITORING':
      case 'SCALING_REQUESTED':
      case 'OUTAGE_DETECTED': {
        const converged = up === app.requiredInstances && this.model.healthyCount(app.appId) === up;
        const settling = this.model.comingUp(app.appId).some((i) => i.state !== 'HEALTHY');
        if (converged) {
          if (app.state === 'SCALING_REQUESTED' || app.state === 'OUTAGE_DETECTED') {
            await this.model.saveApp({ ...app, state: app.requiredInstances > 0 ? 'RUNNING' : 'MONITORING' });
          }
          return;
        }
        // Instances on their way up will turn HEALTHY or fail; their change kicks us again.
        if (up === app.requiredInstances && settling) return;
        const wait = this.backoff.get(app.appId);
        if (wait && this.ctx.clock.now() < wait.notBefore) return;
        const operationId = await this.commands.submitInternal(app.appId, 'RECOVER', {});
        this.ctx.logger.info({ appId: app.appId, operationId, up, expected: app.requiredInstances }, 'recovering app instance count');
        return;
      }
      default:
        return;
    }
  }

  private instanceChanged(record: InstanceRecord, previous: InstanceRecord | undefined): void {
    if (record.state === 'UNHEALTHY' && previous?.state !== 'UNHEALTHY') {
      this.model.requestStop(record.instanceId, 'GRACEFUL', 'health checks failed');
      this.kick([record.appId]);
      return;
    }
    const wasUp = previous !== undefined && COMING_UP_STATES.has(previous.state);
    if (wasUp && !COMING_UP_STATES.has(record.state)) this.kick([record.appId]);
    else if (record.state === 'HEALTHY' && previous?.state !== 'HEALTHY') this.kick([record.appId]);
  }
}
