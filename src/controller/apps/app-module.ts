/**
 * The applications module: application operations end to end (the `app` operation kind),
 * recovery, blacklist moves, service discovery and retention.
 *
 *   load:  apps + live instances (re-claim resources) ─▶ listen to executor reports
 *          (then the operation engine resumes active operations)
 *   start: blacklist moves ─▶ periodic reconcile + retention
 *   stop:  the reverse (running operations were halted, not ended: the next leader resumes them)
 */
import type { ControllerContext } from '../context.ts';
import type { ControllerModule } from '../controller-module.ts';
import { registerEndpointRoutes } from './endpoint-routes.ts';
import { registerInstanceApiRoutes } from './instance-api-routes.ts';
import { AppReconciler } from './app-reconciler.ts';
import { BlacklistMover } from './blacklist-mover.ts';
import { InstanceReconciler } from '../instances/instance-reconciler.ts';
import { AppRetention } from './app-retention.ts';
import { place } from '../scheduler/placement.ts';
import { CandidateCache } from '../scheduler/candidate-cache.ts';
import type { AppServices } from './app-services.ts';
import { AppCommands } from './app-commands.ts';
import { AppModel, TERMINAL_INSTANCE_STATES } from './app-model.ts';
import { AppOperationKind } from './app-operation-kind.ts';
import { registerAppRoutes } from './app-routes.ts';
import { AppSteps, type PlaceFunction } from './app-steps.ts';
import { appDashboardStats } from './app-views.ts';

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
}

/** The module plus its parts, for tests and the benchmarks. */
export interface AppModule extends ControllerModule {
  readonly model: AppModel;
  readonly commands: AppCommands;
  readonly reconciler: AppReconciler;
  readonly instances: InstanceReconciler;
  readonly retention: AppRetention;
}

export function createAppModule(ctx: ControllerContext, options: AppModuleOptions = {}): AppModule {
  const logger = ctx.logger.child({ component: 'apps' });
  const model = new AppModel({ store: ctx.store, events: ctx.events, executors: ctx.executors, ledger: ctx.ledger, clock: ctx.clock, logger });
  const steps = new AppSteps({
    model,
    executors: ctx.executors,
    placement: { executors: ctx.executors, ledger: ctx.ledger, observePlacement: ctx.observePlacement, candidates: new CandidateCache(), capacity: ctx.capacity },
    place: options.place ?? place,
    clock: ctx.clock,
    killTimeoutMs: ctx.config.killTimeoutMs,
    cleanupWaitMs: ctx.config.killTimeoutMs + ctx.config.executorLostAfterMs + 5_000,
    fetchMaxBytes: ctx.config.controllerFetchMaxBytes,
    tokens: ctx.instanceTokens,
  });
  ctx.operations.registerKind(new AppOperationKind({
    model, steps, now: () => ctx.clock.now(),
    hasSuccessor: (op) => ctx.operations.pending(op.record.target).some((other) => other !== op),
  }));
  const commands = new AppCommands(ctx, model, ctx.operations);
  const services: AppServices = { ctx: { ...ctx, logger }, model, operations: ctx.operations, commands };
  const instances: InstanceReconciler = new InstanceReconciler({ ...ctx, logger }, model, {
    startGraceMs: Math.max(10_000, 2 * ctx.config.snapshotIntervalMs),
    onAppsAffected: (appIds) => reconciler.kick(appIds),
    owns: (report) => report.localService !== true,
    storedInstance: (appId, instanceId) => ctx.store.getInstance(appId, instanceId),
  });
  const reconciler: AppReconciler = new AppReconciler(services, {
    intervalMs: options.reconcileIntervalMs ?? 10_000,
    backoffBaseMs: options.recoverBackoffMs ?? 10_000,
    beforePass: () => instances.sweepAbsentExecutors(),
  });
  const mover = new BlacklistMover(services);
  const retention = new AppRetention(services, {
    intervalMs: options.retentionIntervalMs ?? 3_600_000,
    staleAppAgeMs: options.staleAppAgeMs ?? 7 * 86_400_000,
  });
  ctx.operations.onFinished((record) => {
    if (record.target.kind !== 'app') return;
    reconciler.operationFinished(record);
    mover.operationFinished(record);
  });

  return {
    name: 'applications',
    model, commands, reconciler, instances, retention,
    registerRoutes(app) {
      registerAppRoutes(app, ctx, model, commands);
      registerEndpointRoutes(app, ctx, model);
      registerInstanceApiRoutes(app, model);
    },
    async dashboard() {
      return { appStats: appDashboardStats(model) };
    },
    summaryCounts() {
      const { total, active } = model.appCounts();
      return { numApplications: total, numActiveApplications: active };
    },
    async load() {
      await model.load();
      instances.attach();
      // Signing keys older than every running instance's start can go (docs/api.md §4.10).
      let oldest = ctx.clock.now();
      for (const record of model.allInstances()) if (!TERMINAL_INSTANCE_STATES.has(record.state)) oldest = Math.min(oldest, record.created);
      await ctx.instanceTokens.prune(oldest).catch((error: unknown) => logger.warn({ err: error }, 'could not drop old instance-token keys'));
    },
    async start() {
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
      await model.idle();
    },
  };
}
