/**
 * The narrow capabilities a hook is handed (as Nomad's task runner hands its hooks a
 * `TaskLifecycle` and an `EventEmitter` rather than itself). Every phase request carries the
 * ones that make sense in that phase (hook-phases.ts); each hook declares, as a `Pick` of its
 * phase's request, exactly the ones it uses, so what a hook can touch is visible in its
 * signature and checked by the compiler.
 */
import type { ApplicationSpec } from '../../api/app-types.ts';
import type { TaskSpec } from '../../api/task-types.ts';
import type { DriverCapabilities, WorkloadExec } from '../drivers/driver.ts';
import type { PreparedWorkload, WorkloadKind, WorkloadState } from '../state/workload-record.ts';

export type { DriverCapabilities, WorkloadExec };

/** Facts about the executor a hook may need. */
export interface ExecutorFacts {
  executorId: string;
  hostname: string;
  /** Nothing about workloads is written to disk (simulation); see ExecutorOptions.ephemeral. */
  ephemeral?: boolean;
}

/** The workload as hooks may read it: what it is and what prestart prepared. Never written by hooks. */
export interface WorkloadView {
  readonly kind: WorkloadKind;
  readonly instanceId: string;
  /** Instances only. */
  readonly appId?: string;
  /** Instances only: the controller-minted DROVE_APP_INSTANCE_AUTH_TOKEN (the env hook injects it). */
  readonly instanceToken?: string;
  /** Local-service instances only. */
  readonly localService?: Readonly<{ hostLevel: boolean }>;
  readonly spec: Readonly<TaskSpec | ApplicationSpec>;
  readonly prepared: Readonly<PreparedWorkload>;
}

/** Records user-visible events in the workload's history. */
export interface WorkloadEvents {
  /** Records an event (and pushes an update to the controller when `notify`). */
  event(type: string, message: string, options?: { hook?: string; error?: boolean; notify?: boolean }): void;
}

/** Moves the workload through its state machine (workload-lifecycle.ts). */
export interface LifecycleControl {
  /** Moves the workload to a new state (reported to the controller at once). */
  setState(state: WorkloadState): void;
  /** A failed check: moves to `state` and has the runner stop the workload. */
  fail(state: WorkloadState, message: string): void;
}

/** PROVISIONING through the driver: it readies the workload's start spec (image pull for docker). */
export interface DriverPreparer {
  prepare(signal: AbortSignal): Promise<void>;
}
