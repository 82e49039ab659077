/**
 * A domain module of the controller (tasks, applications, log files, …): it registers its
 * routes and operation kind, loads its model and runs its background work. The controller
 * (controller.ts) builds each module with the context, registers routes before listening, then
 * at start: every module's `load()` ─▶ the operations module resumes active operations ─▶
 * every module's `start()`; on shutdown: operations halted ─▶ every `stop()`, last started first.
 *
 * Route conventions (implemented by src/controller/http): declare the role group in the route
 * config, e.g. `app.post('/apis/v1/tasks/operations', { config: { roles: 'RW' } }, handler)`;
 * the caller is `request.principal`; the body arrives parsed as `unknown` (JSON errors are
 * already answered); validate it with src/api/validation, then call `ctx.cluster.assertWritable()`
 * on gated writes, then apply the command. Return `success(data)` (src/common/envelope.ts) or
 * throw a CorralError (src/common/errors.ts); the server renders both in the Drove envelope.
 */
import type { FastifyInstance } from 'fastify';
import type { WorkloadCounts } from './cluster/workload-counts.ts';
import type { ControllerContext } from './context.ts';
import './http/route-config.ts';

export interface ControllerModule {
  readonly name: string;
  registerRoutes(app: FastifyInstance): void;
  /** Loads the module's model from the store (before operations resume); no background work yet. */
  load?(): Promise<void>;
  /** Starts background work (after operations resumed). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The module's sections of `GET /apis/v1/cluster/dashboard` (docs/api.md §4.3), e.g.
   * `{ appStats: {…} }`; merged over the empty shapes of cluster/cluster-dashboard.ts.
   */
  dashboard?(): Promise<Record<string, unknown>>;
  /**
   * The module's counts in the cluster summary, e.g. `{ numActiveTasks }`, kept in memory as its
   * records change (cluster/workload-counts.ts). Asked only after `load()`.
   */
  summaryCounts?(): Partial<WorkloadCounts>;
}

/** Builds one domain module from the context. */
export type ModuleFactory = (ctx: ControllerContext) => ControllerModule;
