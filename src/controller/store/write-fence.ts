/**
 * Fencing of the leader's writes (docs/ha.md): inside each write transaction, before anything
 * is written, the lease row must still name this controller with its epoch and be unexpired by
 * the database's clock. The row is read `FOR SHARE`, so a successor's takeover (an UPDATE of
 * that row) waits until this transaction has committed, and a write that starts after the
 * takeover finds the row changed: it fails with NotLeaderError and changes nothing. A leader
 * paused for longer than its lease therefore cannot write a single row when it wakes up.
 */
import { sql, type Kysely } from 'kysely';
import { NotLeaderError } from '../../common/errors.ts';
import { DB_NOW_MS } from './postgres/leader-lease.ts';
import type { WriteFence } from './store.ts';
import type { StoreDatabase } from './store-tables.ts';

type Db = Kysely<StoreDatabase>;

/** Throws NotLeaderError unless `fence` still holds; call first thing inside the write's transaction. */
export async function checkFence(trx: Db, fence: WriteFence): Promise<void> {
  if (fence === 'refuse') throw new NotLeaderError();
  const { rows } = await sql<{ ok: number }>`SELECT 1 AS ok FROM leader_lease
    WHERE id = 1 AND holder = ${fence.holder} AND epoch = ${fence.epoch} AND expires_at > ${sql.raw(DB_NOW_MS)}
    FOR SHARE`.execute(trx);
  if (rows.length === 0) throw new NotLeaderError();
}

/** Runs `work` in a transaction, or directly when `db` already is one (fenced writes are). */
export function atomically<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
