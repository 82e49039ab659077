/** The registry's bookkeeping for one executor: its live view, its connection, its write chain. */
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import type { ChannelConnection } from './channel-connection.ts';
import type { LiveExecutor } from './live-executor.ts';

export interface RegistryEntry {
  live: LiveExecutor;
  conn?: ChannelConnection;
  lastPing: number;
  /** Serialises record writes of this executor. */
  chain: Promise<unknown>;
  /** A lost/remove transition is in flight (the sweep must not start it twice). */
  transitioning: boolean;
}

export function newEntry(record: ExecutorRecord, connected: boolean): RegistryEntry {
  return {
    live: { record, connected, tasks: new Map() },
    lastPing: 0,
    chain: Promise.resolve(),
    transitioning: false,
  };
}
