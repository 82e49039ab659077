/**
 * The operations module: the engine every kind of job runs through, its journal, the abort API
 * and the `/operations` routes. It is part of every controller (a controller with only the
 * tasks module still lists, reads and aborts operations); domain modules reach it through
 * `ctx.operations` (operations-port.ts) and register their kind when they are built.
 *
 *   wiring:  engine built ─▶ modules register their kinds
 *   start:   modules load their models ─▶ resume() runs every active operation again
 *            ─▶ retention sweeps finished records (every tenth of `operationRetentionMs`, 1 s–1 h)
 *   stop:    halt() stops the runs without ending them (the next leader resumes them)
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Store } from '../store/store.ts';
import type { StoreHealthPort } from '../store/store-health.ts';
import { OperationAborts } from './operation-aborts.ts';
import { OperationEngine } from './operation-engine.ts';
import { OperationJournal } from './operation-journal.ts';
import { registerOperationRoutes } from './operation-routes.ts';

export interface OperationsModule {
  readonly engine: OperationEngine;
  registerRoutes(app: FastifyInstance): void;
  /** Runs every active operation of the registered kinds again; resolves with how many. */
  resume(): Promise<number>;
  /** Halts every run (shutdown), stops the retention sweep and waits for queued record writes. */
  halt(): Promise<void>;
  /** Deletes operations that finished longer than `operationRetentionMs` ago; resolves with how many. */
  sweep(): Promise<number>;
}

export interface OperationsModuleDeps {
  store: Store;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Finished operations are kept this long. */
  retentionMs: number;
  /** Runs pause while the store is unavailable. */
  health?: StoreHealthPort;
}

export function createOperationsModule(deps: OperationsModuleDeps): OperationsModule {
  const logger = deps.logger.child({ component: 'operations' });
  const journal = new OperationJournal({ store: deps.store, events: deps.events, clock: deps.clock, logger });
  const engine = new OperationEngine({ store: deps.store, journal, clock: deps.clock, logger, health: deps.health });
  const aborts = new OperationAborts({ engine, store: deps.store, clock: deps.clock });
  let sweeper: NodeJS.Timeout | undefined;

  async function sweep(): Promise<number> {
    const pruned = await deps.store.pruneOperations(deps.clock.now() - deps.retentionMs);
    if (pruned > 0) logger.info({ pruned }, 'deleted finished operations past their retention');
    return pruned;
  }
  const sweepLogged = () => {
    sweep().catch((error: unknown) => logger.warn({ err: error }, 'operation retention sweep failed; retried at the next one'));
  };

  return {
    engine,
    registerRoutes(app) {
      registerOperationRoutes(app, { store: deps.store, engine, aborts, types: () => engine.types() });
    },
    async resume() {
      const resumed = await engine.resume();
      if (resumed > 0) logger.info({ resumed }, 'resumed active operations');
      sweepLogged();
      sweeper = setInterval(sweepLogged, Math.min(3_600_000, Math.max(1_000, Math.floor(deps.retentionMs / 10))));
      sweeper.unref();
      return resumed;
    },
    async halt() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      await engine.stop();
    },
    sweep,
  };
}
