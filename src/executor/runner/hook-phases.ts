/**
 * The phases a runner hook may implement, with their requests and responses (src/executor/README.md,
 * "The runner and its hooks"). A hook is a named object implementing any of the phases; the runner
 * walks them in order:
 *
 *   prestart   ordered, fail fast; gets its persisted `previousState`, returns `state` + `done`
 *              (done hooks are not re-run after an executor restart) and what it produced
 *   poststart  after the workload started (or was recovered); may start background work
 *              bound to `signal`, which ends when the workload stops, exits or the agent shuts down
 *   preKill    before a graceful stop (app instances: preShutdown hooks, waitBeforeKill)
 *   exited     after the workload ended, before cleanup
 *   update     the executor's situation changed (e.g. its executorState)
 *   stop       cleanup; every stop hook runs, errors are collected; must be idempotent
 *
 * Requests carry narrow capabilities (hook-capabilities.ts), not the runner: each hook takes a
 * `Pick` of its phase's request naming what it uses.
 */
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { ExitResult } from '../drivers/driver.ts';
import type { PrestartOutcome, WorkloadState } from '../state/workload-record.ts';
import type { WorkloadPaths } from '../state/workload-store.ts';
import type {
  DriverCapabilities, DriverPreparer, ExecutorFacts, LifecycleControl, WorkloadEvents, WorkloadExec, WorkloadView,
} from './hook-capabilities.ts';

/** What every phase's request carries. */
export interface HookRequest {
  workload: WorkloadView;
  paths: WorkloadPaths;
  executor: ExecutorFacts;
  /** What the workload's driver declares it can do. */
  capabilities: DriverCapabilities;
  events: WorkloadEvents;
}

export interface WorkloadHook {
  readonly name: string;
}

export interface PrestartRequest extends HookRequest {
  lifecycle: LifecycleControl;
  driver: DriverPreparer;
  previousState: Record<string, string>;
  signal: AbortSignal;
}

/** Its own state and `done`, and what it prepared (environment, host ports, config files): kept in the record. */
export type PrestartResponse = PrestartOutcome;

export interface PrestartHook extends WorkloadHook {
  prestart(request: PrestartRequest): Promise<PrestartResponse>;
}

export interface PoststartRequest extends HookRequest {
  lifecycle: LifecycleControl;
  exec: WorkloadExec;
  /** True when this run re-attached to a workload started before an executor restart. */
  recovered: boolean;
  signal: AbortSignal;
}

export interface PoststartHook extends WorkloadHook {
  poststart(request: PoststartRequest): Promise<void>;
}

export interface PreKillRequest extends HookRequest {
  exec: WorkloadExec;
  /** Aborted when the stop is escalated to FORCE. */
  signal: AbortSignal;
}

export interface PreKillHook extends WorkloadHook {
  preKill(request: PreKillRequest): Promise<void>;
}

export interface ExitedRequest extends HookRequest {
  exit: ExitResult;
}

export interface ExitedHook extends WorkloadHook {
  exited(request: ExitedRequest): Promise<void>;
}

export interface UpdateRequest extends HookRequest {
  executorState: ExecutorState;
}

export interface UpdateHook extends WorkloadHook {
  update(request: UpdateRequest): Promise<void>;
}

export interface StopHookRequest extends HookRequest {
  /** Hook states as persisted; stop hooks only read them. */
  existingState: Record<string, string>;
}

export interface StopHook extends WorkloadHook {
  stop(request: StopHookRequest): Promise<void>;
}

export type AnyHook = WorkloadHook & Partial<PrestartHook & PoststartHook & PreKillHook & ExitedHook & UpdateHook & StopHook>;

export const isPrestart = (hook: AnyHook): hook is PrestartHook => typeof hook.prestart === 'function';
export const isPoststart = (hook: AnyHook): hook is PoststartHook => typeof hook.poststart === 'function';
export const isPreKill = (hook: AnyHook): hook is PreKillHook => typeof hook.preKill === 'function';
export const isExited = (hook: AnyHook): hook is ExitedHook => typeof hook.exited === 'function';
export const isUpdate = (hook: AnyHook): hook is UpdateHook => typeof hook.update === 'function';
export const isStop = (hook: AnyHook): hook is StopHook => typeof hook.stop === 'function';

/** A prestart/start failure with the state it leads to (e.g. PROVISIONING_FAILED, RUN_FAILED). */
export class WorkloadPhaseError extends Error {
  readonly code = 'WORKLOAD_PHASE_FAILED';
  readonly failState: WorkloadState;
  readonly hook?: string;
  constructor(failState: WorkloadState, message: string, hook?: string) {
    super(message);
    this.failState = failState;
    this.hook = hook;
  }
}
