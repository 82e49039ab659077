/**
 * Serialises async work per key (one application at a time): command validation reads the app
 * state and then writes it, and two requests for the same app must not interleave between the
 * read and the write. Different keys run concurrently.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * Collects writes and hands them to `flush` in batches: one batch in flight at a time, every
 * write resolved (or rejected) once the batch holding it has been flushed. Order is kept.
 */
export class BatchWriter<T> {
  private queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private running?: Promise<void>;

  private readonly flush: (items: T[]) => Promise<void>;

  constructor(
    flush: (items: T[]) => Promise<void>,
  ) {
    this.flush = flush;
  }

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Resolves when everything written so far has been flushed. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.flush(batch.map((b) => b.item));
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
