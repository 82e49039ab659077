/**
 * Group commit, the one batching writer of the controller: every write asked for in the same
 * turn of the event loop goes to the store in one call (one transaction), so a burst of changes
 * costs one commit instead of one each. At most one batch is in flight; writes that arrive
 * meanwhile form the next batch, so versions of one record reach the store in order. The batch
 * holds every write in the order they were asked for (the store keeps the last version of each
 * record; callers that apply each version in memory after the commit see them all). Each
 * `write` resolves only once its batch is committed, and rejects if that commit failed: callers
 * acknowledge nothing before that. A commit may also answer per item (an array of errors, in
 * batch order): then only the items with an error reject (a batch of inserts where one is a
 * duplicate).
 */

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T> {
  private readonly commit: (items: T[]) => Promise<void | readonly (unknown | undefined)[]>;
  private readonly windowMs: number;
  private queue: Pending<T>[] = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  /**
   * `commit` writes a batch atomically; `windowMs`: how long a write may wait for company
   * (0 = until the current turn of the event loop is over).
   */
  constructor(commit: (items: T[]) => Promise<void | readonly (unknown | undefined)[]>, windowMs = 0) {
    this.commit = commit;
    this.windowMs = windowMs;
  }

  /** Resolves once the batch holding `item` is committed. */
  write(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      // flush() settles every waiter itself and never rejects.
      this.flush().catch(() => undefined);
    };
    if (this.windowMs > 0) setTimeout(run, this.windowMs);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const run = (async () => {
      try {
        const perItem = await this.commit(batch.map((p) => p.item));
        batch.forEach((p, i) => {
          const error = perItem ? perItem[i] : undefined;
          if (error === undefined) p.resolve();
          else p.reject(error);
        });
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    })();
    this.flushing = run;
    await run;
    this.flushing = undefined;
    if (this.queue.length > 0) this.schedule();
  }
}
