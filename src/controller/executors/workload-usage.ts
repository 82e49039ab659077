/**
 * The latest usage of every running workload, as the executors' `stats` frames report it: what
 * `/metrics` exports per workload and what instance and task info show as `resourceUsage`.
 *
 * Bounded by what runs: each frame replaces everything its executor reported before (a workload
 * missing from it has ended, its series go), and an executor's set is dropped when it is lost or
 * removed, or when its frames stop for three of its intervals.
 */
import type { StatsMessage, WorkloadStats } from '../../api/channel-protocol.ts';
import type { ResourceUsage } from '../../api/resource-types.ts';
import type { Clock } from '../../common/clock.ts';
import type { ExecutorRegistry } from './live-executor.ts';

interface ExecutorUsage {
  receivedAt: number;
  intervalMs: number;
  workloads: Map<string, WorkloadStats>;
}

/** How long past three intervals a silent executor's figures are still shown. */
const STALE_GRACE_MS = 5_000;

export class WorkloadUsageBook {
  private readonly byExecutor = new Map<string, ExecutorUsage>();
  private readonly clock: Clock;

  constructor(registry: Pick<ExecutorRegistry, 'on'>, clock: Clock) {
    this.clock = clock;
    registry.on('stats', (executorId, message) => this.record(executorId, message));
    registry.on('lost', (executor) => this.byExecutor.delete(executor.record.executorId));
    registry.on('removed', (executorId) => this.byExecutor.delete(executorId));
  }

  record(executorId: string, message: StatsMessage): void {
    this.byExecutor.set(executorId, {
      receivedAt: this.clock.now(),
      intervalMs: message.intervalMs,
      workloads: new Map(message.workloads.map((w) => [w.instanceId, w])),
    });
  }

  /** The workload's last sample, if its executor reported it recently. */
  of(instanceId: string): ResourceUsage | undefined {
    for (const [executorId, usage] of this.byExecutor) {
      if (this.stale(executorId, usage)) continue;
      const found = usage.workloads.get(instanceId);
      if (found) return found.usage;
    }
    return undefined;
  }

  /** Every fresh sample with the executor that sent it (metrics, at scrape time). */
  *all(): Generator<{ executorId: string; workload: WorkloadStats }> {
    for (const [executorId, usage] of this.byExecutor) {
      if (this.stale(executorId, usage)) continue;
      for (const workload of usage.workloads.values()) yield { executorId, workload };
    }
  }

  private stale(executorId: string, usage: ExecutorUsage): boolean {
    if (this.clock.now() - usage.receivedAt <= 3 * usage.intervalMs + STALE_GRACE_MS) return false;
    this.byExecutor.delete(executorId);
    return true;
  }
}
