/**
 * How a local-service instance is launched: on the executor its step names (a local service is
 * placed per executor, never by the scheduler's choice), if that executor is still eligible
 * and has the cores and memory free on one NUMA node ─▶ record PENDING ─▶ send startInstance
 * (flagged as a local service). Waiting for it, stopping and replacing are the shared
 * instance steps (instances/instance-steps.ts).
 */
import type { InstanceRecord } from '../../api/app-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import { allocationToWire } from '../../api/resource-types.ts';
import type { Clock } from '../../common/clock.ts';
import { errorMessage } from '../../common/error-message.ts';
import { newLocalServiceInstanceId } from '../../common/ids.ts';
import { needsControllerFetch, resolveControllerConfigs } from '../configs/controller-fetch.ts';
import type { ExecutorRegistry } from '../executors/live-executor.ts';
import type { InstanceTokenIssuer } from '../http/instance-tokens.ts';
import { InstanceSteps, type StepTimeouts } from '../instances/instance-steps.ts';
import type { StepRecord } from '../instances/instance-step-plan.ts';
import type { RunningOperation } from '../operations/running-operation.ts';
import type { StepOutcome } from '../operations/step-window.ts';
import type { ResourceLedger } from '../scheduler/resource-ledger.ts';
import type { LocalServiceModel } from './local-service-model.ts';
import { isEligible } from './local-service-plan.ts';
import { serviceCores, serviceMemory } from './local-service-views.ts';

export interface LocalServiceStepDeps {
  model: LocalServiceModel;
  executors: ExecutorRegistry;
  ledger: ResourceLedger;
  clock: Clock;
  killTimeoutMs: number;
  cleanupWaitMs: number;
  fetchMaxBytes: number;
  /** How long a start waits for its executor to reconnect (the executor-lost grace). */
  reconnectWaitMs: number;
  /** Mints DROVE_APP_INSTANCE_AUTH_TOKEN, which Drove gives local-service instances too (docs/api.md §4.10). */
  tokens: InstanceTokenIssuer;
}

export class LocalServiceSteps {
  private readonly deps: LocalServiceStepDeps;
  private readonly steps: InstanceSteps;

  constructor(deps: LocalServiceStepDeps) {
    this.deps = deps;
    this.steps = new InstanceSteps({ book: deps.model, clock: deps.clock, cleanupWaitMs: deps.cleanupWaitMs });
  }

  run(op: RunningOperation, service: LocalServiceRecord, step: StepRecord, timeouts: StepTimeouts): Promise<StepOutcome> {
    const why = op.record.type === 'STOP_INSTANCES' ? 'stopped by request'
      : service.activationState === 'INACTIVE' ? 'service inactive' : 'not needed on its executor';
    return this.steps.run(op, step, timeouts, (o, s) => this.launch(o, service, s), why);
  }

  /**
   * An executor that is only disconnected (a controller that just restarted, a network blip) is
   * waited for, at most until it would be declared lost: its step is not failed for a moment's absence.
   */
  private async reconnected(op: RunningOperation, executorId: string): Promise<void> {
    const { executors } = this.deps;
    const executor = executors.get(executorId);
    if (!executor || executor.connected || executor.record.lostAt !== undefined) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        executors.off('connected', onConnected);
        op.signal.removeEventListener('abort', done);
        resolve();
      };
      const onConnected = (live: { record: { executorId: string } }) => {
        if (live.record.executorId === executorId) done();
      };
      const timer = setTimeout(done, this.deps.reconnectWaitMs);
      executors.on('connected', onConnected);
      op.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async launch(op: RunningOperation, service: LocalServiceRecord, step: StepRecord): Promise<{ record: InstanceRecord } | { error: string }> {
    const { model, executors, ledger, clock } = this.deps;
    const executorId = step.executorId ?? '';
    await this.reconnected(op, executorId);
    const executor = executors.get(executorId);
    if (!executor || !isEligible(executor, service)) {
      return { error: `Executor ${executor?.record.hostname ?? executorId} is no longer eligible for ${service.serviceId} (not connected, or not ACTIVE/UNREADY)` };
    }
    const instanceId = newLocalServiceInstanceId();
    const cores = serviceCores(service.spec);
    const memoryMB = serviceMemory(service.spec);
    const allocation = ledger.allocate(instanceId, executorId, cores, memoryMB);
    if (!allocation) {
      const free = ledger.capacity(executorId);
      return {
        error: `Executor ${executor.record.hostname} cannot fit an instance of ${service.serviceId}: needs ${cores} CPU core(s) and ${memoryMB} MB on one NUMA node; `
          + `it has ${free.freeCores} free core(s) and ${free.freeMemory} MB free`,
      };
    }
    const now = clock.now();
    const record: InstanceRecord = {
      appId: service.serviceId,
      appName: service.spec.name,
      instanceId,
      executorId,
      localInfo: { hostname: executor.record.hostname, ports: {} },
      resources: allocationToWire(allocation),
      state: 'PENDING',
      metadata: {},
      errorMessage: '',
      created: now,
      updated: now,
      operationId: op.operationId,
    };
    step.newInstanceId = instanceId;
    step.startedAt = now;
    model.reservePlacement(service.serviceId, executorId, instanceId);
    // The start grace runs from the moment the instance is recorded on its executor: a snapshot
    // arriving while the record is written or the configs are fetched must not call it LOST.
    model.startSentAt.set(instanceId, now);
    try {
      // Both are on disk before the executor hears of the instance: a controller that dies now
      // resumes this step with this instance.
      await Promise.all([model.saveInstance(record), op.persist()]);
    } catch (error) {
      model.startSentAt.delete(instanceId);
      model.releasePlacement(service.serviceId, executorId, instanceId);
      ledger.release(instanceId);
      throw error;
    }
    let spec = service.spec;
    if (needsControllerFetch(spec.configs)) {
      try {
        spec = { ...spec, configs: await resolveControllerConfigs(spec.configs ?? [], this.deps.fetchMaxBytes, op.signal) };
      } catch (error) {
        const message = errorMessage(error);
        await model.saveInstance({ ...record, state: 'STOPPED', errorMessage: message, updated: clock.now() });
        return { error: `Instance ${instanceId} not started: ${message}` };
      }
    }
    const hostLevel = service.spec.placementPolicy?.type === 'LOCAL' && service.spec.placementPolicy.hostLevel === true;
    const instanceToken = await this.deps.tokens.mint({ appId: service.serviceId, instanceId, executorId });
    const sent = executors.send(executorId, {
      type: 'startInstance', instanceId, appId: service.serviceId, spec, allocation, killTimeoutMs: this.deps.killTimeoutMs,
      localService: { hostLevel }, instanceToken,
    });
    if (!sent) {
      const error = `Executor ${executorId} is not connected; the start could not be sent`;
      await model.saveInstance({ ...record, state: 'STOPPED', errorMessage: error, updated: clock.now() });
      return { error };
    }
    op.note(`Starting ${instanceId} on ${executor.record.hostname}`);
    return { record: model.instance(instanceId) ?? record };
  }
}
