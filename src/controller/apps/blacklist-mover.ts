/**
 * Moves application instances off blacklisted executors (docs/api.md §4.6):
 *
 *   executor → BLACKLIST_REQUESTED | BLACKLISTED
 *      ──▶ per app with HEALTHY instances there: a BLACKLIST_MOVE operation (default op spec;
 *          replace each: start elsewhere, wait HEALTHY, stop the old one)
 *      ──▶ all moves finished ──▶ BLACKLISTED (if it was still BLACKLIST_REQUESTED)
 *
 * New placements already avoid the executor (only ACTIVE executors take work). Moves are
 * operations like any other, so they are persisted, resumed after a restart and abortable.
 */
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { ControllerContext } from '../context.ts';
import type { LiveExecutor } from '../executors/live-executor.ts';
import type { AppModel } from './app-model.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { AppServices } from './app-services.ts';
import type { AppCommands } from './app-commands.ts';

const BLACKLISTING: ReadonlySet<ExecutorState> = new Set(['BLACKLIST_REQUESTED', 'BLACKLISTED']);

export class BlacklistMover {
  /** executorId → operations moving instances off it. */
  private readonly moves = new Map<string, Set<string>>();
  private detach?: () => void;

  private readonly ctx: ControllerContext;
  private readonly model: AppModel;
  private readonly operations: Operations;
  private readonly commands: AppCommands;

  constructor(services: AppServices) {
    ({ ctx: this.ctx, model: this.model, operations: this.operations, commands: this.commands } = services);
  }

  start(): void {
    const onState = (executor: LiveExecutor, previous: ExecutorState) => {
      const state = executor.record.executorState;
      if (BLACKLISTING.has(state) && !BLACKLISTING.has(previous)) this.guard(this.moveOff(executor.record.executorId));
    };
    this.ctx.executors.on('stateChanged', onState);
    this.detach = () => this.ctx.executors.off('stateChanged', onState);
    // After a restart: moves in flight were resumed by the engine; adopt them, then start what is missing.
    for (const op of this.operations.list()) {
      const executorId = op.record.request.executorId;
      if (op.record.type === 'BLACKLIST_MOVE' && typeof executorId === 'string') this.track(executorId, op.operationId);
    }
    for (const executor of this.ctx.executors.list()) {
      if (BLACKLISTING.has(executor.record.executorState)) this.guard(this.moveOff(executor.record.executorId));
    }
  }

  stop(): void {
    this.detach?.();
    this.detach = undefined;
  }

  /** The engine reports finished operations here. */
  operationFinished(record: OperationRecord): void {
    if (record.type !== 'BLACKLIST_MOVE') return;
    const executorId = record.request.executorId;
    if (typeof executorId !== 'string') return;
    const ops = this.moves.get(executorId);
    ops?.delete(record.operationId);
    if (ops && ops.size === 0) {
      this.moves.delete(executorId);
      this.guard(this.finish(executorId));
    }
  }

  /** Starts a move for every app with HEALTHY instances on the executor not already being moved. */
  async moveOff(executorId: string): Promise<void> {
    const byApp = new Map<string, string[]>();
    for (const instance of this.model.allInstances()) {
      if (instance.executorId !== executorId || instance.state !== 'HEALTHY') continue;
      const list = byApp.get(instance.appId) ?? [];
      list.push(instance.instanceId);
      byApp.set(instance.appId, list);
    }
    const moving = new Set<string>();
    for (const op of this.operations.list()) {
      if (op.record.type === 'BLACKLIST_MOVE' && op.record.request.executorId === executorId && op.record.target.kind === 'app') {
        moving.add(op.record.target.appId);
      }
    }
    for (const [appId, instanceIds] of byApp) {
      if (moving.has(appId) || !this.model.app(appId)) continue;
      const operationId = await this.commands.submitInternal(appId, 'BLACKLIST_MOVE', { executorId, instanceIds });
      this.track(executorId, operationId);
      this.ctx.logger.info({ executorId, appId, operationId, instances: instanceIds.length }, 'moving instances off a blacklisted executor');
    }
    if (!this.moves.has(executorId)) await this.finish(executorId);
  }

  private track(executorId: string, operationId: string): void {
    const ops = this.moves.get(executorId) ?? new Set<string>();
    ops.add(operationId);
    this.moves.set(executorId, ops);
  }

  private async finish(executorId: string): Promise<void> {
    if (this.ctx.executors.get(executorId)?.record.executorState === 'BLACKLIST_REQUESTED') {
      await this.ctx.executors.setExecutorState(executorId, 'BLACKLISTED');
    }
  }

  private guard(work: Promise<void>): void {
    work.catch((error: unknown) => this.ctx.logger.error({ err: error }, 'blacklist move failed'));
  }
}
