/**
 * Accepting application operations (docs/api.md §2.1–§2.4): parse, gate, validate against the app's
 * state and the cluster, apply the immediate effects (expected count, `*_REQUESTED` state), and
 * hand a persisted operation record to the engine. Everything is written before the answer.
 * Requests for the same app are serialised, so a state check and its write never interleave
 * with another request's.
 */
import type { AppRecord } from '../../api/app-types.ts';
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import { checkAppSpec, parseAppOperation, type AppOperation } from '../../api/validation/index.ts';
import { MAX_INSTANCES } from '../../api/validation/instance-limits.ts';
import { CommandValidationError, PlainFailureError } from '../../common/errors.ts';
import { appIdOf, newOperationId } from '../../common/ids.ts';
import type { ControllerContext } from '../context.ts';
import type { Principal } from '../../api/auth-types.ts';
import type { Operations } from '../operations/operations-port.ts';
import { capacityCheck, type PlacementDeps } from '../scheduler/placement.ts';
import { SCALE_FAMILY } from './app-checkpoint.ts';
import { COMING_UP_STATES, type AppModel } from './app-model.ts';
import { assertAllowed, CANCELLABLE_TYPES } from './app-rules.ts';
import { appCores, appMemory } from './app-views.ts';

export interface AcceptedOperation {
  appId: string;
  operationId: string;
}

const ACTIVE_IDS_STATES = COMING_UP_STATES;

export class AppCommands {
  private readonly ctx: ControllerContext;
  private readonly model: AppModel;
  private readonly operations: Operations;

  constructor(
    ctx: ControllerContext,
    model: AppModel,
    operations: Operations,
  ) {
    this.ctx = ctx;
    this.model = model;
    this.operations = operations;
  }

  private get placement(): PlacementDeps {
    return { executors: this.ctx.executors, ledger: this.ctx.ledger };
  }

  /** `POST /apis/v1/applications/operations` (and the deprecated `/apis/v1/operations`). */
  async submit(body: unknown, principal: Principal): Promise<AcceptedOperation> {
    const op = parseAppOperation(body);
    this.ctx.cluster.assertWritable();
    const appId = op.type === 'CREATE' ? appIdOf(op.spec.name, op.spec.version) : op.appId;
    if (!appId) throw new CommandValidationError('no app id found in operation');
    return this.model.locks.run(appId, () => this.accept(op, appId, principal.username));
  }

  /** Drove's cancel: a graceful abort of the app's current operation. */
  async cancel(appId: string, principal: Principal): Promise<void> {
    const ops = this.operations.pending({ kind: 'app', appId }).filter((op) => CANCELLABLE_TYPES.has(op.record.type));
    let registered = false;
    for (const op of ops) {
      if (op.record.state === 'CANCELLING') registered = true;
      else registered = (await this.operations.cancel(op.operationId, { kind: 'cancel', by: principal.username })).aborted || registered;
    }
    if (!registered) throw new PlainFailureError('Current operation could not be cancelled');
  }

  /** Submits an operation the controller itself decided on (recovery, blacklist moves). */
  async submitInternal(appId: string, type: 'RECOVER' | 'BLACKLIST_MOVE' | 'DESTROY', request: Record<string, unknown>): Promise<string> {
    const record = this.operations.newRecord({ type, target: { kind: 'app', appId }, opSpec: this.ctx.defaultOpSpec, createdBy: 'controller', request });
    await this.operations.submit(record);
    return record.operationId;
  }

  private async accept(op: AppOperation, appId: string, user: string): Promise<AcceptedOperation> {
    const app = this.model.app(appId);
    if (op.type === 'CREATE') return this.create(op, appId, user, app);
    if (!app) throw new CommandValidationError(`No state found for app: ${appId}`);
    assertAllowed(appId, app.state, op.type);
    const next: AppRecord = { ...app };
    let request: Record<string, unknown> = {};
    const opSpec: ClusterOpSpec = op.type === 'RECOVER' ? this.ctx.defaultOpSpec : op.opSpec;
    const operationId = newOperationId();
    switch (op.type) {
      case 'START_INSTANCES': {
        const target = this.model.healthyCount(appId) + op.instances;
        if (target > MAX_INSTANCES) throw new CommandValidationError(`App ${appId} would have ${target} instances; an app has at most ${MAX_INSTANCES}`);
        if (op.instances > 0) this.assertCapacity(app, op.instances);
        request = { instances: op.instances, requiredInstances: target };
        Object.assign(next, { requiredInstances: target, state: 'SCALING_REQUESTED' });
        break;
      }
      case 'SCALE': {
        const up = this.model.instances(appId).filter((i) => ACTIVE_IDS_STATES.has(i.state) && i.state !== 'UNKNOWN').length;
        if (op.requiredInstances > up) this.assertCapacity(app, op.requiredInstances - up);
        request = { requiredInstances: op.requiredInstances };
        Object.assign(next, { requiredInstances: op.requiredInstances, state: 'SCALING_REQUESTED' });
        if (app.state === 'SCALING_REQUESTED') await this.supersede(appId, operationId, user);
        break;
      }
      case 'SUSPEND':
        request = { requiredInstances: 0 };
        if (app.state !== 'MONITORING') Object.assign(next, { requiredInstances: 0, state: 'SCALING_REQUESTED' });
        break;
      case 'STOP_INSTANCES': {
        const live = new Set(this.model.instances(appId).map((i) => i.instanceId));
        const missing = op.instanceIds.filter((id) => !live.has(id));
        if (missing.length > 0) throw new CommandValidationError(`App ${appId} does not have any instances with the following ids: ${missing.join(',')}`);
        const ids = [...new Set(op.instanceIds)];
        request = { instanceIds: ids, skipRespawn: op.skipRespawn };
        next.state = 'STOP_INSTANCES_REQUESTED';
        if (op.skipRespawn) next.requiredInstances = Math.max(0, app.requiredInstances - ids.length);
        break;
      }
      case 'REPLACE_INSTANCES': {
        const healthy = this.model.instances(appId).filter((i) => i.state === 'HEALTHY').map((i) => i.instanceId);
        const healthySet = new Set(healthy);
        const missing = op.instanceIds.filter((id) => !healthySet.has(id));
        if (missing.length > 0) throw new CommandValidationError(`There are no replaceable healthy instances with ids: [${missing.join(', ')}]`);
        request = { instanceIds: op.instanceIds.length > 0 ? op.instanceIds : healthy, stopFirst: op.stopFirst };
        next.state = 'REPLACE_INSTANCES_REQUESTED';
        break;
      }
      case 'DESTROY':
        next.state = 'DESTROY_REQUESTED';
        break;
      case 'RECOVER':
        break;
    }
    const changed = next.state !== app.state || next.requiredInstances !== app.requiredInstances;
    if (changed) await this.model.saveApp(next);
    const record = this.operations.newRecord({ operationId, type: op.type, target: { kind: 'app', appId }, opSpec, createdBy: user, request });
    try {
      await this.operations.submit(record);
    } catch (error) {
      // Nothing half-done: the app goes back to what it was when the operation cannot be recorded.
      if (changed) await this.model.saveApp({ ...app }).catch(() => undefined);
      throw error;
    }
    return { appId, operationId };
  }

  private async create(op: Extract<AppOperation, { type: 'CREATE' }>, appId: string, user: string, existing: AppRecord | undefined) {
    if (existing) throw new CommandValidationError(`App ${appId} already exists`);
    const problems = checkAppSpec(op.spec, this.ctx.config);
    if (problems.length > 0) throw new CommandValidationError(problems);
    const now = this.ctx.clock.now();
    await this.model.createApp({
      appId, spec: op.spec, state: op.instances > 0 ? 'RUNNING' : 'MONITORING', requiredInstances: op.instances,
      created: now, updated: now, createdBy: user,
    });
    const record = this.operations.newRecord({
      type: 'CREATE', target: { kind: 'app', appId }, opSpec: op.opSpec, createdBy: user,
      request: { instances: op.instances, requiredInstances: op.instances },
    });
    try {
      await this.operations.submit(record);
    } catch (error) {
      await this.model.deleteApp(appId).catch(() => undefined);
      throw error;
    }
    return { appId, operationId: record.operationId };
  }

  /** §2.3.9 plus "No executors on cluster". */
  private assertCapacity(app: AppRecord, count: number): void {
    const anyActive = this.ctx.executors.list().some((e) => e.connected && e.record.executorState === 'ACTIVE');
    if (!anyActive) throw new CommandValidationError('No executors on cluster');
    const problems = capacityCheck(this.placement, {
      policy: app.spec.placementPolicy, executableType: app.spec.executable.type, cores: appCores(app.spec),
      memoryMB: appMemory(app.spec), groupKey: app.appId, countsPerExecutor: new Map(),
    }, count);
    if (problems.length > 0) throw new CommandValidationError(problems);
  }

  /** A SCALE while SCALING_REQUESTED replaces the target: the scale in progress is cancelled gracefully. */
  private async supersede(appId: string, operationId: string, user: string): Promise<void> {
    for (const running of this.operations.pending({ kind: 'app', appId })) {
      if (!SCALE_FAMILY.has(running.record.type) || running.record.state === 'CANCELLING') continue;
      await this.operations.cancel(running.operationId, { kind: 'superseded', by: user, operationId });
    }
  }
}
