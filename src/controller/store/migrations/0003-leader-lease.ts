/**
 * Migration 0003: the leader lease and the controller membership list (docs/ha.md).
 *
 * `leader_lease` has exactly one row (id 1): who holds leadership, its `epoch` (incremented on
 * every change of holder, never reused) and when the lease expires, in milliseconds of the
 * database's own clock. Every write of the leader checks this row in its own transaction
 * (write-fence.ts). `controllers` lists every controller process that has joined, with the
 * database time it last said it was alive (for the cluster view) and a digest of its cluster
 * secret (a controller with another secret refuses to join).
 *
 * SQLite gets the same tables (one migration source for both engines) and never uses them: a
 * SQLite store has one controller, guarded by its file lock.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0003LeaderLease: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('leader_lease')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('holder_url', 'text', (c) => c.notNull())
      .addColumn('epoch', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.insertInto('leader_lease').values({ id: 1, holder: '', holder_url: '', epoch: 0, expires_at: 0 }).execute();

    await db.schema.createTable('controllers')
      .addColumn('node_id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('started', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      // sha-256 of the cluster secret: controllers of one store must share it (docs/ha.md).
      .addColumn('secret_digest', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
  },
};
