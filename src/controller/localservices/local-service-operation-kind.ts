/**
 * Local-service operations as a kind of the operation engine (the `localservice` kind). Each
 * walks four phases, kept in its checkpoint so a resumed operation continues where it was:
 *
 *   intent ──▶ plan ──▶ steps ──▶ settle
 *
 *   intent: store what ACTIVATE / DEACTIVATE / DEPLOY_TEST_INSTANCE / UPDATE_INSTANCE_COUNT ask
 *           for; the service's state becomes its activation state (as in Drove).
 *   plan:   the steps: adjust the instances to the intent (ADJUSTING_INSTANCES while they run —
 *           Drove leaves that to its monitor, corral does it at once), replace, stop, or stop
 *           all before a DESTROY.
 *   steps:  the shared instance steps in a window of `parallelism`.
 *   settle: back to the activation state. A cancelled adjustment of an ACTIVE or CONFIG_TESTING
 *           service deactivates it (Drove's emergency deactivation); DESTROY deletes every record.
 */
import { durationMillis } from '../../common/durations.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import { planStops, reattachOrphans, summarizeSteps, type StepRecord } from '../instances/instance-step-plan.ts';
import { runInstanceSteps, type StepTimeouts } from '../instances/instance-steps.ts';
import { minimumStartTimeoutMs } from '../instances/instance-timeouts.ts';
import type { OperationKind, OperationOutcome } from '../operations/operation-kind.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepWindowSummary } from '../operations/step-window.ts';
import type { LocalServiceModel } from './local-service-model.ts';
import { planAdjust, planReplacements } from './local-service-plan.ts';
import { ACTIVATION_OF, ADJUSTING_TYPES } from './local-service-rules.ts';
import type { LocalServiceSteps } from './local-service-steps.ts';

/** Every local-service operation type an operation record may carry. */
export const LOCAL_SERVICE_RECORD_TYPES = [
  'CREATE', 'ACTIVATE', 'DEACTIVATE', 'DEPLOY_TEST_INSTANCE', 'ADJUST_INSTANCES', 'UPDATE_INSTANCE_COUNT',
  'REPLACE_INSTANCES', 'RESTART', 'STOP_INSTANCES', 'DESTROY',
] as const;

type Phase = 'intent' | 'plan' | 'steps' | 'settle';
interface Checkpoint {
  phase: Phase;
  steps: StepRecord[];
}

export interface LocalServiceKindDeps {
  model: LocalServiceModel;
  steps: LocalServiceSteps;
  executors: ExecutorRegistry;
  now(): number;
  /** Submits the DEACTIVATE of an emergency deactivation (queued behind the ending operation). */
  deactivate(serviceId: string): Promise<void>;
}

/** Operations whose plan is an adjustment of the instances to the (new) intent. */
const PLANS_AN_ADJUSTMENT = new Set(['ACTIVATE', 'DEACTIVATE', 'DEPLOY_TEST_INSTANCE', 'ADJUST_INSTANCES', 'UPDATE_INSTANCE_COUNT']);

export class LocalServiceOperationKind implements OperationKind {
  readonly targetKind = 'localservice';
  readonly types = LOCAL_SERVICE_RECORD_TYPES;
  /** One operation per service at a time (its state table refuses a second one anyway). */
  readonly oneAtATimePerTarget = true;
  private readonly deps: LocalServiceKindDeps;

  constructor(deps: LocalServiceKindDeps) {
    this.deps = deps;
  }

  async run(op: RunningOperation): Promise<OperationOutcome> {
    const target = op.record.target;
    if (target.kind !== 'localservice') return { state: 'FAILED', message: 'Not a local-service operation', reason: 'wrong target' };
    const serviceId = target.serviceId;
    const raw = op.record.checkpoint;
    const checkpoint: Checkpoint = raw && typeof raw.phase === 'string' && Array.isArray(raw.steps)
      ? raw as unknown as Checkpoint
      : { phase: 'intent', steps: [] };
    op.record.checkpoint = checkpoint as unknown as Record<string, unknown>;
    let summary: StepWindowSummary | undefined;
    while (true) {
      op.throwIfHalted();
      const service = this.deps.model.service(serviceId);
      if (!service) {
        return op.record.type === 'DESTROY'
          ? { state: 'COMPLETED', message: `Local service ${serviceId} destroyed`, reason: 'destroyed' }
          : { state: 'FAILED', message: `Local service ${serviceId} no longer exists`, reason: 'service not found' };
      }
      switch (checkpoint.phase) {
        case 'intent':
          await this.intent(op, serviceId);
          checkpoint.phase = 'plan';
          await op.persist();
          break;
        case 'plan':
          await this.plan(op, serviceId, checkpoint);
          checkpoint.phase = 'steps';
          await op.persist();
          break;
        case 'steps':
          summary = await this.runSteps(op, service, checkpoint);
          op.throwIfHalted();
          checkpoint.phase = 'settle';
          await op.persist();
          break;
        case 'settle':
          return this.settle(op, serviceId, checkpoint, summary ?? summarizeSteps(checkpoint.steps));
      }
    }
  }

  private async intent(op: RunningOperation, serviceId: string): Promise<void> {
    const { model } = this.deps;
    const type = op.record.type;
    await model.locks.run(serviceId, async () => {
      const current = model.service(serviceId);
      if (!current) return;
      const activation = ACTIVATION_OF[type];
      if (activation && !op.stopping) {
        await model.saveService({ ...current, activationState: activation, state: activation });
      } else if (type === 'UPDATE_INSTANCE_COUNT' && !op.stopping) {
        await model.saveService({ ...current, instancesPerHost: Number(op.record.request.instancesPerHost), state: current.activationState });
      }
    });
  }

  private async plan(op: RunningOperation, serviceId: string, checkpoint: Checkpoint): Promise<void> {
    const { model, executors } = this.deps;
    const request = op.record.request;
    const ids = (key: string): string[] => (Array.isArray(request[key]) ? (request[key] as string[]) : []).filter((id) => model.instance(id));
    await model.locks.run(serviceId, async () => {
      const service = model.service(serviceId);
      if (!service || op.stopping) {
        checkpoint.steps = [];
      } else if (PLANS_AN_ADJUSTMENT.has(op.record.type)) {
        checkpoint.steps = planAdjust(model, executors, service);
        if (checkpoint.steps.length > 0 && service.state !== 'ADJUSTING_INSTANCES') await model.saveService({ ...service, state: 'ADJUSTING_INSTANCES' });
      } else if (op.record.type === 'REPLACE_INSTANCES' || op.record.type === 'RESTART') {
        checkpoint.steps = planReplacements(model, ids('instanceIds'), request.stopFirst === true);
      } else if (op.record.type === 'STOP_INSTANCES') {
        checkpoint.steps = planStops(ids('instanceIds'));
      } else if (op.record.type === 'DESTROY') {
        checkpoint.steps = planStops(model.instances(serviceId).map((i) => i.instanceId));
      }
    });
    op.record.progress = { total: checkpoint.steps.length, done: 0, failed: 0, inFlight: 0 };
    const starts = checkpoint.steps.filter((s) => s.kind === 'start').length;
    const stops = checkpoint.steps.filter((s) => s.kind === 'stop').length;
    const replaces = checkpoint.steps.filter((s) => s.kind === 'replace').length;
    const parts = [starts && `start ${starts}`, stops && `stop ${stops}`, replaces && `replace ${replaces}`].filter(Boolean);
    op.note(parts.length ? `Plan: ${parts.join(', ')} instance(s)` : 'Nothing to do');
  }

  private runSteps(op: RunningOperation, service: LocalServiceRecord, checkpoint: Checkpoint): Promise<StepWindowSummary> {
    reattachOrphans(checkpoint, this.deps.model.instances(service.serviceId).filter((i) => i.operationId === op.operationId));
    const given = durationMillis(op.record.opSpec.timeout);
    const timeouts: StepTimeouts = { startMs: Math.max(given, minimumStartTimeoutMs(service.spec)), stopMs: given };
    return runInstanceSteps(op, checkpoint.steps, {
      stopOnFailure: op.record.opSpec.failureStrategy === 'STOP' || op.record.opSpec.failureStrategy === 'ROLLBACK',
      execute: (step) => this.deps.steps.run(op, service, step, timeouts),
      now: () => this.deps.now(),
    });
  }

  private async settle(op: RunningOperation, serviceId: string, checkpoint: Checkpoint, summary: StepWindowSummary): Promise<OperationOutcome> {
    const { model } = this.deps;
    const type = op.record.type;
    const cancelled = op.record.state === 'CANCELLING';
    const failure = summary.failed > 0 ? (summary.timedOut === summary.failed ? 'TIMED_OUT' : 'FAILED') : undefined;
    const steps = `${summary.done} of ${checkpoint.steps.length} step(s) done`;
    let emergency = false;
    const outcome = await model.locks.run(serviceId, async (): Promise<OperationOutcome> => {
      const service = model.service(serviceId);
      if (!service) return { state: 'FAILED', message: `Local service ${serviceId} no longer exists`, reason: 'service not found' };
      const settled = async (next: Partial<LocalServiceRecord>) => model.saveService({ ...service, ...next });
      const healthy = model.healthyCount(serviceId);
      if (type === 'CREATE') {
        return { state: 'COMPLETED', message: `Local service ${serviceId} created (${service.state})`, reason: 'created' };
      }
      if (type === 'DESTROY') {
        const left = model.instanceCount(serviceId);
        if (cancelled || left > 0) {
          await settled({ state: service.activationState });
          return cancelled
            ? { state: 'CANCELLED', message: `Destroy cancelled; ${left} instance(s) left`, reason: 'cancelled' }
            : { state: failure ?? 'FAILED', message: `Could not stop ${left} instance(s): ${summary.firstFailure ?? 'still running'}`, reason: 'instances still running' };
        }
        await model.destroyService(serviceId);
        return { state: 'COMPLETED', message: `Local service ${serviceId} destroyed`, reason: 'destroyed' };
      }
      if (cancelled) {
        if (ADJUSTING_TYPES.has(type) && service.activationState !== 'INACTIVE') {
          // Drove's "halt the rollout": a cancelled adjustment deactivates the service.
          await settled({ state: 'EMERGENCY_DEACTIVATION_REQUESTED' });
          emergency = true;
          return { state: 'CANCELLED', message: `Stopped early: ${steps}; the service is being deactivated (emergency deactivation)`, reason: 'cancelled' };
        }
        await settled({ state: service.activationState });
        return { state: 'CANCELLED', message: `Stopped early: ${steps}; ${healthy} healthy instance(s)`, reason: 'cancelled' };
      }
      await settled({ state: service.activationState, ...(failure ? { error: `Error: ${summary.firstFailure ?? 'a step failed'}` } : { error: undefined }) });
      if (failure) return { state: failure, message: `${steps}; ${summary.failed} failed: ${summary.firstFailure ?? ''}`, reason: 'step failed' };
      return { state: 'COMPLETED', message: `${steps}; ${healthy} healthy instance(s)`, reason: 'done' };
    });
    if (emergency) await this.deps.deactivate(serviceId);
    return outcome;
  }
}
