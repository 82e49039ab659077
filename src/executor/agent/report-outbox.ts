/**
 * Task reports leave the executor once per turn of the event loop, not once per state change.
 * A short task walks PENDING → PROVISIONING → STARTING in one turn and RUN_COMPLETED →
 * DEPROVISIONING → STOPPED in another; sending each as its own frame cost a socket write here
 * and a read, a parse and a store write on the controller. Every report is still sent, in
 * order — the controller emits one TASK_STATE_CHANGE per state passed through — only packed:
 *
 *   report ─▶ queued ─(end of this turn: setImmediate)─▶ one `taskUpdates` frame
 *                                                     └▶ or one `taskUpdate` frame each, when
 *                                                        the controller did not announce the
 *                                                        `taskUpdates` feature in `welcome`
 *
 * A report followed in the same frame by a later report of the same task leaves its events to
 * that later one (events only ever grow at the end, so the later list holds them all).
 */
import type { ExecutorMessage, TaskReport } from '../../api/channel-protocol.ts';

export interface ReportOutboxOptions {
  /** Sends one frame; false when the channel is down (the next snapshot carries the news). */
  send: (message: ExecutorMessage) => boolean;
  /** Whether the connected controller understands `taskUpdates`. */
  batched: () => boolean;
}

export class ReportOutbox {
  private readonly options: ReportOutboxOptions;
  private queue: TaskReport[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(options: ReportOutboxOptions) {
    this.options = options;
  }

  /** Queues a report; it leaves at the end of this turn. */
  push(report: TaskReport): void {
    this.queue.push(report);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends what is queued now (before a snapshot, so no older report follows a newer snapshot). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.queue.length === 0) return;
    const reports = this.queue;
    this.queue = [];
    if (!this.options.batched()) {
      for (const task of reports) this.options.send({ type: 'taskUpdate', task });
      return;
    }
    this.options.send({ type: 'taskUpdates', tasks: withoutRepeatedEvents(reports) });
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
