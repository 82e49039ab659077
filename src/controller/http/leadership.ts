/**
 * The one place that decides whether this controller may answer API requests (docs/api.md §1.6).
 * SQLite mode runs a single controller, which is always the leader (`soleLeader`); on PostgreSQL
 * the leader election (leadership/leader-election.ts) supplies it.
 */
import type { ControllerNode } from '../../api/cluster-types.ts';

export interface Leadership {
  /** True while this controller is the leader. */
  isLeader(): boolean;
  /** Base URL of the current leader (`http://host:port`), when known; sent as `X-Corral-Leader`. */
  leaderUrl(): string | undefined;
  /** Every controller of the cluster with its role, for the cluster view (absent: only this one). */
  members?(): Promise<ControllerNode[]>;
}

/** Leadership of a single controller: always the leader. */
export function soleLeader(url: () => string | undefined): Leadership {
  return { isLeader: () => true, leaderUrl: url };
}

/** `host:port` of a base URL, as `data.leader` shows it (docs/api.md §4.2). */
export function addressOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
