/**
 * Group commit: every write asked for in the same turn of the event loop goes to the store in
 * one call (one transaction), so a burst of changes costs one commit instead of one each. At
 * most one batch is in flight; writes that arrive meanwhile form the next batch, so versions of
 * one record reach the store in order (a later version of a record queued before the flush
 * replaces the earlier one in the batch). Each `write` resolves only once its record (or a later
 * version of it) is committed: callers acknowledge nothing before that.
 */

interface Pending<T> {
  record: T;
  waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

export class GroupCommit<T> {
  private readonly commit: (records: T[]) => Promise<void>;
  private readonly keyOf: (record: T) => string;
  private readonly windowMs: number;
  private queue = new Map<string, Pending<T>>();
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  /**
   * `commit` writes a batch atomically; `keyOf` identifies versions of one record; `windowMs`:
   * how long a write may wait for company (0 = the next turn of the event loop).
   */
  constructor(commit: (records: T[]) => Promise<void>, keyOf: (record: T) => string, windowMs = 0) {
    this.commit = commit;
    this.keyOf = keyOf;
    this.windowMs = windowMs;
  }

  /** Resolves once `record` (or a later version of it) is committed. */
  write(record: T): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = this.keyOf(record);
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
        await this.commit([...batch.values()].map((p) => p.record));
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
