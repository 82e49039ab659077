/**
 * Samples what every running workload uses, every `--stats-interval`, through its driver
 * (`Driver.stats`: the cgroup of a host process, the engine's stats of a container), and sends
 * the whole set to the controller as one `stats` frame. The CPU rate is worked out here, from
 * the cumulative CPU seconds of two samples, so the controller never needs the history.
 *
 * Samples are taken one workload after the other (a slow engine must not get a burst of
 * requests every interval) and a round that outlives the interval skips the next one.
 */
import type { StatsMessage, WorkloadStats } from '../../api/channel-protocol.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import { offers } from '../drivers/driver.ts';
import { appIdOf, taskSpecOf } from '../state/workload-record.ts';
import type { DriverCatalog } from './driver-catalog.ts';
import type { WorkloadRegistry } from './workload-registry.ts';

export interface StatsSamplerDeps {
  intervalMs: number;
  registry: Pick<WorkloadRegistry, 'list'>;
  drivers: Pick<DriverCatalog, 'forType'>;
  /** False while no controller that takes `stats` frames is connected: nothing is sampled. */
  wanted: () => boolean;
  send: (message: StatsMessage) => void;
  clock: Clock;
  logger: Logger;
}

export class StatsSampler {
  private readonly deps: StatsSamplerDeps;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** The previous sample's CPU seconds per workload, for the rate. */
  private readonly previous = new Map<string, { cpuSeconds: number; at: number }>();

  constructor(deps: StatsSamplerDeps) {
    this.deps = deps;
  }

  start(): void {
    if (this.deps.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      if (this.running || !this.deps.wanted()) return;
      this.running = true;
      this.sample().then((message) => this.deps.send(message), (error: unknown) => {
        this.deps.logger.warn({ err: (error as Error).message }, 'sampling workload usage failed; retried at the next interval');
      }).finally(() => {
        this.running = false;
      });
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round over every running workload (exported for tests through `start`'s timer). */
  async sample(): Promise<StatsMessage> {
    const workloads: WorkloadStats[] = [];
    const seen = new Set<string>();
    for (const runner of this.deps.registry.list()) {
      const record = runner.record;
      if (record.phase !== 'running' || !record.handle) continue;
      const driver = this.deps.drivers.forType(record.spec.executable.type);
      if (!offers(driver, 'stats')) continue;
      const sample = await driver.stats(record.handle).catch(() => undefined);
      if (!sample) continue;
      const now = this.deps.clock.now();
      const before = this.previous.get(record.instanceId);
      const elapsed = before ? (now - before.at) / 1000 : 0;
      const cpuPercent = before && elapsed > 0 ? Math.max(0, ((sample.cpuSeconds - before.cpuSeconds) / elapsed) * 100) : 0;
      this.previous.set(record.instanceId, { cpuSeconds: sample.cpuSeconds, at: now });
      seen.add(record.instanceId);
      const names = record.kind === 'task'
        ? { ownerId: taskSpecOf(record).sourceAppName, taskId: taskSpecOf(record).taskId }
        : { ownerId: appIdOf(record) };
      workloads.push({ instanceId: record.instanceId, kind: record.kind, ...names, usage: { ...sample, cpuPercent: Math.round(cpuPercent * 10) / 10, sampledAt: now } });
    }
    for (const id of this.previous.keys()) if (!seen.has(id)) this.previous.delete(id);
    return { type: 'stats', time: this.deps.clock.now(), intervalMs: this.deps.intervalMs, workloads };
  }
}
