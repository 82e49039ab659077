/**
 * The store's migrations, listed statically (no directory globbing: the list is part of the
 * code, so a bundled or type-stripped build cannot miss a file). Names sort in apply order.
 * Forward-only: add `0002-…` for the next change; never edit or remove an applied one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { migration0001Initial } from './0001-initial.ts';
import { migration0002StoreProbe } from './0002-store-probe.ts';
import { migration0003LeaderLease } from './0003-leader-lease.ts';
import { migration0004LocalServices } from './0004-local-services.ts';
import { migration0005InstanceTokenKeys } from './0005-instance-token-keys.ts';
import { migration0006CompactEvents } from './0006-compact-events.ts';

export const STORE_MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001-initial': migration0001Initial,
  '0002-store-probe': migration0002StoreProbe,
  '0003-leader-lease': migration0003LeaderLease,
  '0004-local-services': migration0004LocalServices,
  '0005-instance-token-keys': migration0005InstanceTokenKeys,
  '0006-compact-events': migration0006CompactEvents,
});

/** Kysely MigrationProvider over STORE_MIGRATIONS. */
export const staticMigrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...STORE_MIGRATIONS }),
};
