/**
 * The applications module (issues 4 and 5): application operations end to end, the operation
 * engine and its abort API, recovery, blacklist moves, service discovery and retention.
 *
 *   start: load apps + live instances (re-claim resources) ─▶ listen to executor reports
 *          ─▶ resume active operations ─▶ blacklist moves ─▶ periodic reconcile + retention
 *   stop:  the reverse; running operations are halted, not ended (the next leader resumes them)
 */
import type { ControllerContext, ControllerModule } from '../context.ts';
import { registerEndpointRoutes } from '../endpoints/endpoint-routes.ts';
import { OperationAborts, type AbortTasksFunction } from '../operations/operation-abort.ts';
import { OperationEngine } from '../operations/operation-engine.ts';
import { registerOperationRoutes } from '../operations/operation-routes.ts';
import { AppReconciler } from '../reconciler/app-reconciler.ts';
import { BlacklistMover } from '../reconciler/blacklist-mover.ts';
import { InstanceReconciler } from '../reconciler/instance-reconciler.ts';
import { RetentionSweeper } from '../reconciler/retention-sweeper.ts';
import { place } from '../scheduler/placement.ts';
import type { AppServices } from '../reconciler/app-services.ts';
import { AppCommands } from './app-commands.ts';
import { AppModel } from './app-model.ts';
import { AppOperationRunner } from './app-operation-runner.ts';
import { registerAppRoutes } from './app-routes.ts';
import { AppSteps, type PlaceFunction } from './app-steps.ts';

export interface AppModuleOptions {
  /** Periodic app check (Drove: 30 s). Default 10 s. */
  reconcileIntervalMs?: number;
  /** First delay of the failed-recovery backoff. Default 10 s. */
  recoverBackoffMs?: number;
  /** Retention sweep period. Default 1 h. */
  retentionIntervalMs?: number;
  /** MONITORING apps untouched this long are destroyed (Drove: 7 days); 0 disables. */
  staleAppAgeMs?: number;
  /** Placement function (tests may substitute one). Default: the scheduler's `place`. */
  place?: PlaceFunction;
  /** Task-operation abort (tests); default: `abortTasks` of src/controller/tasks/task-abort.ts. */
  abortTasks?: AbortTasksFunction;
}

/** The module plus its parts, for tests and the benchmarks. */
export interface AppModule extends ControllerModule {
  readonly model: AppModel;
  readonly engine: OperationEngine;
  readonly commands: AppCommands;
  readonly reconciler: AppReconciler;
  readonly instances: InstanceReconciler;
  readonly retention: RetentionSweeper;
}

export function createAppModule(ctx: ControllerContext, options: AppModuleOptions = {}): AppModule {
  const logger = ctx.logger.child({ component: 'apps' });
  const model = new AppModel({ store: ctx.store, events: ctx.events, executors: ctx.executors, ledger: ctx.ledger, clock: ctx.clock, logger });
  const steps = new AppSteps({
    model,
    executors: ctx.executors,
    placement: { executors: ctx.executors, ledger: ctx.ledger },
    place: options.place ?? place,
    clock: ctx.clock,
    killTimeoutMs: ctx.config.killTimeoutMs,
    cleanupWaitMs: ctx.config.killTimeoutMs + ctx.config.executorLostAfterMs + 5_000,
  });
  const runner = new AppOperationRunner({ model, steps, now: () => ctx.clock.now() });
  // The reconciler and mover are created after the engine that reports to them.
  const finished: ((record: import('../../api/operation-types.ts').OperationRecord) => void)[] = [];
  const engine = new OperationEngine({
    store: ctx.store, events: ctx.events, clock: ctx.clock, logger, runner,
    onFinished: (record) => finished.forEach((listener) => listener(record)),
  });
  const commands = new AppCommands(ctx, model, engine);
  const services: AppServices = { ctx: { ...ctx, logger }, model, engine, commands };
  const instances: InstanceReconciler = new InstanceReconciler({ ...ctx, logger }, model, {
    startGraceMs: Math.max(10_000, 2 * ctx.config.snapshotIntervalMs),
    onAppsAffected: (appIds) => reconciler.kick(appIds),
  });
  const reconciler: AppReconciler = new AppReconciler(services, {
    intervalMs: options.reconcileIntervalMs ?? 10_000,
    backoffBaseMs: options.recoverBackoffMs ?? 10_000,
    beforePass: () => instances.sweepAbsentExecutors(),
  });
  const mover = new BlacklistMover(services);
  const retention = new RetentionSweeper(services, {
    intervalMs: options.retentionIntervalMs ?? 3_600_000,
    staleAppAgeMs: options.staleAppAgeMs ?? 7 * 86_400_000,
  });
  const aborts = new OperationAborts(ctx, engine, options.abortTasks);
  finished.push((record) => reconciler.operationFinished(record), (record) => mover.operationFinished(record));

  return {
    name: 'applications',
    model, engine, commands, reconciler, instances, retention,
    registerRoutes(app) {
      registerAppRoutes(app, ctx, model, commands);
      registerOperationRoutes(app, ctx, engine, aborts);
      registerEndpointRoutes(app, ctx, model);
    },
    async start() {
      await model.load();
      instances.attach();
      const resumed = await engine.resume();
      if (resumed > 0) logger.info({ resumed }, 'resumed application operations');
      mover.start();
      // The blacklist endpoint now leaves BLACKLISTED to the mover (after the moves).
      ctx.movesInstancesOffBlacklisted = true;
      reconciler.start();
      retention.start();
      await retention.sweep().catch((error: unknown) => logger.error({ err: error }, 'retention sweep failed'));
    },
    async stop() {
      retention.stop();
      reconciler.stop();
      mover.stop();
      ctx.movesInstancesOffBlacklisted = false;
      instances.detach();
      await engine.stop();
      await model.idle();
    },
  };
}
