/**
 * Application operations as a kind of the operation engine (the `app` kind). Each one walks the
 * same three phases, kept in its checkpoint so a resumed operation continues where it was:
 *
 *   plan ──▶ steps ──▶ settle
 *
 *   plan:   enter the operation's app state (RECOVER: OUTAGE_DETECTED → SCALING_REQUESTED; a
 *           blacklist move: REPLACE_INSTANCES_REQUESTED), compute the steps (app-checkpoint.ts).
 *   steps:  run them in a window of `parallelism` (step-window.ts) with the per-instance
 *           timeouts of docs/api.md §2.2; failureStrategy STOP (and ROLLBACK, treated alike) stops
 *           starting new steps after a failure.
 *   settle: the app's final state and expected count (app-settle.ts).
 */
import { durationMillis } from '../../common/durations.ts';
import type { AppRecord } from '../../api/app-types.ts';
import type { OperationKind, OperationOutcome } from '../operations/operation-kind.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepWindowSummary } from '../operations/step-window.ts';
import { runInstanceSteps } from '../instances/instance-steps.ts';
import type { AppModel } from './app-model.ts';
import {
  planReplacements, planScale, planStops, reattachOrphans, readCheckpoint, SCALE_FAMILY,
  type AppCheckpoint, type StepRecord,
} from './app-checkpoint.ts';
import { settleOperation } from './app-settle.ts';
import type { AppSteps, StepTimeouts } from './app-steps.ts';
import { minimumStartTimeoutMs } from './app-views.ts';

export interface AppRunnerDeps {
  model: AppModel;
  steps: AppSteps;
  now(): number;
  /** Whether another operation on the same app is queued behind this one (it owns the app's state from now on). */
  hasSuccessor(op: RunningOperation): boolean;
}

/** Every application operation type, wire and internal. */
export const APP_OPERATION_TYPES = [
  'CREATE', 'START_INSTANCES', 'SCALE', 'SUSPEND', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'DESTROY', 'RECOVER', 'BLACKLIST_MOVE',
] as const;

export class AppOperationKind implements OperationKind {
  readonly targetKind = 'app';
  readonly types = APP_OPERATION_TYPES;
  /** One operation per app at a time: later ones wait QUEUED (docs/operations.md). */
  readonly oneAtATimePerTarget = true;
  private readonly deps: AppRunnerDeps;

  constructor(
    deps: AppRunnerDeps,
  ) {
    this.deps = deps;
  }

  async run(op: RunningOperation): Promise<OperationOutcome> {
    const target = op.record.target;
    if (target.kind !== 'app') return { state: 'FAILED', message: 'Not an application operation', reason: 'wrong target' };
    const appId = target.appId;
    const checkpoint = readCheckpoint(op.record.checkpoint);
    op.record.checkpoint = checkpoint as unknown as Record<string, unknown>;
    let phase = checkpoint.phase;
    let summary: StepWindowSummary | undefined;
    while (true) {
      op.throwIfHalted();
      const app = this.deps.model.app(appId);
      if (!app) return { state: 'FAILED', message: `App ${appId} no longer exists`, reason: 'app not found' };
      switch (phase) {
        case 'plan':
          await this.plan(op, app, checkpoint);
          phase = checkpoint.phase = 'steps';
          await op.persist();
          break;
        case 'steps':
          summary = await this.runSteps(op, app, checkpoint);
          op.throwIfHalted();
          phase = checkpoint.phase = 'settle';
          await op.persist();
          break;
        case 'settle':
          return settleOperation(this.deps.model, op, app, checkpoint, summary ?? summarize(checkpoint), this.deps.hasSuccessor(op));
      }
    }
  }

  private async plan(op: RunningOperation, app: AppRecord, checkpoint: AppCheckpoint): Promise<void> {
    const request = op.record.request;
    const model = this.deps.model;
    await model.locks.run(app.appId, async () => {
      const current = model.app(app.appId) ?? app;
      if (op.record.type === 'RECOVER' && !op.stopping) {
        await model.saveApp({ ...current, state: 'OUTAGE_DETECTED' });
        await model.saveApp({ ...(model.app(app.appId) ?? current), state: 'SCALING_REQUESTED' });
      } else if (op.record.type === 'BLACKLIST_MOVE' && !op.stopping && current.state !== 'REPLACE_INSTANCES_REQUESTED') {
        await model.saveApp({ ...current, state: 'REPLACE_INSTANCES_REQUESTED' });
      } else if (op.record.type === 'CREATE' && Number(request.instances ?? 0) > 0 && !op.stopping) {
        await model.saveApp({ ...current, state: 'SCALING_REQUESTED' });
      }
    });
    const fresh = model.app(app.appId) ?? app;
    const ids = (key: string): string[] => (Array.isArray(request[key]) ? (request[key] as string[]) : []).filter((id) => model.instance(id));
    if (op.stopping) {
      checkpoint.steps = []; // cancelled before it started: nothing to do but settle
    } else if (SCALE_FAMILY.has(op.record.type)) {
      checkpoint.target = op.record.type === 'RECOVER' ? fresh.requiredInstances : Number(request.requiredInstances ?? fresh.requiredInstances);
      checkpoint.steps = planScale(model, app.appId, checkpoint.target);
    } else if (op.record.type === 'STOP_INSTANCES') {
      checkpoint.steps = request.skipRespawn ? planStops(ids('instanceIds')) : planReplacements(ids('instanceIds'), false);
    } else if (op.record.type === 'REPLACE_INSTANCES') {
      checkpoint.steps = planReplacements(ids('instanceIds'), request.stopFirst === true);
    } else if (op.record.type === 'BLACKLIST_MOVE') {
      checkpoint.steps = planReplacements(ids('instanceIds').filter((id) => model.instance(id)?.state === 'HEALTHY'), false);
    } else if (op.record.type === 'DESTROY') {
      checkpoint.steps = planStops(model.instances(app.appId).map((i) => i.instanceId));
    }
    op.record.progress = { total: checkpoint.steps.length, done: 0, failed: 0, inFlight: 0 };
    op.note(describePlan(checkpoint));
  }

  private async runSteps(op: RunningOperation, app: AppRecord, checkpoint: AppCheckpoint) {
    reattachOrphans(checkpoint, this.deps.model.instances(app.appId).filter((i) => i.operationId === op.operationId));
    const timeouts = this.timeouts(op, app);
    return runInstanceSteps(op, checkpoint.steps, {
      stopOnFailure: true,
      execute: (step) => this.deps.steps.run(op, app, step, timeouts),
      now: () => this.deps.now(),
    });
  }

  private timeouts(op: RunningOperation, app: AppRecord): StepTimeouts {
    const given = durationMillis(op.record.opSpec.timeout);
    return { startMs: Math.max(given, minimumStartTimeoutMs(app.spec)), stopMs: given };
  }
}

function summarize(checkpoint: AppCheckpoint) {
  const count = (status: StepRecord['status']): number => checkpoint.steps.filter((s) => s.status === status).length;
  const failed = checkpoint.steps.filter((s) => s.status === 'failed');
  return {
    done: count('done'),
    failed: failed.length,
    timedOut: 0,
    cancelled: count('cancelled'),
    notStarted: count('pending'),
    halted: 0,
    firstFailure: failed[0]?.message,
  };
}

function describePlan(checkpoint: AppCheckpoint): string {
  const starts = checkpoint.steps.filter((s) => s.kind === 'start').length;
  const stops = checkpoint.steps.filter((s) => s.kind === 'stop').length;
  const replaces = checkpoint.steps.filter((s) => s.kind === 'replace').length;
  const parts = [starts && `start ${starts}`, stops && `stop ${stops}`, replaces && `replace ${replaces}`].filter(Boolean);
  const target = checkpoint.target !== undefined ? ` (target ${checkpoint.target})` : '';
  return parts.length ? `Plan${target}: ${parts.join(', ')} instance(s)` : `Nothing to do${target}`;
}
