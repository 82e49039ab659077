/**
 * Starts and stops a controller.
 *
 *   start:  open store (migrations) ─▶ load cluster state + executors ─▶ build context
 *           ─▶ construct modules ─▶ register routes ─▶ listen ─▶ liveness + event pruning
 *           ─▶ module.start() (each) ─▶ executor channel frames flow ─▶ LEADERSHIP_ACQUIRED
 *   close:  the reverse: modules stopped (last started first) ─▶ executor channels closed
 *           ─▶ event streams ended ─▶ HTTP server closed ─▶ events flushed ─▶ store closed
 *
 * A failure part-way through start undoes what was started and rethrows.
 */
import { hostname as osHostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../common/clock.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import { ClusterStateManager } from './cluster/cluster-state.ts';
import { registerClusterRoutes } from './cluster/cluster-routes.ts';
import type { CoreServices } from './cluster/core-services.ts';
import { ExecutorBlacklisting } from './cluster/executor-blacklisting.ts';
import { registerExecutorRoutes } from './cluster/executor-routes.ts';
import type { ControllerConfig } from './config.ts';
import type { ControllerContext, ControllerModule } from './context.ts';
import { StoreEventBus } from './events/event-bus.ts';
import { registerEventRoutes } from './events/event-routes.ts';
import { registerEventStream } from './events/event-stream.ts';
import { registerExecutorChannel } from './executors/executor-channel.ts';
import { LiveExecutorRegistry } from './executors/executor-registry.ts';
import { ControllerMetrics } from './http/http-metrics.ts';
import { createHttpServer } from './http/http-server.ts';
import { soleLeader } from './http/leadership.ts';
import { ResourceLedger } from './scheduler/resource-ledger.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

/** Builds one domain module from the context. */
export type ModuleFactory = (ctx: ControllerContext) => ControllerModule;

export interface StartControllerOptions {
  /** Domain modules; default: `defaultModuleFactories()` (tasks + applications). */
  modules?: ModuleFactory[];
  clock?: Clock;
  logger?: Logger;
  /** An already-open store to use instead of opening `config.store` (it is still closed by `close()`). */
  store?: Store;
  /** Heartbeat period of the SSE event stream (default 15 s). */
  eventStreamHeartbeatMs?: number;
}

export interface RunningController {
  /** Base URL, e.g. `http://127.0.0.1:4000` (the real port when `config.port` was 0). */
  url: string;
  ctx: ControllerContext;
  /** The Fastify instance (for `inject` in tests). */
  app: FastifyInstance;
  /** Stops everything in reverse order; safe to call twice. */
  close(): Promise<void>;
}

/**
 * The default module list, kept in one place for the lead to wire: each factory is taken only
 * when its file exists and exports it (the modules are being written alongside this one).
 */
export async function defaultModuleFactories(logger?: Logger): Promise<ModuleFactory[]> {
  const candidates = [
    { file: './tasks/task-module.ts', exportName: 'createTaskModule' },
    { file: './apps/app-module.ts', exportName: 'createAppModule' },
  ];
  const factories: ModuleFactory[] = [];
  for (const { file, exportName } of candidates) {
    const url = new URL(file, import.meta.url).href;
    let loaded: Record<string, unknown>;
    try {
      loaded = await import(url) as Record<string, unknown>;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { url?: string };
      if (e.code === 'ERR_MODULE_NOT_FOUND' && (e.url === url || e.message.includes(file.slice(2)))) {
        logger?.warn({ module: file }, 'controller module not present yet: skipped');
        continue;
      }
      throw error;
    }
    const factory = loaded[exportName];
    if (typeof factory === 'function') factories.push(factory as ModuleFactory);
    else logger?.warn({ module: file, exportName }, 'controller module does not export its factory yet: skipped');
  }
  return factories;
}

function advertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? osHostname() : host;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a controller and resolves once it listens and its modules have started. */
export async function startController(config: ControllerConfig, options: StartControllerOptions = {}): Promise<RunningController> {
  const logger = options.logger ?? createLogger('controller');
  const clock = options.clock ?? systemClock;
  const undo: (() => Promise<unknown>)[] = [];
  const rollback = async () => {
    for (const step of undo.reverse()) await step().catch((error: unknown) => logger.error({ err: error }, 'controller shutdown step failed'));
  };

  const store = options.store ?? await openStore(config.store, { logger });
  undo.push(() => store.close());
  try {
    const ledger = new ResourceLedger();
    const eventBus = new StoreEventBus({ store, clock, logger });
    undo.push(() => eventBus.stop());
    const cluster = new ClusterStateManager({ store, clock, maintenanceGraceMs: config.maintenanceGraceMs });
    await cluster.load();
    const registry = new LiveExecutorRegistry({
      store, ledger, events: eventBus, clock, logger,
      snapshotIntervalMs: config.snapshotIntervalMs,
      lostAfterMs: config.executorLostAfterMs,
      removedAfterMs: config.executorRemovedAfterMs,
    });
    await registry.load();

    const host = advertisedHost(config.host);
    const ctx: ControllerContext = {
      config, store, executors: registry, events: eventBus, cluster, ledger, clock, logger,
      defaultOpSpec: config.defaultOpSpec,
      leaderAddress: `${host}:${config.port}`,
    };
    cluster.attachEvents(eventBus, host);
    const blacklisting = new ExecutorBlacklisting({
      registry, store, logger, parallelism: config.defaultOpSpec.parallelism,
      movesInstances: () => ctx.movesInstancesOffBlacklisted === true,
    });
    const services: CoreServices = { ctx, registry, cluster, eventBus, blacklisting };

    const factories = options.modules ?? await defaultModuleFactories(logger);
    const modules = factories.map((factory) => factory(ctx));

    const listening: { url?: string } = {};
    const metrics = new ControllerMetrics(() => registry.countsByState());
    const app = await createHttpServer({ config, logger, leadership: soleLeader(() => listening.url), metrics });
    undo.push(() => app.close());
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    registerExecutorChannel(app, { registry, clusterSecret: config.clusterSecret, logger, ready });
    registerClusterRoutes(app, services);
    registerExecutorRoutes(app, services);
    registerEventRoutes(app, store);
    const streams = registerEventStream(app, { events: eventBus, store, logger, heartbeatMs: options.eventStreamHeartbeatMs });
    for (const module of modules) module.registerRoutes(app);

    await app.listen({ host: config.host, port: config.port });
    const port = (app.server.address() as AddressInfo).port;
    const url = `http://${urlHost(config.host)}:${port}`;
    listening.url = url;
    ctx.leaderAddress = `${host}:${port}`;
    // Channels and streams end before the server closes, so close() never waits on them.
    undo.push(async () => streams.closeAll());
    undo.push(() => registry.stop());
    registry.start();
    eventBus.start(config.eventRetentionMs);

    for (const module of modules) {
      await module.start();
      undo.push(() => module.stop());
    }
    markReady();
    await eventBus.emit('LEADERSHIP_ACQUIRED', { HOSTNAME: host });
    logger.info({ url, store: store.kind, modules: modules.map((m) => m.name), executors: registry.list().length }, 'controller listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      ctx,
      app,
      close: () => {
        closing ??= (async () => {
          logger.info({ url }, 'controller stopping');
          markReady();
          await rollback();
        })();
        return closing;
      },
    };
  } catch (error) {
    await rollback();
    throw error;
  }
}
