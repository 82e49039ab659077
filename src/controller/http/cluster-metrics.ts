/**
 * The cluster's series on `/metrics` (every metric, its labels and example queries:
 * docs/metrics.md):
 *
 *  - per running workload, from the executors' samples (executors/workload-usage.ts), labelled
 *    `app` (appId, or a task's sourceAppName), `task` (taskId; empty for instances), `instance`,
 *    `executor`, `kind`: CPU, memory and its limit, OOM kills, network and block I/O. Series of
 *    ended workloads are dropped at the next scrape (they are read, not accumulated);
 *  - per executor, from the ledger: cores and memory free and used, physical CPUs;
 *  - the controller's own work: active operations by type and state, operation transitions and
 *    durations, task and instance state transitions, placement latency.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ClusterEvent } from '../../api/cluster-types.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import type { WorkloadUsageBook } from '../executors/workload-usage.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { ResourceLedger } from '../scheduler/resource-ledger.ts';

export interface ClusterMetricSources {
  executors: Pick<ExecutorRegistry, 'list'>;
  ledger: ResourceLedger;
  usage: WorkloadUsageBook;
  operations: Pick<Operations, 'list'>;
  events: Pick<EventBus, 'subscribe'>;
}

const WORKLOAD_LABELS = ['app', 'task', 'instance', 'executor', 'kind'] as const;
type WorkloadLabel = typeof WORKLOAD_LABELS[number];
const MB = 1024 * 1024;
const TERMINAL_OPERATION_STATES = new Set(['COMPLETED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

/** A gauge or counter filled from the workload samples at every scrape (a reset drops ended workloads). */
function workloadSeries(registry: Registry, usage: WorkloadUsageBook, name: string, help: string, pick: (u: import('../../api/resource-types.ts').ResourceUsage) => number | undefined, counter = false): void {
  const config = {
    name, help, labelNames: WORKLOAD_LABELS, registers: [registry],
    collect(this: Gauge<WorkloadLabel> | Counter<WorkloadLabel>) {
      this.reset();
      for (const { executorId, workload } of usage.all()) {
        const value = pick(workload.usage);
        if (value === undefined) continue;
        const labels = { app: workload.ownerId, task: workload.taskId ?? '', instance: workload.instanceId, executor: executorId, kind: workload.kind };
        if (this instanceof Counter) this.inc(labels, value);
        else this.set(labels, value);
      }
    },
  };
  if (counter) new Counter<WorkloadLabel>(config);
  else new Gauge<WorkloadLabel>(config);
}

export function registerClusterMetrics(registry: Registry, sources: ClusterMetricSources): { observePlacement: (seconds: number, placed: boolean) => void; close: () => void } {
  const { usage, ledger, executors, operations } = sources;
  workloadSeries(registry, usage, 'corral_workload_cpu_seconds_total', 'CPU time a running workload has used (cumulative seconds)', (u) => u.cpuSeconds, true);
  workloadSeries(registry, usage, 'corral_workload_cpu_usage_ratio', 'CPU a running workload used over the last sampling interval (1 = one core busy)', (u) => u.cpuPercent / 100);
  workloadSeries(registry, usage, 'corral_workload_memory_usage_bytes', 'Memory a running workload uses now', (u) => u.memoryBytes);
  workloadSeries(registry, usage, 'corral_workload_memory_limit_bytes', 'The hard memory limit a running workload runs under', (u) => u.memoryLimitBytes || undefined);
  workloadSeries(registry, usage, 'corral_workload_oom_kills_total', 'Processes of a running workload the kernel\'s OOM killer killed', (u) => u.oomKills, true);
  workloadSeries(registry, usage, 'corral_workload_network_receive_bytes_total', 'Bytes a running container received', (u) => u.networkRxBytes, true);
  workloadSeries(registry, usage, 'corral_workload_network_transmit_bytes_total', 'Bytes a running container sent', (u) => u.networkTxBytes, true);
  workloadSeries(registry, usage, 'corral_workload_block_read_bytes_total', 'Bytes a running container read from block devices', (u) => u.blockReadBytes, true);
  workloadSeries(registry, usage, 'corral_workload_block_write_bytes_total', 'Bytes a running container wrote to block devices', (u) => u.blockWriteBytes, true);

  new Gauge({
    name: 'corral_executor_cores', help: 'Cores an executor offers, by state (free, used: booked by workloads)', labelNames: ['executor', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const { record } of executors.list()) {
        const c = ledger.capacity(record.executorId);
        this.set({ executor: record.executorId, state: 'free' }, c.freeCores);
        this.set({ executor: record.executorId, state: 'used' }, c.totalCores - c.freeCores);
      }
    },
  });
  new Gauge({
    name: 'corral_executor_memory_bytes', help: 'Memory an executor offers, by state (free, used: booked by workloads)', labelNames: ['executor', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const { record } of executors.list()) {
        const c = ledger.capacity(record.executorId);
        this.set({ executor: record.executorId, state: 'free' }, c.freeMemory * MB);
        this.set({ executor: record.executorId, state: 'used' }, (c.totalMemory - c.freeMemory) * MB);
      }
    },
  });
  new Gauge({
    name: 'corral_executor_physical_cpus', help: 'CPUs the executor\'s machine has online (what offered cores stand on)', labelNames: ['executor'], registers: [registry],
    collect() {
      this.reset();
      for (const { record } of executors.list()) {
        const cpus = record.host?.numaNodes.reduce((sum, node) => sum + node.cpus.length, 0);
        if (cpus !== undefined) this.set({ executor: record.executorId }, cpus);
      }
    },
  });
  new Gauge({
    name: 'corral_operations', help: 'Operations this controller is running or has queued, by type and state', labelNames: ['type', 'state'], registers: [registry],
    collect() {
      this.reset();
      for (const op of operations.list()) this.inc({ type: op.record.type, state: op.record.state });
    },
  });
  const operationTransitions = new Counter({
    name: 'corral_operation_transitions_total', help: 'Operations entering a state, by type and state', labelNames: ['type', 'state'], registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'corral_operation_duration_seconds', help: 'Time from an operation\'s submission to its end, by type and final state', labelNames: ['type', 'state'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600], registers: [registry],
  });
  const taskTransitions = new Counter({ name: 'corral_task_transitions_total', help: 'Tasks entering a state', labelNames: ['state'], registers: [registry] });
  const instanceTransitions = new Counter({ name: 'corral_instance_transitions_total', help: 'App instances entering a state', labelNames: ['state'], registers: [registry] });
  const placement = new Histogram({
    name: 'corral_placement_duration_seconds', help: 'Time to choose an executor and book cores and memory, by outcome (placed, unplaced)', labelNames: ['outcome'],
    buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers: [registry],
  });

  const unsubscribe = sources.events.subscribe((event: ClusterEvent) => {
    const state = String(event.metadata.CURRENT_STATE ?? '');
    if (!state) return;
    if (event.type === 'OPERATION_STATE_CHANGE') {
      const type = String(event.metadata.OPERATION_TYPE ?? '');
      operationTransitions.inc({ type, state });
      const created = Number(event.metadata.CREATED);
      if (TERMINAL_OPERATION_STATES.has(state) && Number.isFinite(created)) operationDuration.observe({ type, state }, Math.max(0, (event.time - created) / 1000));
    } else if (event.type === 'TASK_STATE_CHANGE') taskTransitions.inc({ state });
    else if (event.type === 'INSTANCE_STATE_CHANGE') instanceTransitions.inc({ state });
  });
  return {
    observePlacement: (seconds, placed) => placement.observe({ outcome: placed ? 'placed' : 'unplaced' }, seconds),
    close: unsubscribe,
  };
}
