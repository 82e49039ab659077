/**
 * Migration 0001: the initial schema (see store-tables.ts for the shape and the reasons).
 * Written only with Kysely's schema builder and portable column types so one source runs on
 * SQLite and PostgreSQL. Forward-only: a later change is a new numbered file, never an edit.
 */
import type { Kysely, Migration } from 'kysely';

export const migration0001Initial: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then, not today's types
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('cluster_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('executors')
      .addColumn('executor_id', 'text', (c) => c.primaryKey())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('events')
      .addColumn('event_id', 'text', (c) => c.primaryKey())
      .addColumn('time', 'bigint', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_time_idx').on('events').columns(['time', 'seq']).execute();

    await db.schema.createTable('tasks')
      .addColumn('source_app_name', 'text', (c) => c.notNull())
      .addColumn('task_id', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('executor_id', 'text')
      .addColumn('parent_task_id', 'text')
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('tasks_pk', ['source_app_name', 'task_id'])
      .execute();
    await db.schema.createIndex('tasks_state_updated_idx').on('tasks').columns(['state', 'updated']).execute();
    await db.schema.createIndex('tasks_executor_idx').on('tasks').column('executor_id').execute();
    await db.schema.createIndex('tasks_parent_idx').on('tasks').column('parent_task_id').execute();

    await db.schema.createTable('apps')
      .addColumn('app_id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();

    await db.schema.createTable('instances')
      .addColumn('app_id', 'text', (c) => c.notNull())
      .addColumn('instance_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('executor_id', 'text')
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('doc', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('instances_pk', ['app_id', 'instance_id'])
      .execute();
    await db.schema.createIndex('instances_app_created_idx').on('instances').columns(['app_id', 'created']).execute();
    await db.schema.createIndex('instances_app_updated_idx').on('instances').columns(['app_id', 'updated']).execute();
    await db.schema.createIndex('instances_created_idx').on('instances').column('created').execute();
    await db.schema.createIndex('instances_state_updated_idx').on('instances').columns(['state', 'updated']).execute();
    await db.schema.createIndex('instances_executor_idx').on('instances').column('executor_id').execute();

    await db.schema.createTable('operations')
      .addColumn('operation_id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('app_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created', 'bigint', (c) => c.notNull())
      .addColumn('updated', 'bigint', (c) => c.notNull())
      .addColumn('finished', 'bigint')
      .addColumn('doc', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('operations_created_idx').on('operations').column('created').execute();
    await db.schema.createIndex('operations_app_created_idx').on('operations').columns(['app_id', 'created']).execute();
    await db.schema.createIndex('operations_state_idx').on('operations').column('state').execute();
    await db.schema.createIndex('operations_type_idx').on('operations').column('type').execute();
    await db.schema.createIndex('operations_finished_idx').on('operations').column('finished').execute();
  },
};
