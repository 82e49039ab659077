/**
 * Workload reports leave the executor once per turn of the event loop, not once per state
 * change. A short task walks PENDING → PROVISIONING → STARTING in one turn and RUN_COMPLETED →
 * DEPROVISIONING → STOPPED in another; an instance's start takes the same first steps in one
 * turn, and instances started or stopped together take each step in the same turn. Sending each
 * report as its own frame cost a socket write here and a read, a parse and a validation on the
 * controller. Every report is still sent, in order — the controller emits one TASK_STATE_CHANGE
 * / INSTANCE_STATE_CHANGE per state passed through — only packed:
 *
 *   task report     ─▶ queued ─┐                         ┌▶ one `taskUpdates` frame
 *   instance report ─▶ queued ─┴(end of this turn:       ─┴▶ one `instanceUpdates` frame
 *                                setImmediate, or before     (or one `taskUpdate` / `instanceUpdate`
 *                                a snapshot)                  frame each, to a controller that did
 *                                                             not announce the feature in `welcome`)
 *
 * Under load a turn holds few reports, so the outbox also paces its frames: once a frame has
 * left, the next waits until `pacingMs` after it (a report after a quiet spell still leaves at
 * the end of its turn). A short task's later steps — RUNNING, RUN_COMPLETED, DEPROVISIONING,
 * STOPPED — then mostly travel together, and the controller writes its record once per frame
 * rather than once per step: at ~200 tasks/s that was most of its store writes. The price is at
 * most `pacingMs` more before the controller sees a state, only while reports are frequent.
 *
 * Tasks and instances are separate workloads the controller handles apart, so each kind has its
 * own queue; both are flushed together, so neither outlives a snapshot.
 *
 * A task report followed in the same frame by a later report of the same task leaves its events
 * to that later one (events only ever grow at the end, so the later list holds them all). Not so
 * for instances: the controller replaces an instance's events with those of a report that
 * changes its state and ignores a report that changes nothing, so an emptied report would lose
 * events whenever the later one is ignored.
 */
import type { ExecutorMessage, InstanceReport, TaskReport } from '../../api/channel-protocol.ts';
import { FEATURE_INSTANCE_UPDATES, FEATURE_TASK_UPDATES } from '../../api/channel-protocol.ts';

export interface ReportOutboxOptions {
  /** Sends one frame; false when the channel is down (the next snapshot carries the news). */
  send: (message: ExecutorMessage) => boolean;
  /** Whether the connected controller announced this feature in `welcome.features`. */
  accepts: (feature: string) => boolean;
  /** The least time between two frames of reports (ms; 0: one frame per turn, unpaced). */
  pacingMs: number;
}

export class ReportOutbox {
  private readonly options: ReportOutboxOptions;
  private tasks: TaskReport[] = [];
  private instances: InstanceReport[] = [];
  private scheduled: { cancel: () => void } | undefined;
  /** When the last frame left (performance.now()); timers run on real time, whatever the agent's clock. */
  private lastSent = -Infinity;

  constructor(options: ReportOutboxOptions) {
    this.options = options;
  }

  /** Queues a report; it leaves at the end of this turn, or `pacingMs` after the last frame. */
  push(report: TaskReport | InstanceReport, kind: 'task' | 'instance'): void {
    if (kind === 'task') this.tasks.push(report as TaskReport);
    else this.instances.push(report as InstanceReport);
    this.scheduled ??= this.schedule();
  }

  /** Sends what is queued now (before a snapshot, so no older report follows a newer snapshot). */
  flush(): void {
    this.scheduled?.cancel();
    this.scheduled = undefined;
    if (this.tasks.length === 0 && this.instances.length === 0) return;
    this.lastSent = performance.now();
    const { tasks, instances } = this;
    this.tasks = [];
    this.instances = [];
    if (tasks.length > 0) this.sendTasks(tasks);
    if (instances.length > 0) this.sendInstances(instances);
  }

  private schedule(): { cancel: () => void } {
    const wait = this.lastSent + this.options.pacingMs - performance.now();
    if (wait < 1) {
      const immediate = setImmediate(() => this.flush());
      return { cancel: () => clearImmediate(immediate) };
    }
    const timer = setTimeout(() => this.flush(), wait);
    return { cancel: () => clearTimeout(timer) };
  }

  private sendTasks(tasks: TaskReport[]): void {
    if (this.options.accepts(FEATURE_TASK_UPDATES)) this.options.send({ type: 'taskUpdates', tasks: withoutRepeatedEvents(tasks) });
    else for (const task of tasks) this.options.send({ type: 'taskUpdate', task });
  }

  private sendInstances(instances: InstanceReport[]): void {
    if (this.options.accepts(FEATURE_INSTANCE_UPDATES)) this.options.send({ type: 'instanceUpdates', instances });
    else for (const instance of instances) this.options.send({ type: 'instanceUpdate', instance });
  }
}

/** Empties the events of a report when a later report of the same task in the batch holds them all. */
function withoutRepeatedEvents(reports: TaskReport[]): TaskReport[] {
  if (reports.length < 2) return reports;
  const latest = new Map<string, TaskReport>();
  const out = new Array<TaskReport>(reports.length);
  for (let i = reports.length - 1; i >= 0; i--) {
    const report = reports[i];
    const later = latest.get(report.instanceId);
    latest.set(report.instanceId, report);
    // Events are shared objects appended at the end and trimmed at the front: the later list
    // holds every event of this one exactly when it still holds this one's first.
    out[i] = later && report.events.length > 0 && later.events.includes(report.events[0]) ? { ...report, events: [] } : report;
  }
  return out;
}
