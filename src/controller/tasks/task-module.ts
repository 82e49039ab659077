/**
 * The tasks module of the controller (issue 3): task operations and reads (API.md §3), node
 * filter fan-out, abort, retention, and the live task model behind them.
 *
 *   start: load active task operations → load non-terminal task records (ledger claims,
 *          maxRunDuration timers, fan-out parents with their subtasks) → pending placements
 *          resume, interrupted kills are re-issued → follow executor reports → timers and
 *          retention sweep
 *   stop:  timers off → stop following executors → retention sweep ends → queued writes settle
 */
import type { TaskRecord } from '../../api/task-types.ts';
import type { ControllerContext, ControllerModule } from '../context.ts';
import { createLogModule } from '../logs/log-module.ts';
import { registerTaskStopper, TaskStopper } from './task-abort.ts';
import { TaskCommands } from './task-commands.ts';
import { TaskFanout } from './task-fanout.ts';
import { TaskManager } from './task-manager.ts';
import { TaskOperationLog } from './task-operations.ts';
import { TaskScheduler } from './task-placement.ts';
import { TaskReconciler } from './task-reconciler.ts';
import { TaskRetention } from './task-retention.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { TaskTimers } from './task-timers.ts';
import { isTerminal, NON_TERMINAL_TASK_STATES } from './task-view.ts';

/** Builds the tasks module. */
export function createTaskModule(ctx: ControllerContext): ControllerModule {
  const manager = new TaskManager(ctx);
  const scheduler = new TaskScheduler(ctx, manager);
  const fanout = new TaskFanout(ctx, manager, scheduler);
  const operations = new TaskOperationLog(ctx);
  const stopper = new TaskStopper(ctx, manager, scheduler, fanout, operations);
  const reconciler = new TaskReconciler(ctx, manager, scheduler, stopper);
  const timers = new TaskTimers(ctx, manager, scheduler, stopper, reconciler);
  const retention = new TaskRetention(ctx);
  const commands = new TaskCommands({ ctx, manager, scheduler, fanout, operations, stopper });
  // Log files of tasks and app instances (API.md §5) come with this module.
  const logs = createLogModule(ctx);

  manager.onTerminal((_live, _before, after) => {
    void operations.finish(after);
    scheduler.kick();
  });

  async function load(): Promise<void> {
    await operations.load();
    const records = await ctx.store.listTasks({ states: NON_TERMINAL_TASK_STATES });
    for (const record of records) timers.track(manager.track(record));
    const parents: TaskRecord[] = [];
    for (const record of records) {
      if (record.subtaskIds) {
        parents.push(record);
        fanout.follow(record, await ctx.store.listTasks({ sourceAppName: record.sourceAppName, parentTaskId: record.taskId }));
        continue;
      }
      const live = manager.get(record.sourceAppName, record.taskId)!;
      if (record.killRequested) {
        const { by, mode } = record.killRequested;
        if (!record.resources) void stopper.stop(live, { by, mode, resultStatus: 'CANCELLED', reason: `${mode} stop by ${by} (resumed after a controller restart)` });
        continue;
      }
      if (record.state !== 'PENDING' || record.resources) continue;
      if (record.parentTaskId) continue; // the parent's slots decide
      if (record.placementDeadline === undefined) {
        await manager.mutate(live, (draft) => {
          draft.placementDeadline = scheduler.deadlineFrom(draft.created, draft);
        });
      }
      scheduler.enqueue(live);
    }
    for (const parent of parents) {
      const live = manager.get(parent.sourceAppName, parent.taskId)!;
      await fanout.recompute(live);
      if (isTerminal(live.record.state)) continue;
      if (parent.killRequested) {
        const { by, mode } = parent.killRequested;
        await stopper.stop(live, { by, mode, resultStatus: 'CANCELLED', reason: `${mode} stop by ${by} (resumed after a controller restart)` });
      } else {
        fanout.fillSlots(live.record);
      }
    }
    // Operations whose task ended while no controller was watching.
    for (const key of operations.keys()) {
      const [sourceAppName, taskId] = key.split('/');
      if (manager.get(sourceAppName, taskId)) continue;
      const record = await ctx.store.getTask(sourceAppName, taskId);
      if (record && isTerminal(record.state)) await operations.finish(record);
      else ctx.logger.warn({ task: key }, 'an active task operation has no task record; it stays as it is');
    }
  }

  /** Catches up with reports the registry already holds (executors that connected before we followed them). */
  function catchUp(): void {
    for (const executor of ctx.executors.list()) {
      if (!executor.connected) continue;
      manager.noteConnected(executor.record.executorId);
      for (const report of executor.tasks.values()) reconciler.report(executor.record.executorId, report);
    }
  }

  return {
    name: 'tasks',
    registerRoutes(app) {
      registerTaskRoutes(app, { ctx, manager, commands, stopper });
      logs.registerRoutes(app);
    },
    async start() {
      await load();
      reconciler.attach();
      catchUp();
      registerTaskStopper(ctx, stopper);
      timers.start();
      retention.start();
      ctx.logger.info({ activeTasks: manager.size, waiting: scheduler.waitingCount }, 'tasks module started');
    },
    async stop() {
      registerTaskStopper(ctx, undefined);
      timers.stop();
      reconciler.detach();
      await retention.stop();
      await manager.settle();
      await operations.settle();
      scheduler.flushStarts();
    },
  };
}
