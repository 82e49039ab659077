/**
 * The executor agent (`corral executor`): restores its workloads from the data dir, dials the
 * controllers, and runs what they send through the runner and the drivers.
 *
 *   start ─▶ lock data dir ─▶ identity key ─▶ detect drivers ─▶ restore workloads ─▶ connect ─▶ hello
 *     ─▶ welcome ─▶ snapshot (now and every snapshotIntervalMs) + every change reported (the
 *                   task reports of one event-loop turn share a frame, and so do the instance
 *                   reports: report-outbox.ts)
 *   stop({ killWorkloads: false }) — shutdown scope: workloads keep running, are restored next time
 *   stop({ killWorkloads: true })  — kill scope: every workload is stopped (SIGTERM → kill timeout
 *                                    → SIGKILL) and reported STOPPED before the agent exits
 *
 * Work keeps running while the controller is away; the snapshot sent on reconnect carries
 * whatever changed meanwhile.
 */
import type { ControllerMessage, HelloMessage, SnapshotMessage, WelcomeMessage } from '../../api/channel-protocol.ts';
import { FEATURE_START_TASKS, FEATURE_STATS } from '../../api/channel-protocol.ts';
import type { ExecutorHostInfo, ExecutorIdentity, ExecutorState } from '../../api/cluster-types.ts';
import { isIdentifier } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import { createLogger, logRejection } from '../../common/logger.ts';
import { offers } from '../drivers/driver.ts';
import { readHostTopology } from '../host/host-topology.ts';
import { LogRotator } from '../logs/log-rotator.ts';
import { LogShipper } from '../logs/log-shipper.ts';
import { createHookCatalog } from '../runner/hook-catalog.ts';
import { PortAllocator } from '../runner/port-allocator.ts';
import { WorkloadStore } from '../state/workload-store.ts';
import { ControllerChannel } from './controller-channel.ts';
import type { DataDirLock } from './data-dir-lock.ts';
import { lockDataDir } from './data-dir-lock.ts';
import type { DriverCatalog } from './driver-catalog.ts';
import { createDriverCatalog } from './driver-catalog.ts';
import type { ExecutorConfig, ExecutorOptions } from './executor-options.ts';
import { compileExecutorOptions } from './executor-options.ts';
import { loadIdentityKey } from './identity-key.ts';
import { answerLogRequest } from './log-request-handler.ts';
import { ReportOutbox } from './report-outbox.ts';
import { StatsSampler } from './stats-sampler.ts';
import { WorkloadRegistry } from './workload-registry.ts';

export const CORRAL_VERSION = '0.1.0';
const MIN_SNAPSHOT_INTERVAL_MS = 100;
const CLEANUP_INTERVAL_MS = 3_600_000;

export interface ExecutorAgent {
  readonly executorId: string;
  readonly identity: ExecutorIdentity;
  readonly dataDir: string;
  /** True while a welcomed connection to a controller is up. */
  isConnected(): boolean;
  /** The state the controller last gave this executor (undefined before the first welcome). */
  executorState(): ExecutorState | undefined;
  /** What the next snapshot would say. */
  snapshot(): SnapshotMessage;
  /**
   * Simulation (`corral sim`): cut this agent off the network (`true`) or heal it (`false`).
   * Its workloads keep running meanwhile, as on a partitioned machine (controller-channel.ts).
   */
  setPartitioned(partitioned: boolean): void;
  /** Ends the agent; `killWorkloads` (default: the `--kill-workloads-on-exit` option) stops every workload first. */
  stop(options?: { killWorkloads?: boolean }): Promise<void>;
}

class Agent implements ExecutorAgent {
  readonly identity: ExecutorIdentity;
  private readonly config: ExecutorConfig;
  private readonly logger: Logger;
  private readonly lock: DataDirLock;
  private readonly drivers: DriverCatalog;
  private readonly store: WorkloadStore;
  private readonly rotator: LogRotator;
  private readonly shipper: LogShipper;
  private readonly registry: WorkloadRegistry;
  private readonly channel: ControllerChannel;
  private readonly outbox: ReportOutbox;
  private readonly sampler: StatsSampler;
  /** What the connected controller announced in `welcome.features` (batched reports, stats). */
  private controllerFeatures: ReadonlySet<string> = new Set();
  private state: ExecutorState | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(config: ExecutorConfig, logger: Logger, lock: DataDirLock, drivers: DriverCatalog, identityKey: string) {
    this.config = config;
    this.logger = logger;
    this.lock = lock;
    this.drivers = drivers;
    this.identity = {
      executorId: config.executorId,
      hostname: config.hostname,
      port: config.port,
      transportType: 'HTTP',
      name: config.name,
      tags: config.tags,
      labels: config.labels,
      ...(config.rack !== undefined ? { rack: config.rack } : {}),
      ...(config.rackLabels !== undefined ? { rackLabels: config.rackLabels } : {}),
      layout: config.layout,
      drivers: drivers.advertised,
      version: CORRAL_VERSION,
      host: hostInfoOf(config, drivers),
    };
    this.store = new WorkloadStore(config.dataDir, logger, { memoryOnly: config.ephemeral });
    this.rotator = new LogRotator({ clock: config.clock, logger, intervalMs: config.logRotationIntervalMs });
    this.shipper = new LogShipper({ logger, clock: config.clock, rotator: this.rotator, pollMs: config.logShipPollMs });
    const ports = new PortAllocator();
    this.registry = new WorkloadRegistry({
      store: this.store,
      drivers,
      hooks: createHookCatalog({ rotator: this.rotator, shipper: this.shipper, ports, preShutdown: config.preShutdownTimings }),
      ports,
      clock: config.clock,
      logger,
      executor: { executorId: config.executorId, hostname: config.hostname, ephemeral: config.ephemeral },
      onChange: (report, kind) => this.outbox.push(report, kind),
    });
    this.channel = new ControllerChannel({
      urls: config.channelUrls,
      secret: config.secret,
      logger,
      ...config.reconnect,
      welcomeTimeoutMs: config.welcomeTimeoutMs,
      pingIntervalMs: config.pingIntervalMs,
    }, {
      hello: (): HelloMessage => ({ type: 'hello', executor: this.identity, features: [FEATURE_START_TASKS], identityKey }),
      onWelcome: (message) => this.onWelcome(message),
      onMessage: (message) => this.onMessage(message),
      onDisconnect: () => this.stopSnapshots(),
    });
    this.outbox = new ReportOutbox({
      send: (message) => this.channel.send(message),
      accepts: (feature) => this.controllerFeatures.has(feature),
      pacingMs: config.reportPacingMs,
    });
    this.sampler = new StatsSampler({
      intervalMs: config.statsIntervalMs, registry: this.registry, drivers, clock: config.clock, logger,
      wanted: () => this.controllerFeatures.has(FEATURE_STATS) && this.channel.connected, send: (message) => this.channel.send(message),
    });
  }

  get executorId(): string {
    return this.config.executorId;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  async begin(): Promise<void> {
    const records = await this.store.loadAll();
    this.registry.restore(records);
    if (records.length > 0) this.logger.info({ restored: records.length }, 'restored workloads from the data dir');
    const cleanLogs = () => {
      this.cleanLogs().catch(logRejection(this.logger, 'cleaning old workload logs failed; retried at the next sweep'));
    };
    cleanLogs();
    this.cleanupTimer = setInterval(cleanLogs, CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
    this.sampler.start();
    this.channel.start();
  }

  isConnected(): boolean {
    return this.channel.connected;
  }

  executorState(): ExecutorState | undefined {
    return this.state;
  }

  snapshot(): SnapshotMessage {
    return this.registry.snapshot();
  }

  setPartitioned(partitioned: boolean): void {
    if (partitioned) this.channel.partition();
    else this.channel.heal();
  }

  stop(options: { killWorkloads?: boolean } = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.killWorkloads ?? this.config.killWorkloadsOnExit);
    return this.stopping;
  }

  private async shutdown(killWorkloads: boolean): Promise<void> {
    this.registry.refuseStarts('the executor is shutting down');
    clearInterval(this.cleanupTimer);
    this.sampler.stop();
    if (killWorkloads) {
      this.logger.info({ workloads: this.registry.size }, 'stopping every workload before exiting');
      await this.registry.stopAll('executor shutting down');
      this.sendSnapshot();
    } else {
      await this.registry.shutdownAll();
    }
    this.stopSnapshots();
    // Reports of this last turn go out while the channel is still open.
    this.outbox.flush();
    await this.channel.close();
    await this.store.close();
    await this.shipper.close();
    this.rotator.close();
    await this.drivers.close();
    await this.lock.release();
  }

  private onWelcome(message: WelcomeMessage): void {
    this.state = message.executorState;
    this.controllerFeatures = new Set(Array.isArray(message.features) ? message.features : []);
    this.stopSnapshots();
    this.sendSnapshot();
    const interval = Math.max(MIN_SNAPSHOT_INTERVAL_MS, Number(message.snapshotIntervalMs) || 10_000);
    this.snapshotTimer = setInterval(() => this.sendSnapshot(), interval);
    this.snapshotTimer.unref();
    if (Array.isArray(message.knownInstanceIds)) {
      this.registry.reconcile(message.knownInstanceIds).catch(logRejection(this.logger, 'reconciling workloads with the controller failed'));
    }
  }

  private onMessage(message: ControllerMessage): void {
    switch (message.type) {
      case 'startTask':
        if (this.validId(message.instanceId, message.type)) this.registry.startTask(message);
        return;
      case 'startTasks':
        for (const start of Array.isArray(message.tasks) ? message.tasks : []) {
          if (this.validId(start?.instanceId, message.type)) this.registry.startTask({ type: 'startTask', ...start });
        }
        return;
      case 'startInstance':
        if (this.validId(message.instanceId, message.type)) this.registry.startInstance(message);
        return;
      case 'stopTask':
        this.stopWorkload(message.instanceId, {
          mode: message.mode, reason: message.reason, killTimeoutMs: message.killTimeoutMs, resultStatus: message.resultStatus,
        });
        return;
      case 'stopInstance':
        this.stopWorkload(message.instanceId, { mode: message.mode, reason: message.reason });
        return;
      case 'forget':
        this.registry.forget(Array.isArray(message.instanceIds) ? message.instanceIds : [])
          .catch(logRejection(this.logger, 'forgetting workloads failed; the next snapshot still lists them'));
        return;
      case 'executorState':
        this.state = message.executorState;
        this.registry.updateAll(message.executorState);
        return;
      case 'request':
        answerLogRequest(message, this.store).then((reply) => this.channel.send(reply))
          .catch(logRejection(this.logger, 'answering a log request failed', { requestId: message.requestId }));
        return;
      case 'welcome':
        return;
      default:
        this.logger.warn({ type: (message as { type?: unknown }).type }, 'ignoring an unknown controller message');
    }
  }

  private stopWorkload(instanceId: string, request: Parameters<WorkloadRegistry['stop']>[1]): void {
    if (request.mode !== 'GRACEFUL' && request.mode !== 'FORCE') request.mode = 'GRACEFUL';
    if (!this.registry.stop(instanceId, request)) {
      this.logger.info({ instanceId }, 'stop for a workload this executor does not have (already forgotten?)');
    }
  }

  private validId(instanceId: unknown, type: string): boolean {
    if (typeof instanceId === 'string' && isIdentifier(instanceId)) return true;
    this.logger.error({ instanceId, type }, 'ignoring a start message with an invalid instanceId');
    return false;
  }

  /** Queued reports first: a report never arrives after a snapshot newer than it. */
  private sendSnapshot(): void {
    this.outbox.flush();
    this.channel.send(this.registry.snapshot());
  }

  private stopSnapshots(): void {
    clearInterval(this.snapshotTimer);
    this.snapshotTimer = undefined;
  }

  private async cleanLogs(): Promise<void> {
    try {
      const now = this.config.clock.now();
      const removed = await this.store.cleanForgotten(this.config.logRetentionMs, now);
      if (removed > 0) this.logger.info({ removed }, 'removed logs of long-finished workloads');
      // Not while a start is unconfirmed: a workload restored in STARTING may still be adopted
      // with whatever the driver kept for it (its line in an old exit log).
      const runners = this.registry.list();
      if (runners.some((r) => r.record.phase === 'prestart' && r.record.state === 'STARTING')) return;
      const live = runners.flatMap((r) => (r.record.handle ? [r.record.handle] : []));
      for (const driver of this.drivers.drivers) {
        if (offers(driver, 'cleanUp')) await driver.cleanUp(live, this.config.logRetentionMs, now);
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'log retention cleanup failed');
    }
  }
}

function hostInfoOf(config: ExecutorConfig, drivers: DriverCatalog): ExecutorHostInfo {
  const plan = config.resources;
  return {
    numaNodes: plan.topology.nodes.map((node) => ({ id: node.id, cpus: node.cpus, memoryMB: node.memoryMb })),
    isolatedCpus: plan.topology.isolated,
    osCores: plan.osCores,
    pinning: plan.pinning,
    ...(plan.sharedBecause ? { sharedBecause: plan.sharedBecause } : {}),
    ...(plan.overProvisioning ? { overProvisioning: plan.overProvisioning } : {}),
    enforcement: drivers.enforcement,
  };
}

/** Starts an executor agent (CLI, `corral dev`, tests). Rejects with a readable error on bad options. */
export async function startExecutor(options: ExecutorOptions): Promise<ExecutorAgent> {
  const config = compileExecutorOptions(options, await readHostTopology(options.sysRoot));
  const logger = (options.logger ?? createLogger('executor')).child({ executorId: config.executorId });
  const lock = await lockDataDir(config.dataDir);
  try {
    const identityKey = options.identityKey ?? await loadIdentityKey(config.dataDir, config.ephemeral);
    const drivers = await createDriverCatalog(config, logger);
    const agent = new Agent(config, logger, lock, drivers, identityKey);
    await agent.begin();
    return agent;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

