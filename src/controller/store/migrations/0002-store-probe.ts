/**
 * Migration 0002: a one-row table the controller writes to learn whether the store takes writes
 * again after an outage (store-health.ts). A write of its own, so probing never touches records.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0002StoreProbe: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('store_probe')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
