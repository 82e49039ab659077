/**
 * The two state machines the runner walks (docs/api.md §7.2, §7.3); the runner is shared, only the
 * names of the states and the meaning of an exit differ.
 *
 * Task:
 *   PENDING → PROVISIONING → STARTING → RUNNING → RUN_COMPLETED → DEPROVISIONING → STOPPED
 *   PENDING → STOPPED                                   (stopped before anything was set up)
 *   PENDING | PROVISIONING → PROVISIONING_FAILED → DEPROVISIONING → STOPPED
 *   STARTING → RUN_FAILED → DEPROVISIONING → STOPPED    (command cannot start)
 *   (restart) UNKNOWN → RUNNING | …
 *   taskResult: exit 0 SUCCESSFUL; non-zero FAILED(code); stopTask → its resultStatus (-1);
 *               could not run FAILED(-1); vanished while the executor was away LOST(-1)
 *
 * App instance:
 *   PENDING → PROVISIONING → STARTING → UNREADY → READY → HEALTHY
 *   PROVISIONING_FAILED | START_FAILED | READINESS_CHECK_FAILED → DEPROVISIONING → STOPPED
 *   HEALTHY → UNHEALTHY → DEPROVISIONING → STOPPED
 *   PENDING | UNREADY | READY | HEALTHY → STOPPING → DEPROVISIONING → STOPPED   (stop request)
 *   (restart) UNKNOWN → UNREADY (checks again) | STOPPED
 *   An instance process that exits on its own: START_FAILED before READY, UNHEALTHY after.
 */
import type { ExitResult } from '../drivers/driver.ts';
import type { WorkloadRecord, WorkloadState } from '../state/workload-record.ts';

export interface WorkloadLifecycle {
  readonly provisioningFailed: WorkloadState;
  readonly startFailed: WorkloadState;
  /** The state right after a successful start (and after a restart re-attached). */
  readonly running: WorkloadState;
  /** Records what an exit means: state, result, message. */
  applyExit(record: WorkloadRecord, exit: ExitResult): void;
  /** A failure before or while starting. */
  applyFailure(record: WorkloadRecord, state: WorkloadState, message: string): void;
  /** A stop request that arrived before the workload started. */
  applyStoppedBeforeStart(record: WorkloadRecord): void;
}

/** `OOM killed: limit 64 MB (exit code 137)`: the reason an operator looks for, not a bare 137. */
export function oomMessage(exit: ExitResult): string | undefined {
  return exit.oom ? `OOM killed: limit ${exit.oom.limitMb} MB (exit code ${exit.exitCode})` : undefined;
}

function describeExit(exit: ExitResult): string {
  if (exit.error) return exit.error;
  const oom = oomMessage(exit);
  if (oom) return oom;
  return exit.signal ? `exit code ${exit.exitCode} (killed by ${exit.signal})` : `exit code ${exit.exitCode}`;
}

export const taskLifecycle: WorkloadLifecycle = {
  provisioningFailed: 'PROVISIONING_FAILED',
  startFailed: 'RUN_FAILED',
  running: 'RUNNING',
  applyExit(record, exit) {
    record.state = 'RUN_COMPLETED';
    const stop = record.stopRequest;
    if (stop) {
      record.taskResult = { status: stop.resultStatus ?? 'CANCELLED', exitCode: -1 };
      record.errorMessage = stop.resultStatus === 'TIMED_OUT' ? `Timed out: ${stop.reason}` : `Cancelled: ${stop.reason}`;
    } else if (exit.error) {
      record.taskResult = { status: 'LOST', exitCode: -1 };
      record.errorMessage = exit.error;
    } else if (exit.exitCode === 0) {
      record.taskResult = { status: 'SUCCESSFUL', exitCode: 0 };
      record.errorMessage = '';
    } else {
      record.taskResult = { status: 'FAILED', exitCode: exit.exitCode };
      record.errorMessage = oomMessage(exit) ?? `Task exited with ${describeExit(exit)}`;
    }
  },
  applyFailure(record, state, message) {
    record.state = state;
    record.errorMessage = message;
    record.taskResult ??= { status: 'FAILED', exitCode: -1 };
  },
  applyStoppedBeforeStart(record) {
    const stop = record.stopRequest;
    record.taskResult = { status: stop?.resultStatus ?? 'CANCELLED', exitCode: -1 };
    record.errorMessage = `${stop?.resultStatus === 'TIMED_OUT' ? 'Timed out' : 'Cancelled'} before it ran: ${stop?.reason ?? 'stopped'}`;
  },
};

const BEFORE_READY: ReadonlySet<WorkloadState> = new Set(['UNREADY', 'STARTING', 'UNKNOWN']);

export const instanceLifecycle: WorkloadLifecycle = {
  provisioningFailed: 'PROVISIONING_FAILED',
  startFailed: 'START_FAILED',
  running: 'UNREADY',
  applyExit(record, exit) {
    if (record.stopRequest) return; // STOPPING, or the failure state a check already set
    if (BEFORE_READY.has(record.state)) {
      record.state = 'START_FAILED';
      record.errorMessage = `Instance process exited before becoming ready: ${describeExit(exit)}`;
    } else {
      record.state = 'UNHEALTHY';
      record.errorMessage = `Instance process exited unexpectedly: ${describeExit(exit)}`;
    }
  },
  applyFailure(record, state, message) {
    record.state = state;
    record.errorMessage = message;
  },
  applyStoppedBeforeStart(record) {
    record.state = 'STOPPING';
    record.errorMessage = '';
  },
};
