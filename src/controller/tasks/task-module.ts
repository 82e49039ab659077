/**
 * The tasks module of the controller: task operations and reads (docs/api.md §3), node-filter
 * fan-out, abort, retention, and the live task model behind them. Its operations run through
 * the operation engine as the `task` kind (task-operation-kind.ts).
 *
 *   load:  non-terminal task records (ledger claims, maxRunDuration timers, fan-out parents with
 *          their subtasks) → pending placements resume, interrupted kills are re-issued
 *          (then the operation engine resumes the CREATE and KILL operations)
 *   start: follow executor reports → timers and retention sweep
 *   stop:  timers off → stop following executors → retention sweep ends → queued writes settle
 */
import { toTaskInfo } from '../../api/task-info.ts';
import type { TaskRecord } from '../../api/task-types.ts';
import type { ControllerContext } from '../context.ts';
import type { ControllerModule } from '../controller-module.ts';
import { TaskCommands } from './task-commands.ts';
import { TaskFanout } from './task-fanout.ts';
import { TaskManager } from './task-manager.ts';
import { TaskOperationKind } from './task-operation-kind.ts';
import { TaskReconciler } from './task-reconciler.ts';
import { TaskRetention } from './task-retention.ts';
import { registerTaskRoutes } from './task-routes.ts';
import { TaskScheduler } from './task-scheduler.ts';
import { TaskStopper } from './task-stopper.ts';
import { TaskTimers } from './task-timers.ts';
import { isTerminal, NON_TERMINAL_TASK_STATES } from './task-view.ts';

/** Builds the tasks module and registers its operation kind. */
export function createTaskModule(ctx: ControllerContext): ControllerModule {
  const manager = new TaskManager(ctx);
  const scheduler = new TaskScheduler(ctx, manager);
  const fanout = new TaskFanout(ctx, manager, scheduler);
  const stopper = new TaskStopper(ctx, manager, scheduler, fanout);
  const reconciler = new TaskReconciler(ctx, manager, scheduler, stopper);
  const timers = new TaskTimers(ctx, manager, scheduler, stopper, reconciler);
  const retention = new TaskRetention(ctx);
  const commands = new TaskCommands({ ctx, manager, scheduler, fanout, stopper });
  ctx.operations.registerKind(new TaskOperationKind({ ctx, manager, fanout, stopper }));

  manager.onTerminal(() => scheduler.kick());

  async function load(): Promise<void> {
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
        // Unplaced, or placed but never acknowledged (still PENDING): ended here; otherwise the
        // executor's reports carry the stop on (re-sent when it reconnects).
        const { by, mode } = record.killRequested;
        if (!record.resources || record.state === 'PENDING') {
          await stopper.stop(live, { by, mode, resultStatus: 'CANCELLED', reason: `${mode} stop by ${by} (resumed after a controller restart)` });
        }
        continue;
      }
      if (record.state !== 'PENDING' || record.resources) continue;
      if (record.parentTaskId) continue; // released by the fan-out's operation when it resumes
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
      if (isTerminal(live.record.state) || !parent.killRequested) continue;
      const { by, mode } = parent.killRequested;
      await stopper.stop(live, { by, mode, resultStatus: 'CANCELLED', reason: `${mode} stop by ${by} (resumed after a controller restart)` });
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
    },
    /** `taskStats` (docs/api.md §4.3): retained tasks per state, the ten most recently updated. */
    async dashboard() {
      const records = await ctx.store.listTasks({});
      const taskCountByState: Record<string, number> = {};
      for (const record of records) taskCountByState[record.state] = (taskCountByState[record.state] ?? 0) + 1;
      const topTasks = records.sort((a, b) => b.updated - a.updated || (a.taskId < b.taskId ? -1 : 1)).slice(0, 10).map(toTaskInfo);
      return { taskStats: { taskCountByState, topTasks } };
    },
    summaryCounts() {
      return { numActiveTasks: manager.activeCount };
    },
    load,
    async start() {
      reconciler.attach();
      catchUp();
      timers.start();
      retention.start();
      ctx.logger.info({ activeTasks: manager.size, waiting: scheduler.waitingCount }, 'tasks module started');
    },
    async stop() {
      timers.stop();
      reconciler.detach();
      await retention.stop();
      await manager.settle();
      scheduler.flushStarts();
    },
  };
}
