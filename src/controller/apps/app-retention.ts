/**
 * Retention of applications: old instance records after `instanceRetentionMs` (at most
 * `maxOldInstancesPerApp` kept per app), and apps left in MONITORING longer than the stale-app
 * age are destroyed (docs/api.md §2.4). Finished operations are swept by the operations module.
 */
import type { ControllerContext } from '../context.ts';
import type { AppModel } from './app-model.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { AppServices } from './app-services.ts';
import type { AppCommands } from './app-commands.ts';

export interface RetentionOptions {
  intervalMs: number;
  /** MONITORING apps untouched this long are destroyed; 0 disables. */
  staleAppAgeMs: number;
}

export interface SweepResult {
  instances: number;
  staleApps: string[];
}

export class AppRetention {
  private timer?: NodeJS.Timeout;

  private readonly ctx: ControllerContext;
  private readonly model: AppModel;
  private readonly operations: Operations;
  private readonly commands: AppCommands;
  private readonly options: RetentionOptions;

  constructor(services: AppServices, options: RetentionOptions) {
    ({ ctx: this.ctx, model: this.model, operations: this.operations, commands: this.commands } = services);
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
    const staleApps: string[] = [];
    if (this.options.staleAppAgeMs > 0 && !this.ctx.cluster.inMaintenance()) {
      for (const app of this.model.listApps()) {
        if (app.state !== 'MONITORING' || now - app.updated < this.options.staleAppAgeMs) continue;
        if (this.model.instanceCount(app.appId) > 0 || this.operations.pending({ kind: 'app', appId: app.appId }).length > 0) continue;
        await this.model.locks.run(app.appId, async () => {
          const current = this.model.app(app.appId);
          if (current?.state !== 'MONITORING') return;
          await this.model.saveApp({ ...current, state: 'DESTROY_REQUESTED' });
          await this.commands.submitInternal(app.appId, 'DESTROY', { reason: 'stale app' });
        });
        staleApps.push(app.appId);
      }
    }
    if (instances + staleApps.length > 0) this.ctx.logger.info({ instances, staleApps }, 'retention sweep');
    return { instances, staleApps };
  }
}
