/**
 * Capability interfaces of the runner's hooks (Nomad's task_lifecycle.go, seed 003). A hook is
 * a named object implementing any of the phases; the runner walks them in order:
 *
 *   prestart   ordered, fail fast; gets its persisted `previousState`, returns `state` + `done`
 *              (done hooks are not re-run after an executor restart) and what it produced
 *   poststart  after the workload started (or was recovered); may start background work
 *              bound to `signal`, which ends when the workload stops, exits or the agent shuts down
 *   preKill    before a graceful stop (app instances: preShutdown hooks, waitBeforeKill)
 *   exited     after the workload ended, before cleanup
 *   update     the executor's situation changed (e.g. its executorState)
 *   stop       cleanup; every stop hook runs, errors are collected; must be idempotent
 */
import type { ExecutorState } from '../../api/cluster-types.ts';
import type { Clock } from '../../common/clock.ts';
import type { Logger } from '../../common/logger.ts';
import type { Driver, DriverHandle, ExitResult, PortBinding, WorkloadStartSpec } from '../drivers/driver.ts';
import type { WorkloadRecord, WorkloadState } from './workload-record.ts';
import type { WorkloadPaths } from './workload-store.ts';

/** Facts about the executor a hook may need. */
export interface ExecutorFacts {
  executorId: string;
  hostname: string;
  /** Nothing about workloads is written to disk (simulation); see ExecutorOptions.ephemeral. */
  ephemeral?: boolean;
}

/** What a hook sees of its workload. */
export interface WorkloadContext {
  readonly record: Readonly<WorkloadRecord>;
  readonly paths: WorkloadPaths;
  readonly driver: Driver;
  readonly executor: ExecutorFacts;
  readonly clock: Clock;
  readonly logger: Logger;
  /** True when this run re-attached to a workload started before an executor restart. */
  readonly recovered: boolean;
  handle(): DriverHandle | undefined;
  /** The spec handed to the driver (built from the record and what prestart produced). */
  startSpec(): WorkloadStartSpec;
  /** Records a user-visible event (and pushes an update when `notify`). */
  event(type: string, message: string, options?: { hook?: string; error?: boolean; notify?: boolean }): void;
  /** Moves the workload to a new state (reported to the controller at once). */
  setState(state: WorkloadState, errorMessage?: string): void;
  /** A failed check: moves to `state` and has the runner stop the workload. */
  fail(state: WorkloadState, message: string): void;
}

export interface WorkloadHook {
  readonly name: string;
}

export interface PrestartRequest {
  workload: WorkloadContext;
  previousState: Record<string, string>;
  signal: AbortSignal;
}

export interface PrestartResponse {
  state?: Record<string, string>;
  done?: boolean;
  env?: Record<string, string>;
  ports?: PortBinding[];
  configFiles?: { localFilename: string; hostPath: string }[];
}

export interface PrestartHook extends WorkloadHook {
  prestart(request: PrestartRequest): Promise<PrestartResponse>;
}

export interface PoststartRequest {
  workload: WorkloadContext;
  handle: DriverHandle;
  signal: AbortSignal;
}

export interface PoststartHook extends WorkloadHook {
  poststart(request: PoststartRequest): Promise<void>;
}

export interface PreKillRequest {
  workload: WorkloadContext;
  handle: DriverHandle;
  /** Aborted when the stop is escalated to FORCE. */
  signal: AbortSignal;
}

export interface PreKillHook extends WorkloadHook {
  preKill(request: PreKillRequest): Promise<void>;
}

export interface ExitedRequest {
  workload: WorkloadContext;
  exit: ExitResult;
}

export interface ExitedHook extends WorkloadHook {
  exited(request: ExitedRequest): Promise<void>;
}

export interface UpdateRequest {
  workload: WorkloadContext;
  executorState: ExecutorState;
}

export interface UpdateHook extends WorkloadHook {
  update(request: UpdateRequest): Promise<void>;
}

export interface StopRequestContext {
  workload: WorkloadContext;
  /** Hook states as persisted; stop hooks only read them. */
  existingState: Record<string, string>;
}

export interface StopHook extends WorkloadHook {
  stop(request: StopRequestContext): Promise<void>;
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
