/**
 * The local-services module (docs/localservices.md): local-service operations end to end (the
 * `localservice` operation kind), the monitor that keeps every service at its intent and holds
 * joining executors UNREADY, and retention of old instance records.
 *
 *   load:  services + live instances (re-claim resources) ─▶ listen to executor reports
 *          (then the operation engine resumes active operations)
 *   start: the monitor (periodic adjust, executor readiness) + retention
 *   stop:  the reverse (running operations were halted, not ended: the next leader resumes them)
 */
import type { ControllerContext } from '../context.ts';
import type { ControllerModule } from '../controller-module.ts';
import { InstanceReconciler } from '../instances/instance-reconciler.ts';
import { LocalServiceCommands } from './local-service-commands.ts';
import { LocalServiceModel } from './local-service-model.ts';
import { LocalServiceMonitor } from './local-service-monitor.ts';
import { LocalServiceOperationKind } from './local-service-operation-kind.ts';
import { registerLocalServiceRoutes } from './local-service-routes.ts';
import { LocalServiceSteps } from './local-service-steps.ts';
import { serviceDashboardStats, serviceSummary } from './local-service-views.ts';

export interface LocalServiceModuleOptions {
  /** How often the monitor checks every service and UNREADY executor (Drove: 5 s). Default 5 s. */
  monitorIntervalMs?: number;
  /** Retention sweep period. Default 1 h. */
  retentionIntervalMs?: number;
  /** INACTIVE services untouched this long are destroyed by the sweep (Drove: 7 days); 0 disables. */
  staleServiceAgeMs?: number;
}

export interface LocalServiceModule extends ControllerModule {
  readonly model: LocalServiceModel;
  readonly commands: LocalServiceCommands;
  readonly monitor: LocalServiceMonitor;
  /** One retention pass: old instance records, then stale INACTIVE services. Returns the services destroyed. */
  sweep(): Promise<string[]>;
  /** The `serviceStats` section of the cluster dashboard aggregate (docs/api.md §4.3). */
  dashboard(): Promise<Record<string, unknown>>;
}

/** Old instance records kept per service (Drove: 100) and for at most this long (Drove: 7 days). */
const KEEP_OLD_PER_SERVICE = 100;

export function createLocalServiceModule(ctx: ControllerContext, options: LocalServiceModuleOptions = {}): LocalServiceModule {
  const logger = ctx.logger.child({ component: 'localservices' });
  const model = new LocalServiceModel({ store: ctx.store, events: ctx.events, executors: ctx.executors, ledger: ctx.ledger, clock: ctx.clock, logger });
  const commands = new LocalServiceCommands(ctx, model, ctx.operations);
  const steps = new LocalServiceSteps({
    model,
    executors: ctx.executors,
    ledger: ctx.ledger,
    clock: ctx.clock,
    killTimeoutMs: ctx.config.killTimeoutMs,
    cleanupWaitMs: ctx.config.killTimeoutMs + ctx.config.executorLostAfterMs + 5_000,
    fetchMaxBytes: ctx.config.controllerFetchMaxBytes,
    reconnectWaitMs: ctx.config.executorLostAfterMs,
    tokens: ctx.instanceTokens,
  });
  ctx.operations.registerKind(new LocalServiceOperationKind({
    model, steps, executors: ctx.executors, now: () => ctx.clock.now(),
    deactivate: async (serviceId) => {
      await commands.submitInternal(serviceId, 'DEACTIVATE');
    },
  }));
  const monitor: LocalServiceMonitor = new LocalServiceMonitor({ ...ctx, logger }, model, commands, {
    intervalMs: options.monitorIntervalMs ?? 5_000,
    beforePass: () => instances.sweepAbsentExecutors(),
  });
  const instances: InstanceReconciler = new InstanceReconciler({ ...ctx, logger }, model, {
    startGraceMs: Math.max(10_000, 2 * ctx.config.snapshotIntervalMs),
    onAppsAffected: () => monitor.kick(),
    owns: (report) => report.localService === true,
    storedInstance: (serviceId, instanceId) => ctx.store.getLocalServiceInstance(serviceId, instanceId),
  });
  ctx.operations.onFinished((record) => {
    if (record.target.kind !== 'localservice' || record.createdBy !== 'controller' || record.type !== 'ADJUST_INSTANCES') return;
    monitor.adjustmentEnded(record.target.serviceId, record.state === 'COMPLETED');
  });
  let retentionTimer: NodeJS.Timeout | undefined;
  const staleAgeMs = options.staleServiceAgeMs ?? 7 * 86_400_000;
  const sweep = async (): Promise<string[]> => {
    const now = ctx.clock.now();
    const removed = await ctx.store.pruneLocalServiceInstances(now - ctx.config.instanceRetentionMs, KEEP_OLD_PER_SERVICE);
    if (removed > 0) logger.info({ removed }, 'old local-service instance records deleted');
    const destroyed: string[] = [];
    if (staleAgeMs <= 0 || ctx.cluster.inMaintenance()) return destroyed;
    for (const service of model.listServices()) {
      const stale = service.state === 'INACTIVE' && service.activationState === 'INACTIVE' && now - service.updated >= staleAgeMs;
      if (!stale || model.instanceCount(service.serviceId) > 0) continue;
      try {
        await commands.submitInternal(service.serviceId, 'DESTROY');
        destroyed.push(service.serviceId);
      } catch (error) {
        logger.warn({ err: error, serviceId: service.serviceId }, 'could not destroy a stale local service');
      }
    }
    if (destroyed.length > 0) logger.info({ destroyed }, 'stale INACTIVE local services destroyed');
    return destroyed;
  };

  return {
    name: 'localservices',
    model, commands, monitor, sweep,
    async dashboard() {
      return { serviceStats: serviceDashboardStats(model.listServices().map((s) => serviceSummary(s, model.instances(s.serviceId)))) };
    },
    registerRoutes(app) {
      registerLocalServiceRoutes(app, ctx, model, commands);
    },
    summaryCounts() {
      const { total, active } = model.serviceCounts();
      return { numLocalServices: total, numActiveLocalServices: active };
    },
    async load() {
      await model.load();
      instances.attach();
    },
    async start() {
      ctx.executorReady = (executor) => monitor.isReady(executor);
      monitor.start();
      retentionTimer = setInterval(() => {
        sweep().catch((error: unknown) => logger.error({ err: error }, 'local-service retention sweep failed'));
      }, options.retentionIntervalMs ?? 3_600_000);
      retentionTimer.unref();
    },
    async stop() {
      clearInterval(retentionTimer);
      monitor.stop();
      ctx.executorReady = undefined;
      instances.detach();
      await model.idle();
    },
  };
}
