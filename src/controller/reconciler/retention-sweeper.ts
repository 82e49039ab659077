/**
 * Retention (ARCHITECTURE.md "Store"): old instance records after `instanceRetentionMs` (at most
 * `maxOldInstancesPerApp` kept per app), finished operations after `operationRetentionMs`, and
 * apps left in MONITORING longer than the stale-app age are destroyed (API.md §2.4).
 */
import type { ControllerContext } from '../context.ts';
import type { AppModel } from '../apps/app-model.ts';
import type { OperationEngine } from '../operations/operation-engine.ts';
import type { AppServices } from './app-services.ts';
import type { AppCommands } from '../apps/app-commands.ts';

export interface RetentionOptions {
  intervalMs: number;
  /** MONITORING apps untouched this long are destroyed; 0 disables. */
  staleAppAgeMs: number;
}

export interface SweepResult {
  instances: number;
  operations: number;
  staleApps: string[];
}

export class RetentionSweeper {
  private timer?: NodeJS.Timeout;

  private readonly ctx: ControllerContext;
  private readonly model: AppModel;
  private readonly engine: OperationEngine;
  private readonly commands: AppCommands;
  private readonly options: RetentionOptions;

  constructor(services: AppServices, options: RetentionOptions) {
    ({ ctx: this.ctx, model: this.model, engine: this.engine, commands: this.commands } = services);
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.ctx.logger.error({ err: error }, 'retention sweep failed'));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async sweep(): Promise<SweepResult> {
    const now = this.ctx.clock.now();
    const { config } = this.ctx;
    const instances = await this.ctx.store.pruneInstances(now - config.instanceRetentionMs, config.maxOldInstancesPerApp);
    const operations = await this.ctx.store.pruneOperations(now - config.operationRetentionMs);
    const staleApps: string[] = [];
    if (this.options.staleAppAgeMs > 0 && !this.ctx.cluster.inMaintenance()) {
      for (const app of this.model.listApps()) {
        if (app.state !== 'MONITORING' || now - app.updated < this.options.staleAppAgeMs) continue;
        if (this.model.instances(app.appId).length > 0 || this.engine.pending({ kind: 'app', appId: app.appId }).length > 0) continue;
        await this.model.locks.run(app.appId, async () => {
          const current = this.model.app(app.appId);
          if (current?.state !== 'MONITORING') return;
          await this.model.saveApp({ ...current, state: 'DESTROY_REQUESTED' });
          await this.commands.submitInternal(app.appId, 'DESTROY', { reason: 'stale app' });
        });
        staleApps.push(app.appId);
      }
    }
    if (instances + operations + staleApps.length > 0) this.ctx.logger.info({ instances, operations, staleApps }, 'retention sweep');
    return { instances, operations, staleApps };
  }
}
