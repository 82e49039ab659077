/**
 * Migration 0004: local services and their instance records (docs/localservices.md). Instances
 * live apart from application instances: a local service and an app may share an id.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0004LocalServices: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('local_services')
      .addColumn('service_id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('local_service_instances')
      .addColumn('service_id', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('executor_id', 'text')
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('local_service_instances_pk', ['service_id', 'instance_id'])
      .execute();
    await db.schema.createIndex('ls_instances_service_created_idx').on('local_service_instances').columns(['service_id', 'created']).execute();
    await db.schema.createIndex('ls_instances_state_updated_idx').on('local_service_instances').columns(['state', 'updated']).execute();
    await db.schema.createIndex('ls_instances_executor_idx').on('local_service_instances').column('executor_id').execute();
  },
};
