/** Who calls the API: Drove's roles (docs/api.md §1.5) and the authenticated caller. */

export type Role =
  | 'DROVE_EXTERNAL_ROOT' | 'DROVE_EXTERNAL_READ_WRITE' | 'DROVE_EXTERNAL_MAINTENANCE' | 'DROVE_EXTERNAL_READ_ONLY'
  | 'DROVE_CLUSTER_NODE' | 'DROVE_APPLICATION_INSTANCE';

/** The authenticated caller. */
export interface Principal {
  username: string;
  role: Role;
  /** DROVE_APPLICATION_INSTANCE callers: the instance their token speaks for (docs/api.md §4.10). */
  instance?: { appId: string; instanceId: string; executorId: string };
}
