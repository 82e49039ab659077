/**
 * The runner's typed cancel reasons and outcomes: why a scope was aborted (stop requested,
 * forced, executor shutting down, workload exited) and what a vanished workload reports.
 */
import type { ExitResult } from '../drivers/driver.ts';

/** Thrown when a stop request arrives before the workload has started. */
export class StoppedBeforeStart extends Error {
  override readonly name = 'StoppedBeforeStart';
}

/**
 * Abort reasons, shared: aborting with no reason makes a DOMException (and a stack trace) per
 * workload, which shows up at hundreds of tasks per second.
 */
function reason(message: string): Error {
  const error = new Error(message);
  error.name = 'AbortError';
  return error;
}
export const STOP_REQUESTED = reason('a stop was requested');
export const STOP_FORCED = reason('the stop was forced');
export const SHUTTING_DOWN = reason('the executor is shutting down');
export const WORKLOAD_EXITED = reason('the workload exited');

export const VANISHED: ExitResult = { exitCode: -1, error: 'the workload vanished while the executor was away; its exit status is unknown' };
