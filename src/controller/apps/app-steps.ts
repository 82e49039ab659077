/**
 * Application steps: how an app instance is launched (place ─▶ record PENDING ─▶ send
 * startInstance); waiting for it, stopping and replacing are the shared instance steps
 * (instances/instance-steps.ts).
 */
import type { AppRecord, InstanceRecord } from '../../api/app-types.ts';
import { allocationToWire } from '../../api/resource-types.ts';
import { errorMessage } from '../../common/error-message.ts';
import { newAppInstanceId } from '../../common/ids.ts';
import { needsControllerFetch, resolveControllerConfigs } from '../configs/controller-fetch.ts';
import type { InstanceTokenIssuer } from '../http/instance-tokens.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepOutcome } from '../operations/step-window.ts';
import type { PlacementDeps, PlacementRequest, PlacementResult } from '../scheduler/placement.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import type { Clock } from '../../common/clock.ts';
import { InstanceSteps, type StepTimeouts } from '../instances/instance-steps.ts';
import type { AppModel } from './app-model.ts';
import { appCores, appMemory } from './app-views.ts';
import type { StepRecord } from './app-checkpoint.ts';

export type { StepTimeouts } from '../instances/instance-steps.ts';

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
  /** Largest body the controller fetches for the CONTROLLER_HTTP_FETCH configs of one start. */
  fetchMaxBytes: number;
  /** Mints the instance's DROVE_APP_INSTANCE_AUTH_TOKEN. */
  tokens: InstanceTokenIssuer;
}

export class AppSteps {
  private readonly deps: StepDeps;
  private readonly steps: InstanceSteps;

  constructor(
    deps: StepDeps,
  ) {
    this.deps = deps;
    this.steps = new InstanceSteps({ book: deps.model, clock: deps.clock, cleanupWaitMs: deps.cleanupWaitMs });
  }

  run(op: RunningOperation, app: AppRecord, step: StepRecord, timeouts: StepTimeouts): Promise<StepOutcome> {
    return this.steps.run(op, step, timeouts, (o, s) => this.launch(o, app, s));
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
      environment: app.spec.env,
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
    this.deps.model.reservePlacement(app.appId, placed.executorId, instanceId);
    // The start grace runs from the moment the instance is recorded on its executor, not from the
    // send: a snapshot from that executor arriving while the record is written or the configs are
    // fetched cannot list the instance yet, and must not call it LOST.
    this.deps.model.startSentAt.set(instanceId, now);
    try {
      // The instance is on disk, naming this operation, before the executor hears of it: a
      // controller that dies now resumes this step with it (reattachOrphans gives a step whose
      // checkpoint missed the id its instance back). So the checkpoint is written coalesced: at
      // one write per start, a 10,000-instance operation rewrote its 10,000 steps 10,000 times.
      await this.deps.model.saveInstance(record);
      op.persistSoon();
    } catch (error) {
      this.deps.model.startSentAt.delete(instanceId);
      this.deps.model.releasePlacement(app.appId, placed.executorId, instanceId);
      this.deps.placement.ledger.release(instanceId);
      throw error;
    }
    let spec = app.spec;
    if (needsControllerFetch(spec.configs)) {
      try {
        spec = { ...spec, configs: await resolveControllerConfigs(spec.configs ?? [], this.deps.fetchMaxBytes, op.signal) };
      } catch (error) {
        const message = errorMessage(error);
        await this.deps.model.saveInstance({ ...record, state: 'STOPPED', errorMessage: message, updated: this.deps.clock.now() });
        return { error: `Instance ${instanceId} not started: ${message}` };
      }
    }
    const instanceToken = await this.deps.tokens.mint({ appId: app.appId, instanceId, executorId: placed.executorId });
    const sent = this.deps.executors.send(placed.executorId, {
      type: 'startInstance', instanceId, appId: app.appId, spec, allocation: placed.allocation, killTimeoutMs: this.deps.killTimeoutMs, instanceToken,
    });
    if (!sent) {
      const error = `Executor ${placed.executorId} is not connected; the start could not be sent`;
      await this.deps.model.saveInstance({ ...record, state: 'STOPPED', errorMessage: error, updated: this.deps.clock.now() });
      return { error };
    }
    // Sent now: a long config fetch does not eat into the grace the executor has to report it.
    this.deps.model.startSentAt.set(instanceId, this.deps.clock.now());
    op.note(`Starting ${instanceId} on ${record.localInfo?.hostname || placed.executorId}`);
    return { record: this.deps.model.instance(instanceId) ?? record };
  }
}
