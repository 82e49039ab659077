/**
 * The leader lease in PostgreSQL (docs/ha.md): one row, `leader_lease` id 1, holding the holder's
 * node id and URL, an `epoch` that grows by one on every change of holder, and the expiry in
 * milliseconds of **the database's clock** (`clock_timestamp()`): no controller's clock is ever
 * compared with another's.
 *
 *   tryAcquire: row locked ─▶ expired (or released)? ─yes─▶ holder := me, epoch + 1, expiry := db now + ttl
 *                                                    ─no──▶ who holds it, for how much longer
 *   renew:      holder = me ∧ epoch = mine ∧ not expired ─▶ expiry := db now + ttl   (else: lost)
 *   release:    holder = me ∧ epoch = mine ─▶ no holder, expiry := 0 (a successor need not wait it out)
 *
 * Its own small pool, so renewing never queues behind the store's writes; every query has a
 * client-side timeout so a partitioned database cannot hold the renew loop past the lease.
 */
import pg from 'pg';
import type { Logger } from '../../../common/logger.ts';
import type { LeaseState, LeaseStore, ControllerMember } from '../store.ts';
import { guardCheckedOutClients, type PostgresTarget } from './postgres-pool.ts';

/** The database clock in epoch milliseconds (the statement's own time, not the transaction's). */
export const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

interface LeaseRow {
  holder: string;
  holder_url: string;
  epoch: string;
  expires_at: string;
  now_ms: string;
}

export class PostgresLeaseStore implements LeaseStore {
  private readonly pool: pg.Pool;
  /** The store's pool: the cluster view's membership reads must not queue in front of a renew. */
  private readonly readPool: pg.Pool;

  constructor(target: PostgresTarget, logger: Logger, queryTimeoutMs: number, readPool: pg.Pool) {
    this.readPool = readPool;
    this.pool = new pg.Pool({
      connectionString: target.connectionString,
      max: 3,
      connectionTimeoutMillis: queryTimeoutMs,
      query_timeout: queryTimeoutMs,
      // The server gives up too (a client-side timeout alone leaves the statement queued there).
      statement_timeout: queryTimeoutMs,
      lock_timeout: queryTimeoutMs,
      application_name: 'corral-controller-lease',
    });
    this.pool.on('error', (error) => logger.warn({ err: error, store: 'postgres' }, 'idle PostgreSQL lease connection failed'));
    guardCheckedOutClients(this.pool, logger);
  }

  async tryAcquire(nodeId: string, url: string, ttlMs: number): Promise<{ acquired: true; epoch: number; previous: LeaseState } | { acquired: false; current: LeaseState }> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      // The migration creates the row; recreated here should anyone have emptied the table.
      await client.query(`INSERT INTO leader_lease (id, holder, holder_url, epoch, expires_at) VALUES (1, '', '', 0, 0) ON CONFLICT (id) DO NOTHING`);
      const { rows } = await client.query<LeaseRow>(
        `SELECT holder, holder_url, epoch, expires_at, ${DB_NOW_MS} AS now_ms FROM leader_lease WHERE id = 1 FOR UPDATE`,
      );
      const current = toState(rows[0]);
      if (current.remainingMs > 0 && current.holder !== '') {
        await client.query('COMMIT');
        return { acquired: false, current };
      }
      const updated = await client.query<{ epoch: string }>(
        `UPDATE leader_lease SET holder = $1, holder_url = $2, epoch = epoch + 1, expires_at = ${DB_NOW_MS} + $3::bigint WHERE id = 1 RETURNING epoch`,
        [nodeId, url, Math.round(ttlMs)],
      );
      await client.query('COMMIT');
      return { acquired: true, epoch: Number(updated.rows[0].epoch), previous: current };
    } catch (error) {
      broken = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async renew(nodeId: string, epoch: number, ttlMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE leader_lease SET expires_at = ${DB_NOW_MS} + $3::bigint
        WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > ${DB_NOW_MS}`,
      [nodeId, epoch, Math.round(ttlMs)],
    );
    return result.rowCount === 1;
  }

  async release(nodeId: string, epoch: number): Promise<void> {
    // No holder any more: the successor knows there is no one to announce LEADERSHIP_LOST for.
    await this.pool.query(`UPDATE leader_lease SET holder = '', expires_at = 0 WHERE id = 1 AND holder = $1 AND epoch = $2`, [nodeId, epoch]);
  }

  async read(): Promise<LeaseState> {
    const { rows } = await this.readPool.query<LeaseRow>(`SELECT holder, holder_url, epoch, expires_at, ${DB_NOW_MS} AS now_ms FROM leader_lease WHERE id = 1`);
    if (!rows[0]) throw new Error('the leader_lease row is missing (store migration 0003 not applied?)');
    return toState(rows[0]);
  }

  async heartbeat(nodeId: string, url: string, secretDigest: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO controllers (node_id, url, started, last_seen, secret_digest) VALUES ($1, $2, ${DB_NOW_MS}, ${DB_NOW_MS}, $3)
       ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, last_seen = excluded.last_seen`,
      [nodeId, url, secretDigest],
    );
  }

  async otherSecret(secretDigest: string, aliveWithinMs: number): Promise<string | undefined> {
    const { rows } = await this.readPool.query<{ url: string }>(
      `SELECT url FROM controllers WHERE secret_digest <> $1 AND last_seen > ${DB_NOW_MS} - $2::bigint LIMIT 1`,
      [secretDigest, Math.round(aliveWithinMs)],
    );
    return rows[0]?.url;
  }

  async dbNow(): Promise<number> {
    const { rows } = await this.readPool.query<{ now: string }>(`SELECT ${DB_NOW_MS} AS now`);
    return Number(rows[0].now);
  }

  async leave(nodeId: string): Promise<void> {
    await this.pool.query('DELETE FROM controllers WHERE node_id = $1', [nodeId]);
  }

  async members(aliveWithinMs: number): Promise<ControllerMember[]> {
    // Members silent for long are dropped from the table now and then, so it cannot grow forever.
    await this.readPool.query(`DELETE FROM controllers WHERE last_seen < ${DB_NOW_MS} - $1::bigint`, [Math.max(aliveWithinMs * 20, 600_000)]);
    const { rows } = await this.readPool.query<{ node_id: string; url: string; started: string; age: string }>(
      `SELECT node_id, url, started, ${DB_NOW_MS} - last_seen AS age FROM controllers ORDER BY started, node_id`,
    );
    return rows.map((row) => ({
      nodeId: row.node_id,
      url: row.url,
      started: Number(row.started),
      alive: Number(row.age) <= aliveWithinMs,
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toState(row: LeaseRow): LeaseState {
  return {
    holder: row.holder,
    holderUrl: row.holder_url,
    epoch: Number(row.epoch),
    remainingMs: Math.max(0, Number(row.expires_at) - Number(row.now_ms)),
  };
}
