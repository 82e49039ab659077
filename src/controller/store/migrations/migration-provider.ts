/**
 * The store's migrations, listed statically (no directory globbing: the list is part of the
 * code, so a bundled or type-stripped build cannot miss a file). Names sort in apply order.
 * Forward-only: add `0002-…` for the next change; never edit or remove an applied one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { migration0001Initial } from './0001-initial.ts';

export const STORE_MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': migration0001Initial,
});

/** Kysely MigrationProvider over STORE_MIGRATIONS. */
export const staticMigrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...STORE_MIGRATIONS }),
};
