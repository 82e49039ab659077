/**
 * Group commit of task record updates: every write asked for in the same turn of the event
 * loop goes to the store in one `updateTasks` transaction, so a burst of state reports costs
 * one commit instead of one per report. At most one batch is in flight; writes that arrive
 * meanwhile form the next batch, so versions of one record reach the store in order (a later
 * version of a record queued before the flush replaces the earlier one in the batch).
 */
import type { TaskRecord } from '../../api/task-types.ts';
import type { Store } from '../store/store.ts';
import { taskKey } from './task-view.ts';

interface Pending {
  record: TaskRecord;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class TaskWriter {
  private readonly store: Store;
  private queue = new Map<string, Pending>();
  private flushing: Promise<void> | undefined;
  private scheduled = false;
  private readonly windowMs: number;

  /** `windowMs`: how long a write may wait for company (0 = the next turn of the event loop). */
  constructor(store: Store, windowMs = 0) {
    this.store = store;
    this.windowMs = windowMs;
  }

  /** Resolves once `record` (or a later version of it) is committed. */
  write(record: TaskRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = taskKey(record.sourceAppName, record.taskId);
      const pending = this.queue.get(key);
      if (pending) {
        pending.record = record;
        pending.waiters.push({ resolve, reject });
      } else {
        this.queue.set(key, { record, waiters: [{ resolve, reject }] });
      }
      this.schedule();
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.size > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.windowMs > 0) setTimeout(run, this.windowMs);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.size === 0) return;
    const batch = this.queue;
    this.queue = new Map();
    const run = (async () => {
      try {
        await this.store.updateTasks([...batch.values()].map((p) => p.record));
        for (const p of batch.values()) for (const w of p.waiters) w.resolve();
      } catch (error) {
        for (const p of batch.values()) for (const w of p.waiters) w.reject(error);
      }
    })();
    this.flushing = run;
    await run;
    this.flushing = undefined;
    if (this.queue.size > 0) this.schedule();
  }
}
