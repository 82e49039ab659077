/**
 * `GET /apis/v1/cluster/events/stream`: every cluster event, corral's own types included, as
 * server-sent events. Each event is one `data:` line holding the event JSON (its `type` is
 * inside, so `EventSource.onmessage` sees them all) with the event id as the SSE `id`.
 *
 * Query: `type=T` (repeatable or comma-separated) keeps only those types; `lastSyncTime=MS`
 * first replays stored events newer than that, oldest first, then continues live without gaps
 * or duplicates. A comment line every `heartbeatMs` keeps proxies from closing an idle stream;
 * a client that stops reading (more than 8 MiB queued) is disconnected. One user may hold at
 * most `maxStreamsPerUser` streams at once; another is answered 429 (docs/security.md).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { ALL_EVENT_TYPES, type ClusterEvent } from '../../api/cluster-types.ts';
import { CommandValidationError, TooManyRequestsError } from '../../common/errors.ts';
import { stringifyWithoutNulls } from '../../common/envelope.ts';
import { turnCork } from '../../common/turn-cork.ts';
import type { Logger } from '../../common/logger.ts';
import type { EventBus } from './event-bus.ts';
import type { Store } from '../store/store.ts';
import { queryInteger, queryList } from '../http/query-params.ts';

const MAX_QUEUED_BYTES = 8 * 1024 * 1024;


export interface EventStreamOptions {
  events: EventBus;
  store: Store;
  logger: Logger;
  heartbeatMs?: number;
  /** Streams one user may have open at once (default 16). */
  maxStreamsPerUser?: number;
}

/** Open streams, so shutdown can end them, counted per user. */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();
  private readonly perUser = new Map<string, number>();

  add(res: ServerResponse, user: string): void {
    this.open.add(res);
    this.perUser.set(user, this.countOf(user) + 1);
    res.on('close', () => {
      this.open.delete(res);
      const left = this.countOf(user) - 1;
      if (left > 0) this.perUser.set(user, left);
      else this.perUser.delete(user);
    });
  }

  /** Streams `user` has open now. */
  countOf(user: string): number {
    return this.perUser.get(user) ?? 0;
  }

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const res of this.open) res.end();
    this.open.clear();
  }
}

function frame(event: ClusterEvent): string {
  return `id: ${event.id}\ndata: ${stringifyWithoutNulls(event)}\n\n`;
}

export function registerEventStream(app: FastifyInstance, options: EventStreamOptions): EventStreams {
  const streams = new EventStreams();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxPerUser = options.maxStreamsPerUser ?? 16;
  const log = options.logger.child({ component: 'event-stream' });

  app.get('/apis/v1/cluster/events/stream', { config: { roles: 'ANY' } }, async (request, reply) => {
    const query = request.query as Record<string, string | string[]>;
    const types = new Set(queryList(query, 'type').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean));
    // A filter naming a type that does not exist would wait forever on nothing.
    const unknown = [...types].filter((t) => !ALL_EVENT_TYPES.has(t));
    if (unknown.length > 0) {
      throw new CommandValidationError(`type has unknown event type(s) ${unknown.map((t) => `"${t}"`).join(', ')}; known types (upper-case): ${[...ALL_EVENT_TYPES].join(', ')}`);
    }
    const replayAfter = query.lastSyncTime === undefined ? undefined : queryInteger(query, 'lastSyncTime', 0, { min: 0 });
    const wanted = (event: ClusterEvent) => types.size === 0 || types.has(event.type);
    const user = request.principal.username;
    if (streams.countOf(user) >= maxPerUser) {
      throw new TooManyRequestsError(`User ${user} already has ${maxPerUser} event streams open; close one first`);
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n: connected\n\n');
    streams.add(res, user);

    const cork = turnCork(res);
    const write = (text: string) => {
      if (res.writableEnded) return;
      cork();
      res.write(text);
      if (res.writableLength > MAX_QUEUED_BYTES) {
        log.warn({ user: request.principal.username }, 'event stream client too slow: disconnecting');
        res.end();
      }
    };

    // Live events arriving during the replay are held back, then sent without duplicates.
    let held: ClusterEvent[] | undefined = replayAfter === undefined ? undefined : [];
    const unsubscribe = options.events.subscribe((event) => {
      if (!wanted(event)) return;
      if (held) held.push(event);
      else write(frame(event));
    });
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
    res.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
    });

    if (replayAfter !== undefined) {
      try {
        const stored = await options.store.listEvents({ after: replayAfter, types: types.size ? [...types] : undefined });
        const sent = new Set<string>();
        for (const event of stored.reverse()) {
          sent.add(event.id);
          write(frame(event));
        }
        for (const event of held ?? []) if (!sent.has(event.id)) write(frame(event));
      } catch (error) {
        log.error({ err: error }, 'event replay failed');
        write(': replay failed\n\n');
      }
      held = undefined;
    }
  });
  return streams;
}
