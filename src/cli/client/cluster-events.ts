/**
 * Cluster events for `cluster events` (docs/api.md §4.8): the recent list from the legacy endpoint,
 * and `--follow` over corral's server-sent-event stream (`/cluster/events/stream`), falling back
 * to polling the legacy list when a controller has no stream (e.g. Drove).
 *
 * Follow loop:
 *   open stream (replaying from the newest event shown) ──404──▶ poll /cluster/events every 2 s (lastSyncTime = newest seen - 1, dedupe by id)
 *       │200
 *       ▼
 *   parse `data:` frames ──▶ print ──▶ stream ends / drops ──▶ find the leader again ──▶ reopen
 *   Ctrl-C at any point ──▶ return (exit 0)
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterEvent } from '../../api/cluster-types.ts';
import type { CommandContext } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { unwrapEnvelope } from './http-client.ts';
import { formatTime } from './output-format.ts';

const POLL_MS = Number(process.env.CORRAL_CLI_EVENTS_POLL_MS) > 0 ? Number(process.env.CORRAL_CLI_EVENTS_POLL_MS) : 2000;
const LEGACY_PAGE = 1024;

/** Metadata keys that hold epoch milliseconds (`CREATED`, `UPDATED`, `…_TIME`, `…_AT`). */
const TIME_KEY = /^(CREATED|UPDATED|STARTED|FINISHED|TIME|TIMESTAMP)$|_(TIME|AT)$/;

/** A metadata value as a person reads it: epoch milliseconds under a time key become a local time. */
function metadataValue(key: string, value: string | number): string {
  return typeof value === 'number' && TIME_KEY.test(key) && value > 0 ? formatTime(value) : String(value);
}

/** `2024-07-01 10:03:15  TYPE  KEY=value KEY=value` (times in metadata as local times too). */
export function formatEvent(event: ClusterEvent): string {
  const meta = Object.entries(event.metadata ?? {}).map(([k, v]) => `${k}=${metadataValue(k, v)}`).join(' ');
  return `${formatTime(event.time)}  ${event.type.padEnd(29)}  ${meta}`.trimEnd();
}

/** The newest `count` events (of `types`, if given), returned oldest first. */
export async function recentEvents(ctx: CommandContext, types: ReadonlySet<string> | undefined, count: number): Promise<ClusterEvent[]> {
  if (count === 0) return [];
  const size = types ? LEGACY_PAGE : Math.min(count, LEGACY_PAGE);
  const newestFirst = (await ctx.client().api<ClusterEvent[]>('GET', '/cluster/events', { query: { lastSyncTime: 0, size } })) ?? [];
  return newestFirst.filter((e) => !types || types.has(e.type)).slice(0, count).reverse();
}

/**
 * Incremental parser for `text/event-stream`: feed it chunks, get back the `data` payload of
 * every completed event (multi-line data joined with "\n"; comments and other fields ignored).
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];

  push(chunk: string): string[] {
    this.buffer += chunk;
    const out: string[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (this.data.length) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(5).replace(/^ /, ''));
      }
    }
    return out;
  }
}

export interface FollowOptions {
  types?: ReadonlySet<string>;
  /** Events already printed: following starts after the newest and never repeats them. */
  shown: readonly ClusterEvent[];
  onEvent: (event: ClusterEvent) => void;
}

/** Prints new events until Ctrl-C. */
export async function followEvents(ctx: CommandContext, options: FollowOptions): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  const seen = new Set<string>(options.shown.map((e) => e.id));
  let since: number | undefined = options.shown.length ? Math.max(...options.shown.map((e) => e.time)) : undefined;
  const emit = (event: ClusterEvent) => {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    since = Math.max(since ?? 0, event.time);
    if (seen.size > 10_000) seen.delete(seen.values().next().value as string);
    if (!options.types || options.types.has(event.type)) options.onEvent(event);
  };
  let announced = false;
  // Said once on stderr when events start flowing, so a person (or a test) knows it is live.
  const announce = () => {
    if (!announced) ctx.note('corral: following cluster events; Ctrl-C stops');
    announced = true;
  };
  try {
    for (;;) {
      const outcome = await streamOnce(ctx, { types: options.types, since }, emit, abort.signal, announce);
      if (abort.signal.aborted) return;
      if (outcome === 'no-stream') {
        await pollLegacy(ctx, since, emit, abort.signal, announce);
        return;
      }
      ctx.note('corral: event stream ended; reconnecting…');
      await delay(1000, undefined, { signal: abort.signal });
      ctx.client().resetLeader();
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    process.off('SIGINT', stop);
  }
}

async function streamOnce(ctx: CommandContext, filter: { types?: ReadonlySet<string>; since?: number }, emit: (e: ClusterEvent) => void, signal: AbortSignal, opened: () => void): Promise<'no-stream' | 'ended'> {
  // lastSyncTime makes the server replay what happened since the newest event shown (no gap
  // between the recent list, or a dropped connection, and the live stream); ids dedupe.
  const query = {
    lastSyncTime: filter.since === undefined ? undefined : Math.max(0, filter.since - 1),
    type: filter.types ? [...filter.types] : undefined,
  };
  const response = await ctx.client().stream('/cluster/events/stream', { signal, query });
  if (response.statusCode === 404 || response.statusCode === 405) {
    response.resume();
    return 'no-stream';
  }
  if (response.statusCode !== 200) {
    // The envelope says why (e.g. an unknown --type); unwrapEnvelope throws its CliError.
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    unwrapEnvelope('GET', '/cluster/events/stream', { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
    throw new CliError(EXIT.FAILED, `the event stream answered HTTP ${response.statusCode}`);
  }
  const parser = new SseParser();
  response.setEncoding('utf8');
  opened();
  try {
    for await (const chunk of response) {
      for (const payload of parser.push(chunk as string)) {
        try {
          emit(JSON.parse(payload) as ClusterEvent);
        } catch {
          ctx.note(`corral: skipped an event that is not JSON: ${payload.slice(0, 120)}`);
        }
      }
    }
  } catch (error) {
    if (signal.aborted) return 'ended';
    if ((error as Error).name !== 'AbortError' && (error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
  }
  return 'ended';
}

async function pollLegacy(ctx: CommandContext, since: number | undefined, emit: (e: ClusterEvent) => void, signal: AbortSignal, opened: () => void): Promise<void> {
  // With nothing shown yet, start from the newest stored event so history is not replayed.
  let lastSyncTime = since === undefined
    ? Math.max(0, ...((await ctx.client().api<ClusterEvent[]>('GET', '/cluster/events', { query: { lastSyncTime: 0, size: 1 }, signal })) ?? []).map((e) => e.time))
    : Math.max(0, since - 1);
  opened();
  while (!signal.aborted) {
    const newestFirst = (await ctx.client().api<ClusterEvent[]>('GET', '/cluster/events', { query: { lastSyncTime, size: LEGACY_PAGE }, signal })) ?? [];
    for (const event of [...newestFirst].reverse()) {
      emit(event);
      lastSyncTime = Math.max(lastSyncTime, event.time - 1);
    }
    await delay(POLL_MS, undefined, { signal });
  }
}
