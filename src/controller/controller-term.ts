/**
 * One leadership term of a controller process: the whole in-memory controller (store view,
 * executor registry, event bus, operation engine, domain modules, routes) built from the store,
 * as a freshly started controller builds it. A process runs one term at a time (controller.ts):
 *
 *   sole     SQLite: the only controller, leader for the life of the process
 *   leader   PostgreSQL lease holder with `epoch`: every store write fenced by it, every
 *            executor frame stamped with it (docs/ha.md)
 *   follower PostgreSQL, not the holder: the routes answer (auth, roles, then 400 not-leader;
 *            the cluster view is served), nothing is loaded into modules, nothing is started,
 *            and its store view refuses every write
 *
 *   leader/sole start: store view ─▶ cluster state + executors loaded ─▶ modules built ─▶ routes
 *           ─▶ (sole: attached to the front server) ─▶ liveness + event pruning ─▶ module.load()
 *           (each) ─▶ operations resumed ─▶ module.start() (each) ─▶ executor frames flow
 *           ─▶ (leader: attached, replacing the previous term) ─▶ (LEADERSHIP_LOST for a
 *           predecessor that did not hand over) ─▶ LEADERSHIP_ACQUIRED
 *   stop:   (LEADERSHIP_LOST when handing over on purpose) ─▶ operations halted ─▶ modules
 *           stopped (last started first) ─▶ executor channels closed ─▶ event streams ended;
 *           still answering requests, as a non-leader, until the next term is attached
 *   close:  stop ─▶ detached ─▶ Fastify app closed ─▶ events flushed
 *
 * A failure part-way through start undoes what was started and rethrows.
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../common/clock.ts';
import type { Logger } from '../common/logger.ts';
import { ClusterStateManager } from './cluster/cluster-state.ts';
import { registerClusterDashboardRoute } from './cluster/cluster-dashboard.ts';
import { registerClusterRoutes } from './cluster/cluster-routes.ts';
import type { CoreServices } from './cluster/core-services.ts';
import { ExecutorBlacklisting } from './cluster/executor-blacklisting.ts';
import { registerExecutorRoutes } from './cluster/executor-routes.ts';
import { liveWorkloadCounts, storedWorkloadCounts } from './cluster/workload-counts.ts';
import type { ControllerConfig } from './config.ts';
import type { ControllerContext } from './context.ts';
import type { ModuleFactory } from './controller-module.ts';
import { createLogModule } from './logs/log-module.ts';
import { createOperationsModule, type OperationsModule } from './operations/operations-module.ts';
import { StoreEventBus } from './events/event-bus.ts';
import { registerEventRoutes } from './events/event-routes.ts';
import { registerEventStream } from './events/event-stream.ts';
import { registerRuleDryRunRoutes } from './scheduler/rule-dryrun-routes.ts';
import { registerExecutorChannel } from './executors/executor-channel.ts';
import { LiveExecutorRegistry } from './executors/executor-registry.ts';
import { registerDashboardRoutes } from './http/dashboard-routes.ts';
import type { FrontServer } from './http/front-server.ts';
import { ControllerMetrics } from './http/http-metrics.ts';
import { createHttpServer } from './http/http-server.ts';
import { InstanceTokens } from './http/instance-tokens.ts';
import { registerClusterMetrics } from './http/cluster-metrics.ts';
import { WorkloadUsageBook } from './executors/workload-usage.ts';
import { addressOf, type Leadership } from './http/leadership.ts';
import { CapacityIndex } from './scheduler/capacity-index.ts';
import { ResourceLedger } from './scheduler/resource-ledger.ts';
import { guardStore, StoreHealth } from './store/store-health.ts';
import type { Store } from './store/store.ts';

export type TermRole = { kind: 'sole' } | { kind: 'leader'; epoch: number; nodeId: string; previousLeader?: string } | { kind: 'follower' };

export interface TermOptions {
  config: ControllerConfig;
  /** The process's store (the term takes a fenced view of it and never closes it). */
  store: Store;
  role: TermRole;
  leadership: Leadership;
  front: FrontServer;
  /** This controller's `host:port` as events and the cluster summary show it. */
  address: string;
  modules: readonly ModuleFactory[];
  clock: Clock;
  logger: Logger;
  eventStreamHeartbeatMs?: number;
}

export interface Term {
  readonly role: TermRole;
  ctx: ControllerContext;
  operations: OperationsModule;
  app: FastifyInstance;
  /**
   * Stops acting (operations halted, modules stopped, channels and streams closed) but keeps
   * answering requests (as a non-leader) until the next term is attached, so a client is told
   * "not the leader" rather than "no one here". `handingOver`: leadership is given up on
   * purpose (LEADERSHIP_LOST is announced).
   */
  stop(handingOver?: boolean): Promise<void>;
  /** stop(), then detached from the front server (if still attached) and its app closed. */
  close(handingOver?: boolean): Promise<void>;
}

/** Leadership event metadata: Drove's `HOSTNAME`, and the `PORT` that tells controllers of one host apart. */
function hostAndPort(address: string): { HOSTNAME: string; PORT?: number } {
  const match = /^(.*):(\d+)$/.exec(address);
  return match ? { HOSTNAME: match[1], PORT: Number(match[2]) } : { HOSTNAME: address };
}

/** Builds (and for a leader, starts) one term and attaches it to the front server. */
export async function startTerm(options: TermOptions): Promise<Term> {
  const { config, role, leadership, front, clock } = options;
  const logger = role.kind === 'sole' ? options.logger : options.logger.child({ role: role.kind, ...(role.kind === 'leader' ? { epoch: role.epoch } : {}) });
  const leads = role.kind !== 'follower';
  // Two stacks: what stops the term acting, and what it needs to answer requests (undone last).
  const undo: (() => Promise<unknown>)[] = [];
  const undoServing: (() => Promise<unknown>)[] = [];
  const unwind = async (steps: (() => Promise<unknown>)[]) => {
    for (const step of steps.splice(0).reverse()) await step().catch((error: unknown) => logger.error({ err: error }, 'controller shutdown step failed'));
  };
  const rollback = async () => {
    await unwind(undo);
    await unwind(undoServing);
  };

  const base = options.store;
  const view = role.kind === 'leader' ? base.withFence?.({ holder: role.nodeId, epoch: role.epoch }) ?? base
    : role.kind === 'follower' ? base.withFence?.('refuse') ?? base
      : base;
  const storeHealth = new StoreHealth({ probe: () => view.probe(), logger: logger.child({ component: 'store' }) });
  undoServing.push(async () => storeHealth.stop());
  let executorsByState: () => Record<string, number> = () => ({});
  const metrics = new ControllerMetrics(() => executorsByState());
  // Every module writes through this: a write the store cannot take becomes a 503, never a crash.
  const store = guardStore(metrics.timeStoreWrites(view), storeHealth);
  const slot = front.slot();
  try {
    const ledger = new ResourceLedger();
    const eventBus = new StoreEventBus({ store, clock, logger });
    undoServing.push(() => eventBus.stop());
    const cluster = new ClusterStateManager({ store, clock, maintenanceGraceMs: config.maintenanceGraceMs });
    await cluster.load();
    const registry = new LiveExecutorRegistry({
      store, ledger, events: eventBus, clock, logger,
      snapshotIntervalMs: config.snapshotIntervalMs,
      lostAfterMs: config.executorLostAfterMs,
      removedAfterMs: config.executorRemovedAfterMs,
      epoch: role.kind === 'leader' ? role.epoch : 0,
      mayCommand: () => leadership.isLeader(),
      // Called only once executors connect, after `ctx` below exists.
      isReady: (record) => ctx.executorReady?.(record) ?? true,
    });
    await registry.load();
    executorsByState = () => registry.countsByState();

    // Per term: a new leader signs with a key of its own, made at its first mint (docs/api.md §4.10).
    const instanceTokens = new InstanceTokens({ store, clock, logger });
    await instanceTokens.start();

    const hostname = options.address.replace(/:\d+$/, '');
    const operations = createOperationsModule({ store, events: eventBus, clock, logger, retentionMs: config.operationRetentionMs, health: storeHealth });
    const usage = new WorkloadUsageBook(registry, clock);
    const capacity = new CapacityIndex(registry, ledger);
    const clusterMetrics = registerClusterMetrics(metrics.registry, { executors: registry, ledger, usage, operations: operations.engine, events: eventBus });
    undoServing.push(async () => clusterMetrics.close());
    const ctx: ControllerContext = {
      config, store, executors: registry, events: eventBus, cluster, ledger, capacity, operations: operations.engine, clock, logger,
      defaultOpSpec: config.defaultOpSpec,
      leaderAddress: options.address,
      instanceTokens,
      usage,
      observePlacement: clusterMetrics.observePlacement,
    };
    cluster.attachEvents(eventBus, hostname);
    const blacklisting = new ExecutorBlacklisting({
      registry, store, logger, parallelism: config.defaultOpSpec.parallelism,
      movesInstances: () => ctx.movesInstancesOffBlacklisted === true,
      isReady: (executorId) => {
        const record = registry.get(executorId)?.record;
        return !record || (ctx.executorReady?.(record) ?? true);
      },
    });
    // The modules count their records once they hold them; until then (a follower, always) the store answers.
    let modulesLoaded = false;
    const services: CoreServices = {
      ctx, registry, capacity, cluster, eventBus, blacklisting,
      workloadCounts: () => modulesLoaded ? liveWorkloadCounts(modules) : storedWorkloadCounts(store),
      leaderAddress: () => {
        if (leadership.isLeader()) return options.address;
        const url = leadership.leaderUrl();
        return url ? addressOf(url) : '';
      },
      controllers: leadership.members ? () => leadership.members!() : undefined,
    };

    const modules = options.modules.map((factory) => factory(ctx));
    const logs = createLogModule(ctx);

    // A follower term never serves as leader, even in the moment its process has just won the
    // lease and the leader term is still loading.
    const gate: Leadership = {
      isLeader: () => leads && leadership.isLeader(),
      leaderUrl: () => leadership.leaderUrl(),
      ...(leadership.members ? { members: () => leadership.members!() } : {}),
    };
    const app = await createHttpServer({ config, logger, leadership: gate, metrics, instanceTokens, serverFactory: slot.serverFactory });
    undoServing.push(() => app.close());
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => { markReady = resolve; });
    registerExecutorChannel(app, {
      registry, clusterSecret: config.clusterSecret, logger, ready, isLeader: gate.isLeader,
      onRoundTrip: (seconds) => metrics.channelRoundTrip.observe(seconds),
    });
    registerClusterRoutes(app, services);
    registerClusterDashboardRoute(app, services, modules);
    registerExecutorRoutes(app, services);
    registerRuleDryRunRoutes(app, cluster);
    registerEventRoutes(app, store);
    const streams = registerEventStream(app, {
      events: eventBus, store, logger, heartbeatMs: options.eventStreamHeartbeatMs, maxStreamsPerUser: config.maxEventStreamsPerUser,
    });
    operations.registerRoutes(app);
    logs.registerRoutes(app);
    for (const module of modules) module.registerRoutes(app);
    registerDashboardRoutes(app, config);
    await app.ready();

    // A single controller answers while it loads, as it always has; a leader of several only
    // once loaded (its predecessor's term answers "not the leader" meanwhile), a follower at once.
    const attach = () => {
      front.attach(slot);
      undoServing.push(async () => front.detach(slot));
    };
    if (role.kind !== 'leader') attach();
    // Channels and streams end before the app closes, so closing never waits on them.
    undo.push(async () => streams.closeAll());
    undo.push(() => registry.stop());
    const halted = { done: false };
    if (leads) {
      registry.start();
      eventBus.start(config.eventRetentionMs);
      for (const module of modules) await module.load?.();
      modulesLoaded = true;
      await operations.resume();
      // Runs are halted before any module stops, so no run outlives the model it works on.
      const halt = async () => {
        halted.done = true;
        await operations.halt();
      };
      for (const module of modules) {
        await module.start();
        undo.push(() => module.stop());
      }
      undo.push(halt);
      // First thing on stopping: release runs paused for the store's health. A deposed leader's
      // probes are fenced and never succeed, so waiting for health would hold its halt for ever.
      undo.push(async () => storeHealth.stop());
      markReady();
      if (role.kind === 'leader') attach();
      if (role.kind === 'leader' && role.previousLeader) await eventBus.emit('LEADERSHIP_LOST', hostAndPort(role.previousLeader));
      await eventBus.emit('LEADERSHIP_ACQUIRED', hostAndPort(options.address));
    }
    logger.info({ store: store.kind, modules: modules.map((m) => m.name), executors: registry.list().length }, leads ? 'controller leading' : 'controller following');

    let stopping: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    const stop = (handingOver = false) => {
      stopping ??= (async () => {
        if (leads && handingOver && leadership.isLeader()) await eventBus.emit('LEADERSHIP_LOST', hostAndPort(options.address)).catch(() => undefined);
        markReady();
        await unwind(undo);
      })();
      return stopping;
    };
    return {
      role,
      ctx,
      operations,
      app,
      stop,
      close: (handingOver = false) => {
        closing ??= (async () => {
          await stop(handingOver);
          await unwind(undoServing);
        })();
        return closing;
      },
    };
  } catch (error) {
    await rollback();
    throw error;
  }
}
