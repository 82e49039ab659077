/**
 * SQLite: every write asked for in one turn of the event loop goes in one transaction.
 *
 * node:sqlite is synchronous, so a commit's fsync (`storeDurability: FULL`) stalls the whole
 * controller. The batching writers above the store (group-commit.ts) already fold each kind of
 * record into one write per turn, but the kinds — events, instances, apps, operations,
 * executors — still committed one by one, each an fsync: at a thousand executors that was a
 * third of the controller's time. Here they share one commit.
 *
 *   write(work) ──▶ queued ──(next turn)──▶ BEGIN; work₁; work₂; …; COMMIT ──▶ each resolves
 *                                                   │ a work throws
 *                                                   ▼
 *                              ROLLBACK; each work again in a transaction of its own, so only
 *                              the one that failed rejects (and the others are not lost)
 *
 * A work resolves only after the commit that holds it: nothing is acknowledged before it is
 * stored. Works run in the order they were asked for; at most one batch runs at a time (one
 * connection), and writes asked for meanwhile form the next. A work is a function of the
 * database handle it is given and touches nothing else, so running it again after a rollback
 * is safe. Works open no transaction of their own inside (`atomically` joins the one given).
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

interface Job {
  work: (db: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class TurnTransaction {
  private readonly db: Db;
  private queue: Job[] = [];
  private scheduled = false;
  private running = false;

  constructor(db: Db) {
    this.db = db;
  }

  run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // flush() settles every job itself and never rejects.
      this.flush().catch(() => undefined);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.running = true;
    try {
      if (batch.length === 1) await this.alone(batch[0]);
      else await this.together(batch);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async together(batch: Job[]): Promise<void> {
    const values = new Array<unknown>(batch.length);
    try {
      await inTransaction(this.db, async (trx) => {
        for (let i = 0; i < batch.length; i++) values[i] = await batch[i].work(trx);
      });
    } catch {
      // Which one failed, and was it the commit itself? Each on its own tells.
      for (const job of batch) await this.alone(job);
      return;
    }
    batch.forEach((job, i) => job.resolve(values[i]));
  }

  private async alone(job: Job): Promise<void> {
    try {
      job.resolve(await inTransaction(this.db, job.work));
    } catch (error) {
      job.reject(error);
    }
  }
}

/**
 * Runs `work` in a transaction and rejects with what went wrong. Kysely's own `transaction()`
 * rejects with the ROLLBACK's error when the rollback fails, and SQLite has already rolled back
 * by itself after some errors (SQLITE_FULL: "cannot rollback - no transaction is active"), which
 * hid the disk being full behind an error no one could act on.
 */
async function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  const trx = await db.startTransaction().execute();
  try {
    const value = await work(trx);
    await trx.commit().execute();
    return value;
  } catch (error) {
    await trx.rollback().execute().catch(() => undefined);
    throw error;
  }
}
