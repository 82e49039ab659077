/**
 * Retention of terminal task records (docs/api.md §3.4): STOPPED and LOST records are deleted
 * `config.taskRetentionMs` (default 2 days) after their last update by a periodic sweep of the
 * store, so it survives controller restarts. Deleting frees the `{sourceAppName, taskId}` pair.
 */
import type { ControllerContext } from '../context.ts';

export class TaskRetention {
  private readonly ctx: ControllerContext;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  /** Sweep interval: a tenth of the retention, between 1 second and 10 minutes. */
  get intervalMs(): number {
    return Math.min(600_000, Math.max(1_000, Math.floor(this.ctx.config.taskRetentionMs / 10)));
  }

  start(): void {
    const sweep = () => {
      this.sweep().catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'task retention sweep failed'));
    };
    sweep();
    this.timer ??= setInterval(sweep, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /** Deletes expired terminal records now; returns how many. */
  sweep(): Promise<number> {
    this.running ??= (async () => {
      try {
        const removed = await this.ctx.store.pruneTasks(this.ctx.clock.now() - this.ctx.config.taskRetentionMs);
        if (removed > 0) this.ctx.logger.info({ removed }, 'deleted expired task records');
        return removed;
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'task retention sweep failed');
        return 0;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
