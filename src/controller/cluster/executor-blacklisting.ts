/**
 * Blacklisting and unblacklisting executors (docs/api.md §4.6).
 *
 *   blacklist:    ACTIVE | UNREADY ──▶ BLACKLIST_REQUESTED ──(instances moved off)──▶ BLACKLISTED
 *   unblacklist:  BLACKLISTED | BLACKLIST_REQUESTED ──▶ UNREADY ──▶ ACTIVE (once its local-service
 *                 instances are up: the local-services module promotes it then)
 *
 * Each step is persisted and published by the registry (`stateChanged`, cluster events).
 * Moving app instances off a blacklisted executor is the applications module's reaction to
 * `stateChanged`; this service only estimates how long that will take. The executor channel has
 * no acknowledgement for `executorState`, so "the executor reported it" means "it was sent the
 * state, or will be in its `welcome` when it reconnects".
 */
import { ACTIVE_INSTANCE_STATES } from '../../api/app-types.ts';
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { Logger } from '../../common/logger.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import type { Store } from '../store/store.ts';

/** BlacklistOperationResponse. */
export interface BlacklistResponse {
  successful: string[];
  failed: string[];
  approxCompletionTimeMs: number;
  message: string;
}

export const BLACKLIST_MESSAGES = {
  scheduled: 'Blacklisting successful and app movement scheduled',
  noneChanged: 'Blacklisting did not reflect in cluster resources DB for any of the executors.',
  busy: 'A blacklisting related operation is underway already. Will not accept new requests',
  unblacklistAll: 'Unblacklisting successful for all executors',
  unblacklistSome: 'Unblacklisting successful for some executors. Check logs for details.',
} as const;

/** Rough time to move one batch of instances (stop + start + health check) for the estimate. */
const MOVE_BATCH_ESTIMATE_MS = 10_000;

const BLACKLISTED: ReadonlySet<ExecutorState> = new Set(['BLACKLIST_REQUESTED', 'BLACKLISTED']);

export class ExecutorBlacklisting {
  private readonly registry: ExecutorRegistry;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly parallelism: number;
  private readonly movesInstances: () => boolean;
  private readonly isReady: (executorId: string) => boolean;
  private busy = false;

  constructor(deps: {
    registry: ExecutorRegistry; store: Store; logger: Logger; parallelism: number; movesInstances?: () => boolean;
    /** Whether an executor has its local-service instances; not yet: unblacklisting leaves it UNREADY. */
    isReady?: (executorId: string) => boolean;
  }) {
    this.registry = deps.registry;
    this.movesInstances = deps.movesInstances ?? (() => false);
    this.isReady = deps.isReady ?? (() => true);
    this.store = deps.store;
    this.log = deps.logger.child({ component: 'blacklisting' });
    this.parallelism = Math.max(1, deps.parallelism);
  }

  async blacklist(executorIds: string[]): Promise<BlacklistResponse> {
    return this.exclusive(executorIds, async (ids) => {
      const successful: string[] = [];
      const failed: string[] = [];
      for (const id of ids) {
        const state = this.registry.get(id)?.record.executorState;
        if (state === undefined || BLACKLISTED.has(state)) {
          this.log.info({ executorId: id, state: state ?? 'unknown' }, 'not blacklisted: unknown or already blacklisted');
          failed.push(id);
          continue;
        }
        // With an applications module listening, BLACKLISTED is set by its blacklist mover once the
        // executor's HEALTHY instances have been replaced elsewhere (docs/api.md §4.6: replace, then
        // BLACKLISTED). Without one there is nothing to move, so the executor is blacklisted at once.
        const movesInstances = this.movesInstances();
        if (await this.step(id, movesInstances ? ['BLACKLIST_REQUESTED'] : ['BLACKLIST_REQUESTED', 'BLACKLISTED'])) successful.push(id);
        else failed.push(id);
      }
      if (successful.length === 0) return { successful, failed, approxCompletionTimeMs: 0, message: BLACKLIST_MESSAGES.noneChanged };
      return { successful, failed, approxCompletionTimeMs: await this.moveEstimate(successful), message: BLACKLIST_MESSAGES.scheduled };
    });
  }

  async unblacklist(executorIds: string[]): Promise<BlacklistResponse> {
    return this.exclusive(executorIds, async (ids) => {
      const successful: string[] = [];
      const failed: string[] = [];
      for (const id of ids) {
        const state = this.registry.get(id)?.record.executorState;
        if (state === undefined || !BLACKLISTED.has(state)) {
          this.log.info({ executorId: id, state: state ?? 'unknown' }, 'not unblacklisted: unknown or not blacklisted');
          failed.push(id);
          continue;
        }
        if (await this.step(id, this.isReady(id) ? ['UNREADY', 'ACTIVE'] : ['UNREADY'])) successful.push(id);
        else failed.push(id);
      }
      const message = failed.length === 0 ? BLACKLIST_MESSAGES.unblacklistAll : BLACKLIST_MESSAGES.unblacklistSome;
      return { successful, failed, approxCompletionTimeMs: 0, message };
    });
  }

  private async exclusive(executorIds: string[], work: (ids: string[]) => Promise<BlacklistResponse>): Promise<BlacklistResponse> {
    const ids = [...new Set(executorIds)];
    if (this.busy) return { successful: [], failed: ids, approxCompletionTimeMs: 0, message: BLACKLIST_MESSAGES.busy };
    this.busy = true;
    try {
      return await work(ids);
    } finally {
      this.busy = false;
    }
  }

  /** Walks one executor through `states`; false when a write failed (logged). */
  private async step(executorId: string, states: ExecutorState[]): Promise<boolean> {
    try {
      for (const state of states) {
        if (!(await this.registry.setExecutorState(executorId, state))) return false;
      }
      return true;
    } catch (error) {
      this.log.error({ err: error, executorId }, 'executor state change failed');
      return false;
    }
  }

  private async moveEstimate(executorIds: string[]): Promise<number> {
    let instances = 0;
    for (const executorId of executorIds) {
      instances += (await this.store.listInstances({ executorId, states: [...ACTIVE_INSTANCE_STATES] })).length;
    }
    return Math.ceil(instances / this.parallelism) * MOVE_BATCH_ESTIMATE_MS;
  }
}
