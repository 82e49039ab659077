/**
 * Runs an operation's steps with at most `parallelism` in flight.
 *
 *   FILLING ──(slots full, or nothing left / stop wanted)──▶ WAITING ──(a step settled)──▶ FILLING
 *      │                                                                                     
 *      └──(stop wanted: graceful cancel, failure with STOP, force)──▶ DRAINING ──(in-flight settled)──▶ DONE
 *
 * It is a sliding window rather than lock-step batches: a new step starts as soon as one
 * finishes, so one slow instance never holds back the others, and there are never more than
 * `parallelism` steps in flight. Graceful stop: no new step starts, in-flight steps finish.
 * Force: the force signal reaches every in-flight step, which interrupts itself and cleans up
 * what it started before it settles — so when the window is DONE nothing it started is running.
 */
import { StoreUnavailableError } from '../../common/errors.ts';
import { OperationHaltedError } from './cancel-reason.ts';
import { errorMessage } from '../../common/error-message.ts';

export type StepOutcome =
  | { status: 'done' }
  | { status: 'failed'; message: string; timedOut: boolean }
  | { status: 'cancelled'; message: string };

export interface StepControl {
  /** True once no new step may start (graceful cancel/abort, or force). */
  stopping(): boolean;
  /** Resolves when `stopping()` becomes true (wakes the window while it waits). */
  whenStopping(): Promise<void>;
  /** Aborted on FORCE: in-flight steps interrupt themselves. */
  force: AbortSignal;
}

export interface StepWindowOptions<S> {
  /** Steps that were in flight when the operation was interrupted (controller restart): they are
   *  re-attached first, whatever the stop state, because they hold instances. */
  resumed?: readonly S[];
  /** Steps not yet run, in order. */
  steps: readonly S[];
  parallelism: number;
  /** failureStrategy STOP: start nothing new once a step failed. */
  stopOnFailure: boolean;
  control: StepControl;
  execute(step: S): Promise<StepOutcome>;
  /** Called after each state change of a step (progress, checkpoints). */
  onSettled?(step: S, outcome: StepOutcome): void;
  onStarted?(step: S): void;
}

export interface StepWindowSummary {
  done: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  notStarted: number;
  /** Steps interrupted by a controller halt (neither done nor failed). */
  halted: number;
  /** Message of the first failure, if any. */
  firstFailure?: string;
}

type WindowState = 'filling' | 'waiting' | 'draining' | 'done';

export async function runStepWindow<S>(options: StepWindowOptions<S>): Promise<StepWindowSummary> {
  const summary: StepWindowSummary = { done: 0, failed: 0, timedOut: 0, cancelled: 0, notStarted: 0, halted: 0 };
  const inFlight = new Set<Promise<void>>();
  const limit = Math.max(1, options.parallelism);
  let next = 0;
  let state: WindowState = 'filling';

  const launch = (step: S): void => {
    options.onStarted?.(step);
    const run = options.execute(step)
      .catch((error: unknown): StepOutcome | 'halted' => {
        // A halted step is not over: it stays in flight in the checkpoint for the next leader (or
        // for the same run once the store is back: a step that could not write is not a failure).
        if (error instanceof OperationHaltedError || error instanceof StoreUnavailableError) return 'halted';
        return { status: 'failed', message: errorMessage(error), timedOut: false };
      })
      .then((outcome) => {
        if (outcome === 'halted') {
          summary.halted++;
          return;
        }
        record(summary, outcome);
        options.onSettled?.(step, outcome);
      })
      .finally(() => inFlight.delete(run));
    inFlight.add(run);
  };

  const mayStart = (): boolean =>
    !options.control.stopping() && !(options.stopOnFailure && summary.failed > 0) && next < options.steps.length;

  for (const step of options.resumed ?? []) launch(step);
  while (state !== 'done') {
    switch (state) {
      case 'filling':
        while (inFlight.size < limit && mayStart()) launch(options.steps[next++]);
        state = mayStart() || (inFlight.size > 0 && !wantsStop(options, summary)) ? 'waiting' : 'draining';
        break;
      case 'waiting':
        if (inFlight.size === 0) {
          state = 'filling';
          break;
        }
        await Promise.race([...inFlight, options.control.whenStopping()]);
        state = wantsStop(options, summary) ? 'draining' : 'filling';
        break;
      case 'draining':
        await Promise.all([...inFlight]);
        state = 'done';
        break;
    }
  }
  summary.notStarted = options.steps.length - next;
  return summary;
}

function wantsStop<S>(options: StepWindowOptions<S>, summary: StepWindowSummary): boolean {
  return options.control.stopping() || (options.stopOnFailure && summary.failed > 0);
}

function record(summary: StepWindowSummary, outcome: StepOutcome): void {
  switch (outcome.status) {
    case 'done':
      summary.done++;
      break;
    case 'failed':
      summary.failed++;
      if (outcome.timedOut) summary.timedOut++;
      summary.firstFailure ??= outcome.message;
      break;
    case 'cancelled':
      summary.cancelled++;
      break;
  }
}
