/**
 * The three step kinds of application operations, each against real executors:
 *
 *   start:    place ─▶ record PENDING ─▶ send startInstance ─▶ wait HEALTHY | failed | timeout | force
 *   stop:     send stopInstance GRACEFUL ─▶ wait STOPPED/LOST | timeout (then FORCE) | force (then FORCE)
 *   replace:  start new ─▶ stop old        (stopFirst: stop old ─▶ start new)
 *
 * A step that is resumed after a controller restart finds its instance in the model (the
 * record is persisted before `startInstance` is sent) and only waits again. On force, a start
 * kills what it started and waits until it is really gone, so a CANCELLED operation leaves
 * nothing running.
 */
import type { AppRecord, InstanceRecord, InstanceState } from '../../api/app-types.ts';
import { allocationToWire } from '../../api/resource-types.ts';
import { newAppInstanceId } from '../../common/ids.ts';
import { longTimeoutSignal } from '../../common/long-timer.ts';
import { ForceAbortError, OperationHaltedError, StepTimeoutError } from '../operations/cancel-reason.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepOutcome } from '../operations/step-window.ts';
import type { PlacementDeps, PlacementRequest, PlacementResult } from '../scheduler/placement.ts';
import type { ExecutorRegistry } from '../context.ts';
import type { Clock } from '../../common/clock.ts';
import { TERMINAL_INSTANCE_STATES, type AppModel } from './app-model.ts';
import { appCores, appMemory } from './app-views.ts';
import type { StepRecord } from './app-checkpoint.ts';

/** States in which a starting instance is still on its way to HEALTHY. */
const STARTING_STATES: ReadonlySet<InstanceState> = new Set(['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'UNKNOWN']);

export type PlaceFunction = (deps: PlacementDeps, request: PlacementRequest, ownerId: string) => PlacementResult;

export interface StepDeps {
  model: AppModel;
  executors: ExecutorRegistry;
  placement: PlacementDeps;
  place: PlaceFunction;
  clock: Clock;
  killTimeoutMs: number;
  /** How long a forced clean-up may wait for the executor before giving up (it is then LOST). */
  cleanupWaitMs: number;
}

export interface StepTimeouts {
  startMs: number;
  stopMs: number;
}

export class AppSteps {
  private readonly deps: StepDeps;

  constructor(
    deps: StepDeps,
  ) {
    this.deps = deps;
  }

  async run(op: RunningOperation, app: AppRecord, step: StepRecord, timeouts: StepTimeouts): Promise<StepOutcome> {
    switch (step.kind) {
      case 'start':
        return this.start(op, app, step, timeouts.startMs);
      case 'stop':
        return this.stop(op, step.instanceId ?? '', timeouts.stopMs, 'scaled down');
      case 'replace':
        return this.replace(op, app, step, timeouts);
    }
  }

  private async replace(op: RunningOperation, app: AppRecord, step: StepRecord, timeouts: StepTimeouts): Promise<StepOutcome> {
    const order: ('start' | 'stop')[] = step.stopFirst ? ['stop', 'start'] : ['start', 'stop'];
    // `phase` is the half in progress when the checkpoint was written: resume from there.
    const halves = step.phase === order[1] ? [order[1]] : order;
    for (const half of halves) {
      if (half !== halves[0] && op.forced) return { status: 'cancelled', message: 'aborted by force between replacement halves' };
      step.phase = half;
      const outcome = half === 'start'
        ? await this.start(op, app, step, timeouts.startMs)
        : await this.stop(op, step.instanceId ?? '', timeouts.stopMs, `replaced${step.newInstanceId ? ` by ${step.newInstanceId}` : ''}`);
      if (outcome.status !== 'done') return outcome;
    }
    return { status: 'done' };
  }

  private async start(op: RunningOperation, app: AppRecord, step: StepRecord, timeoutMs: number): Promise<StepOutcome> {
    let record = step.newInstanceId ? this.deps.model.instance(step.newInstanceId) : undefined;
    if (!record) {
      if (op.forced) return { status: 'cancelled', message: 'not started: operation aborted by force' };
      const placed = await this.launch(op, app, step);
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
      const final = await this.deps.model.waitFor(instanceId, (r) => !STARTING_STATES.has(r.state) || this.deps.model.stopRequests.has(instanceId), signal);
      if (final.state === 'HEALTHY') {
        op.instanceResult(instanceId, `Started on ${hostOf(final)}: HEALTHY`);
        return { status: 'done' };
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

  /** Places a new instance, persists it as PENDING and sends it to its executor. */
  private async launch(op: RunningOperation, app: AppRecord, step: StepRecord): Promise<{ record: InstanceRecord } | { error: string }> {
    const instanceId = newAppInstanceId();
    const placed = this.deps.place(this.deps.placement, {
      policy: app.spec.placementPolicy,
      executableType: app.spec.executable.type,
      cores: appCores(app.spec),
      memoryMB: appMemory(app.spec),
      groupKey: app.appId,
      countsPerExecutor: this.deps.model.countsPerExecutor(app.appId),
    }, instanceId);
    if ('error' in placed) return { error: `Could not place an instance of ${app.appId}: ${placed.error}` };
    const now = this.deps.clock.now();
    const executor = this.deps.executors.get(placed.executorId);
    const record: InstanceRecord = {
      appId: app.appId,
      appName: app.spec.name,
      instanceId,
      executorId: placed.executorId,
      localInfo: { hostname: executor?.record.hostname ?? '', ports: {} },
      resources: allocationToWire(placed.allocation),
      state: 'PENDING',
      metadata: {},
      errorMessage: '',
      created: now,
      updated: now,
      operationId: op.operationId,
    };
    step.newInstanceId = instanceId;
    step.startedAt = now;
    op.persistSoon();
    this.deps.model.reservePlacement(app.appId, placed.executorId, instanceId);
    try {
      await this.deps.model.saveInstance(record);
    } catch (error) {
      this.deps.model.releasePlacement(app.appId, placed.executorId, instanceId);
      this.deps.placement.ledger.release(instanceId);
      throw error;
    }
    const sent = this.deps.executors.send(placed.executorId, {
      type: 'startInstance', instanceId, appId: app.appId, spec: app.spec, allocation: placed.allocation, killTimeoutMs: this.deps.killTimeoutMs,
    });
    if (!sent) {
      const error = `Executor ${placed.executorId} is not connected; the start could not be sent`;
      await this.deps.model.saveInstance({ ...record, state: 'STOPPED', errorMessage: error, updated: this.deps.clock.now() });
      return { error };
    }
    this.deps.model.startSentAt.set(instanceId, now);
    op.note(`Starting ${instanceId} on ${record.localInfo?.hostname || placed.executorId}`);
    return { record: this.deps.model.instance(instanceId) ?? record };
  }

  async stop(op: RunningOperation, instanceId: string, timeoutMs: number, why: string): Promise<StepOutcome> {
    const record = this.deps.model.instance(instanceId);
    if (!record) return { status: 'done' };
    this.deps.model.requestStop(instanceId, op.forced ? 'FORCE' : 'GRACEFUL', why);
    op.note(`Stopping ${instanceId} (${why})`);
    const timer = stepTimer(timeoutMs);
    try {
      const signal = AbortSignal.any([op.signal, timer.signal]);
      const final = await this.deps.model.waitFor(instanceId, (r) => TERMINAL_INSTANCE_STATES.has(r.state), signal);
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
    if (reason instanceof OperationHaltedError || op.halted) throw new OperationHaltedError();
    if (reason instanceof ForceAbortError) {
      this.deps.model.requestStop(instanceId, 'FORCE', 'operation aborted by force');
      const gone = await this.waitGone(op, instanceId);
      op.instanceResult(instanceId, gone ? 'Killed: operation aborted by force' : 'Kill sent; executor did not confirm', !gone);
      return kind === 'stop' && gone ? { status: 'done' } : { status: 'cancelled', message: 'aborted by force' };
    }
    if (reason instanceof StepTimeoutError) {
      const message = `Instance ${instanceId} ${reason.message}`;
      this.deps.model.requestStop(instanceId, kind === 'stop' ? 'FORCE' : 'GRACEFUL', kind === 'stop' ? 'stop timed out' : 'start timed out');
      op.instanceResult(instanceId, message, true);
      return { status: 'failed', message, timedOut: true };
    }
    throw reason;
  }

  private async waitGone(op: RunningOperation, instanceId: string): Promise<boolean> {
    try {
      const signal = AbortSignal.any([op.haltSignal, AbortSignal.timeout(this.deps.cleanupWaitMs)]);
      await this.deps.model.waitFor(instanceId, (r) => TERMINAL_INSTANCE_STATES.has(r.state), signal);
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
