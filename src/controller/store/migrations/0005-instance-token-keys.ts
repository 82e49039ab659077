/**
 * Migration 0005: the keys that sign instance tokens (`DROVE_APP_INSTANCE_AUTH_TOKEN`,
 * docs/api.md §4.10). Each controller start adds one and signs new tokens with it; the older
 * ones stay to check the tokens of instances still running, so a restart or a new leader
 * does not cut them off.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0005InstanceTokenKeys: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('instance_token_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .execute();
  },
};
