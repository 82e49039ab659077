/**
 * Starts and stops a controller process (docs/ha.md).
 *
 *   start:  open store (migrations) ─▶ front server listens ─▶
 *             SQLite:     one `sole` term for the life of the process (controller-term.ts)
 *             PostgreSQL: leader election joins; a `follower` term, replaced by a `leader` term
 *                         whenever the lease is acquired and by a follower term when it is lost
 *   close:  the term ends (a leader announces LEADERSHIP_LOST, halts its operations, stops its
 *           modules, channels, streams) ─▶ the lease is released ─▶ front server closed ─▶ store closed
 *
 * Terms change one at a time, in order: the old term stops acting before the next is built, so
 * two models of the cluster never act at once in one process; it keeps answering (as a
 * non-leader: 400 "not the leader", after authentication) until the next one is attached.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../common/clock.ts';
import { errorMessage } from '../common/error-message.ts';
import { createLogger, type Logger } from '../common/logger.ts';
import type { ControllerConfig } from './config.ts';
import type { ControllerContext } from './context.ts';
import type { ModuleFactory } from './controller-module.ts';
import { startTerm, type Term, type TermRole } from './controller-term.ts';
import { createAppModule } from './apps/app-module.ts';
import { createLocalServiceModule } from './localservices/local-service-module.ts';
import type { OperationsModule } from './operations/operations-module.ts';
import { createTaskModule } from './tasks/task-module.ts';
import type { Server } from 'node:http';
import { FrontServer } from './http/front-server.ts';
import { addressOf, soleLeader, type Leadership } from './http/leadership.ts';
import { LeaderElection } from './leadership/leader-election.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

export type { ModuleFactory } from './controller-module.ts';

/** The domain modules of a controller, in start order. */
export const DEFAULT_MODULES: readonly ModuleFactory[] = [createTaskModule, (ctx) => createAppModule(ctx), (ctx) => createLocalServiceModule(ctx)];

export interface StartControllerOptions {
  /** Domain modules; default: `DEFAULT_MODULES` (tasks + applications). */
  modules?: readonly ModuleFactory[];
  clock?: Clock;
  logger?: Logger;
  /** An already-open store to use instead of opening `config.store` (it is still closed by `close()`). */
  store?: Store;
  /** Heartbeat period of the SSE event stream (default 15 s). */
  eventStreamHeartbeatMs?: number;
}

export interface RunningController {
  /** Base URL, e.g. `http://127.0.0.1:4000` (the real port when `config.port` was 0). */
  url: string;
  /** The URL other nodes and clients are told (`advertiseUrl`, else `url` with the host's name). */
  advertisedUrl: string;
  /** The current term's context (a follower's is loaded but not started). */
  readonly ctx: ControllerContext;
  /** The current term's operations module (engine, retention sweep). */
  readonly operations: OperationsModule;
  /** The current term's Fastify instance (for `inject` in tests). */
  readonly app: FastifyInstance;
  /** The one listening HTTP server every term answers through (terms come and go behind it). */
  readonly server: Server;
  /** Leader now (a SQLite controller always is). */
  isLeader(): boolean;
  /** Stops everything in reverse order; safe to call twice. */
  close(): Promise<void>;
}

function advertisedHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? osHostname() : host;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a controller and resolves once it listens and its first term (leader or follower) is up. */
export async function startController(config: ControllerConfig, options: StartControllerOptions = {}): Promise<RunningController> {
  const logger = options.logger ?? createLogger('controller');
  const clock = options.clock ?? systemClock;
  const modules = options.modules ?? DEFAULT_MODULES;
  const store = options.store ?? await openStore(config.store, {
    logger, durability: config.storeDurability, leaderLeaseMs: config.leaderLeaseMs,
  });
  const front = new FrontServer({ requestTimeoutMs: config.requestTimeoutMs });
  let port: number;
  try {
    port = await front.listen(config.host, config.port);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  const url = `http://${urlHost(config.host)}:${port}`;
  const advertisedUrl = (config.advertiseUrl ?? `http://${advertisedHost(config.host)}:${port}`).replace(/\/+$/, '');
  const address = config.advertiseUrl ? addressOf(advertisedUrl) : `${advertisedHost(config.host)}:${port}`;

  let term: Term | undefined;
  let closing = false;
  /** The first term is up: later failures to build one are retried, not thrown. */
  let started = false;
  let changes: Promise<void> = Promise.resolve();
  const lease = store.lease;
  const nodeId = `${osHostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const election = lease
    ? new LeaderElection({
      lease, nodeId, url: advertisedUrl, leaseMs: config.leaderLeaseMs, logger: logger.child({ component: 'leadership' }),
      secretDigest: createHash('sha256').update(`corral-cluster-secret:${config.clusterSecret}`).digest('hex'),
      listener: {
        acquired: (epoch, previous) => change({ kind: 'leader', epoch, nodeId, previousLeader: previous.holder && previous.holder !== nodeId ? addressOf(previous.holderUrl) : undefined }),
        lost: () => change({ kind: 'follower' }),
      },
    })
    : undefined;
  const leadership: Leadership = election ?? soleLeader(() => url);

  const begin = (role: TermRole) => startTerm({
    config, store, role, leadership, front, address, modules, clock, logger, eventStreamHeartbeatMs: options.eventStreamHeartbeatMs,
  });

  /** Queues a change of term; a change that is out of date when its turn comes becomes a follower term. */
  function change(wanted: TermRole): void {
    changes = changes.catch(() => undefined).then(async () => {
      if (closing) return;
      let role = wanted;
      if (role.kind === 'leader' && election?.currentEpoch() !== role.epoch) role = { kind: 'follower' };
      // A follower term asked for earlier (a retry) must not replace the leader this node became since.
      if (role.kind === 'follower' && election?.isLeader() && term?.role.kind === 'leader') return;
      if (term && term.role.kind === role.kind && (role.kind !== 'leader' || (term.role.kind === 'leader' && term.role.epoch === role.epoch))) return;
      // The old term stops acting first; it answers requests (as a non-leader) until the new
      // one is attached, and is closed after.
      const previous = term;
      await previous?.stop();
      let next: Term | undefined;
      try {
        next = await begin(role).catch(async (error: unknown) => {
          if (role.kind !== 'leader') throw error;
          // A leader that cannot load the model must not hold the lease: give it to someone who can.
          logger.error({ err: errorMessage(error) }, 'could not take up leadership; stepping down');
          await election?.resign();
          return begin({ kind: 'follower' });
        });
      } catch (error) {
        if (!started) {
          await previous?.close();
          throw error;
        }
        // Not even a follower (the store is down): the stopped term keeps answering as a
        // non-leader meanwhile, and building one is tried again.
        logger.warn({ err: errorMessage(error) }, 'could not build the follower term; retrying in a second');
        setTimeout(() => change({ kind: 'follower' }), 1_000).unref();
        return;
      }
      term = next;
      await previous?.close();
    });
  }

  try {
    if (election) {
      await election.start();
      if (!election.isLeader()) change({ kind: 'follower' });
    } else {
      change({ kind: 'sole' });
    }
    await changes;
    started = true;
  } catch (error) {
    closing = true;
    await term?.close().catch(() => undefined);
    await election?.stop().catch(() => undefined);
    await front.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
  logger.info({ url, advertisedUrl, store: store.kind, leader: leadership.isLeader() }, 'controller listening');

  const current = (): Term => {
    if (!term) throw new Error('the controller is changing its role; no term is running');
    return term;
  };
  let closed: Promise<void> | undefined;
  return {
    url,
    advertisedUrl,
    get ctx() { return current().ctx; },
    get operations() { return current().operations; },
    get app() { return current().app; },
    server: front.server,
    isLeader: () => leadership.isLeader(),
    close: () => {
      closed ??= (async () => {
        logger.info({ url }, 'controller stopping');
        closing = true;
        await changes.catch(() => undefined);
        const last = term;
        term = undefined;
        await last?.close(true).catch((error: unknown) => logger.error({ err: error }, 'controller shutdown step failed'));
        await election?.stop();
        await front.close().catch((error: unknown) => logger.error({ err: error }, 'closing the HTTP server failed'));
        await store.close().catch((error: unknown) => logger.error({ err: error }, 'closing the store failed'));
      })();
      return closed;
    },
  };
}
