/**
 * Event polling endpoints (docs/api.md §4.8): the legacy list, `/latest` and `/summary`. They carry
 * Drove's event types only — a client that meets an unknown type drops its whole batch — while
 * corral's own types are on the live stream (event-stream.ts).
 */
import type { FastifyInstance } from 'fastify';
import { DROVE_EVENT_TYPES, type ClusterEvent } from '../../api/cluster-types.ts';
import { success } from '../../common/envelope.ts';
import type { Store } from '../store/store.ts';
import { queryInteger } from '../http/query-params.ts';

type Query = Record<string, string | string[]>;

const DROVE_TYPES = [...DROVE_EVENT_TYPES];
const DEFAULT_SIZE = 1024;

/** Events newer than `lastSyncTime`, newest first, at most `size` (size 0 → none). */
async function droveEventsAfter(store: Store, lastSyncTime: number, size: number): Promise<ClusterEvent[]> {
  if (size === 0) return [];
  return store.listEvents({ after: lastSyncTime, limit: size, types: DROVE_TYPES });
}

/** Time of the newest stored (Drove) event, or `fallback` when there is none. */
async function newestTime(store: Store, fallback: number): Promise<number> {
  const [newest] = await store.listEvents({ limit: 1, types: DROVE_TYPES });
  return newest ? newest.time : fallback;
}

function readParams(query: Query): { lastSyncTime: number; size: number } {
  return {
    lastSyncTime: queryInteger(query, 'lastSyncTime', 0, { min: 0 }),
    size: queryInteger(query, 'size', DEFAULT_SIZE, { min: 0, max: 2_147_483_647 }),
  };
}

export function registerEventRoutes(app: FastifyInstance, store: Store): void {
  app.get('/apis/v1/cluster/events', { config: { roles: 'ANY' } }, async (request) => {
    const { lastSyncTime, size } = readParams(request.query as Query);
    return success(await droveEventsAfter(store, lastSyncTime, size));
  });

  app.get('/apis/v1/cluster/events/latest', { config: { roles: 'ANY' } }, async (request) => {
    const { lastSyncTime, size } = readParams(request.query as Query);
    const [events, newest] = await Promise.all([droveEventsAfter(store, lastSyncTime, size), newestTime(store, lastSyncTime)]);
    return success({ events, lastSyncTime: newest });
  });

  app.get('/apis/v1/cluster/events/summary', { config: { roles: 'ANY' } }, async (request) => {
    const lastSyncTime = queryInteger(request.query as Query, 'lastSyncTime', 0, { min: 0 });
    const [eventsCount, newest] = await Promise.all([
      store.countEventsByType({ after: lastSyncTime, types: DROVE_TYPES }),
      newestTime(store, lastSyncTime),
    ]);
    return success({ eventsCount, lastSyncTime: newest });
  });
}
