/**
 * The one place that decides whether this controller may answer API requests (API.md §1.6).
 * SQLite mode runs a single controller, which is always the leader; PostgreSQL leader election
 * plugs in by supplying another `Leadership`.
 */

export interface Leadership {
  /** True while this controller is the leader. */
  isLeader(): boolean;
  /** Base URL of the current leader (`http://host:port`), when known; sent as `X-Corral-Leader`. */
  leaderUrl(): string | undefined;
}

/** Leadership of a single controller: always the leader. */
export function soleLeader(url: () => string | undefined): Leadership {
  return { isLeader: () => true, leaderUrl: url };
}
