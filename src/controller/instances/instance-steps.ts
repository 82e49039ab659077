/**
 * The three step kinds of instance operations (apps and local services), each against real
 * executors:
 *
 *   start:    launch (the kind's: place, record PENDING, send startInstance) ─▶ wait HEALTHY | failed | timeout | force
 *   stop:     send stopInstance GRACEFUL ─▶ wait STOPPED/LOST | timeout (then FORCE) | force (then FORCE)
 *   replace:  start new ─▶ stop old        (stopFirst: stop old ─▶ start new)
 *
 * A step that is resumed after a controller restart finds its instance in the book (the
 * instance record and the step's checkpoint naming it are persisted before `startInstance` is
 * sent) and only waits again. On force, a start kills what it started and waits until it is
 * really gone, so a CANCELLED operation leaves nothing running.
 */
import type { InstanceRecord, InstanceState } from '../../api/app-types.ts';
import type { Clock } from '../../common/clock.ts';
import { longTimeoutSignal } from '../../common/long-timer.ts';
import { ForceAbortError, OperationHaltedError, StepTimeoutError } from '../operations/cancel-reason.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import { runStepWindow, type StepOutcome, type StepWindowSummary } from '../operations/step-window.ts';
import { TERMINAL_INSTANCE_STATES, type InstanceBook } from './instance-book.ts';
import type { StepRecord } from './instance-step-plan.ts';

/** States in which a starting instance is still on its way to HEALTHY. */
const STARTING_STATES: ReadonlySet<InstanceState> = new Set(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'UNKNOWN']);

export interface StepTimeouts {
  startMs: number;
  stopMs: number;
}

/** Places, records and sends a new instance for a step (sets `step.newInstanceId` first). */
export type Launch = (op: RunningOperation, step: StepRecord) => Promise<{ record: InstanceRecord } | { error: string }>;

export interface InstanceStepDeps {
  book: InstanceBook;
  clock: Clock;
  /** How long a forced clean-up may wait for the executor before giving up (it is then LOST). */
  cleanupWaitMs: number;
}

export class InstanceSteps {
  private readonly deps: InstanceStepDeps;

  constructor(deps: InstanceStepDeps) {
    this.deps = deps;
  }

  run(op: RunningOperation, step: StepRecord, timeouts: StepTimeouts, launch: Launch, stopWhy = 'scaled down'): Promise<StepOutcome> {
    switch (step.kind) {
      case 'start':
        return this.start(op, step, timeouts.startMs, launch);
      case 'stop':
        return this.stop(op, step.instanceId ?? '', timeouts.stopMs, stopWhy);
      case 'replace':
        return this.replace(op, step, timeouts, launch);
    }
  }

  /** Replaces one instance; a start-first replacement whose new instance did not come up keeps the old one. */
  private async replace(op: RunningOperation, step: StepRecord, timeouts: StepTimeouts, launch: Launch): Promise<StepOutcome> {
    const order: ('start' | 'stop')[] = step.stopFirst ? ['stop', 'start'] : ['start', 'stop'];
    // `phase` is the half in progress when the checkpoint was written: resume from there.
    const halves = step.phase === order[1] ? [order[1]] : order;
    for (const half of halves) {
      if (half !== halves[0] && op.forced) return { status: 'cancelled', message: 'aborted by force between replacement halves' };
      step.phase = half;
      const outcome = half === 'start'
        ? await this.start(op, step, timeouts.startMs, launch)
        : await this.stop(op, step.instanceId ?? '', timeouts.stopMs, `replaced${step.newInstanceId ? ` by ${step.newInstanceId}` : ''}`);
      if (outcome.status !== 'done') return outcome;
    }
    return { status: 'done' };
  }

  async start(op: RunningOperation, step: StepRecord, timeoutMs: number, launch: Launch, relaunched = false): Promise<StepOutcome> {
    const book = this.deps.book;
    let record = step.newInstanceId ? book.instance(step.newInstanceId) : undefined;
    // Resumed with its instance still PENDING: no executor ever reported it, so the start may
    // never have been sent (the controller died between recording it and sending). If it then
    // turns out not to be on its executor (LOST), nothing of it runs anywhere, and the step
    // starts another rather than failing the operation for the restart.
    const unsentOnResume = !relaunched && record?.state === 'PENDING';
    if (!record) {
      if (op.forced) return { status: 'cancelled', message: 'not started: operation aborted by force' };
      const placed = await launch(op, step);
      if ('error' in placed) {
        op.instanceResult(step.newInstanceId ?? `step-${step.id}`, placed.error, true);
        return { status: 'failed', message: placed.error, timedOut: false };
      }
      record = placed.record;
    }
    const instanceId = record.instanceId;
    const remaining = Math.max(1_000, timeoutMs - (this.deps.clock.now() - (step.startedAt ?? this.deps.clock.now())));
    const timer = stepTimer(remaining);
    try {
      const signal = AbortSignal.any([op.signal, timer.signal]);
      const final = await book.waitFor(instanceId, (r) => !STARTING_STATES.has(r.state) || book.stopRequests.has(instanceId), signal);
      if (final.state === 'HEALTHY') {
        op.instanceResult(instanceId, `Started on ${hostOf(final)}: HEALTHY`);
        return { status: 'done' };
      }
      if (unsentOnResume && final.state === 'LOST' && !op.forced) {
        op.note(`${instanceId} was recorded before the controller restarted but never reached its executor; starting another`);
        step.newInstanceId = undefined;
        return await this.start(op, step, timeoutMs, launch, true);
      }
      const why = `Instance ${instanceId} did not become healthy: ${final.state}${final.errorMessage ? ` (${final.errorMessage})` : ''}`;
      op.instanceResult(instanceId, why, true);
      return { status: 'failed', message: why, timedOut: false };
    } catch (reason) {
      return this.interrupted(op, instanceId, reason, 'start');
    } finally {
      timer.dispose();
    }
  }

  async stop(op: RunningOperation, instanceId: string, timeoutMs: number, why: string): Promise<StepOutcome> {
    const book = this.deps.book;
    const record = book.instance(instanceId);
    if (!record) return { status: 'done' };
    book.requestStop(instanceId, op.forced ? 'FORCE' : 'GRACEFUL', why);
    op.note(`Stopping ${instanceId} (${why})`);
    const timer = stepTimer(timeoutMs);
    try {
      const signal = AbortSignal.any([op.signal, timer.signal]);
      const final = await book.waitFor(instanceId, (r) => TERMINAL_INSTANCE_STATES.has(r.state), signal);
      op.instanceResult(instanceId, `Stopped (${why}): ${final.state}`);
      return { status: 'done' };
    } catch (reason) {
      return this.interrupted(op, instanceId, reason, 'stop');
    } finally {
      timer.dispose();
    }
  }

  /** A wait ended early: halt passes through, force and timeout clean up what this step touches. */
  private async interrupted(op: RunningOperation, instanceId: string, reason: unknown, kind: 'start' | 'stop'): Promise<StepOutcome> {
    const book = this.deps.book;
    if (reason instanceof OperationHaltedError || op.halted) throw new OperationHaltedError();
    if (reason instanceof ForceAbortError) {
      book.requestStop(instanceId, 'FORCE', 'operation aborted by force');
      const gone = await this.waitGone(op, instanceId);
      op.instanceResult(instanceId, gone ? 'Killed: operation aborted by force' : 'Kill sent; executor did not confirm', !gone);
      return kind === 'stop' && gone ? { status: 'done' } : { status: 'cancelled', message: 'aborted by force' };
    }
    if (reason instanceof StepTimeoutError) {
      const message = `Instance ${instanceId} ${reason.message}`;
      book.requestStop(instanceId, kind === 'stop' ? 'FORCE' : 'GRACEFUL', kind === 'stop' ? 'stop timed out' : 'start timed out');
      op.instanceResult(instanceId, message, true);
      return { status: 'failed', message, timedOut: true };
    }
    throw reason;
  }

  private async waitGone(op: RunningOperation, instanceId: string): Promise<boolean> {
    try {
      const signal = AbortSignal.any([op.haltSignal, AbortSignal.timeout(this.deps.cleanupWaitMs)]);
      await this.deps.book.waitFor(instanceId, (r) => TERMINAL_INSTANCE_STATES.has(r.state), signal);
      return true;
    } catch {
      if (op.halted) throw new OperationHaltedError();
      return false;
    }
  }
}

/** A per-step timeout whose reason is a StepTimeoutError (so it can be told apart from a force abort). */
function stepTimer(ms: number): { signal: AbortSignal; dispose(): void } {
  return longTimeoutSignal(ms, () => new StepTimeoutError(ms));
}

function hostOf(record: InstanceRecord): string {
  return record.localInfo?.hostname || record.executorId || 'unknown executor';
}

/**
 * Runs an instance operation's checkpointed steps through the step window (apps and local
 * services alike): steps in flight when the controller stopped are re-attached first (they hold
 * instances), the operation's progress is recounted from the checkpoint, and every start and
 * settle is noted on the step and persisted soon.
 */
export function runInstanceSteps(op: RunningOperation, steps: StepRecord[], options: {
  stopOnFailure: boolean;
  execute: (step: StepRecord) => Promise<StepOutcome>;
  now: () => number;
}): Promise<StepWindowSummary> {
  const progress = op.record.progress;
  const count = (status: StepRecord['status']): number => steps.filter((s) => s.status === status).length;
  Object.assign(progress, { total: steps.length, done: count('done'), failed: count('failed'), inFlight: 0 });
  return runStepWindow<StepRecord>({
    resumed: steps.filter((s) => s.status === 'running'),
    steps: steps.filter((s) => s.status === 'pending'),
    parallelism: op.record.opSpec.parallelism,
    stopOnFailure: options.stopOnFailure,
    control: op.control,
    execute: options.execute,
    onStarted: (step) => {
      if (step.status === 'pending') {
        step.status = 'running';
        step.startedAt = options.now();
      }
      progress.inFlight++;
      op.persistSoon();
    },
    onSettled: (step, outcome: StepOutcome) => {
      progress.inFlight--;
      step.status = outcome.status;
      if (outcome.status === 'done') progress.done++;
      else if (outcome.status === 'failed') {
        progress.failed++;
        step.message = outcome.message;
        op.note(outcome.message, true);
      } else step.message = outcome.message;
      op.persistSoon();
    },
  });
}
