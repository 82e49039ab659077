/**
 * Accepting local-service operations (docs/api.md §8): parse, gate, check the service's state
 * (Drove's messages, in Drove's order), move it to the operation's requested state, and hand a
 * persisted operation record to the engine. Everything is written before the answer; a record
 * that cannot be written puts the service back as it was. Requests for one service are
 * serialised, so a state check and its write never interleave with another request's.
 */
import type { Principal } from '../../api/auth-types.ts';
import type { LocalServiceRecord } from '../../api/localservice-types.ts';
import type { ClusterOpSpec } from '../../api/spec-types.ts';
import { checkLocalServiceSpec, parseLocalServiceOperation, type LocalServiceOperation } from '../../api/validation/index.ts';
import { CommandValidationError, PlainFailureError } from '../../common/errors.ts';
import { appIdOf } from '../../common/ids.ts';
import type { ControllerContext } from '../context.ts';
import type { Operations } from '../operations/operations-port.ts';
import type { LocalServiceModel } from './local-service-model.ts';
import { assertAllowed, CANCELLABLE_STATES, REQUESTED_STATE } from './local-service-rules.ts';

export interface AcceptedLocalServiceOperation {
  serviceId: string;
  operationId: string;
}

export class LocalServiceCommands {
  private readonly ctx: ControllerContext;
  private readonly model: LocalServiceModel;
  private readonly operations: Operations;

  constructor(ctx: ControllerContext, model: LocalServiceModel, operations: Operations) {
    this.ctx = ctx;
    this.model = model;
    this.operations = operations;
  }

  /** `POST /apis/v1/localservices/operations`. */
  async submit(body: unknown, principal: Principal): Promise<AcceptedLocalServiceOperation> {
    const op = parseLocalServiceOperation(body);
    this.ctx.cluster.assertWritable();
    const serviceId = op.type === 'CREATE' ? appIdOf(op.spec.name, op.spec.version) : op.serviceId;
    return this.model.locks.run(serviceId, () => this.accept(op, serviceId, principal.username));
  }

  /** An operation the controller decided on itself (the monitor's ADJUST, an emergency DEACTIVATE). */
  async submitInternal(serviceId: string, type: 'ADJUST_INSTANCES' | 'DEACTIVATE' | 'DESTROY'): Promise<AcceptedLocalServiceOperation> {
    return this.model.locks.run(serviceId, () => this.accept({ type, serviceId } as LocalServiceOperation, serviceId, 'controller'));
  }

  /**
   * Drove's cancel: only while instances are being adjusted or replaced. Cancelling an
   * adjustment of an ACTIVE or CONFIG_TESTING service deactivates it (the operation's settle).
   */
  async cancel(serviceId: string, principal: Principal): Promise<void> {
    const service = this.model.service(serviceId);
    let registered = false;
    if (service && CANCELLABLE_STATES.has(service.state)) {
      for (const op of this.operations.pending({ kind: 'localservice', serviceId })) {
        if (op.record.state === 'CANCELLING') registered = true;
        else registered = (await this.operations.cancel(op.operationId, { kind: 'cancel', by: principal.username })).aborted || registered;
      }
    }
    if (!registered) throw new PlainFailureError('Current operation could not be cancelled');
  }

  private async accept(op: LocalServiceOperation, serviceId: string, user: string): Promise<AcceptedLocalServiceOperation> {
    const service = this.model.service(serviceId);
    if (op.type === 'CREATE') return this.create(op, serviceId, user, service);
    if (!service) throw new CommandValidationError(`No state found for local service: ${serviceId}`);
    assertAllowed(serviceId, service.state, op.type);
    let request: Record<string, unknown> = {};
    let opSpec: ClusterOpSpec = this.ctx.defaultOpSpec;
    const healthyIds = () => this.model.instances(serviceId).filter((i) => i.state === 'HEALTHY').map((i) => i.instanceId);
    switch (op.type) {
      case 'UPDATE_INSTANCE_COUNT':
        if (isHostLevel(service)) throw new CommandValidationError('Instance count update is allowed only for services that do not have Host Level option set');
        request = { instancesPerHost: op.instancesPerHost };
        break;
      case 'ADJUST_INSTANCES':
        opSpec = op.opSpec ?? opSpec;
        break;
      case 'REPLACE_INSTANCES':
      case 'RESTART': {
        const healthy = healthyIds();
        const wanted = op.type === 'REPLACE_INSTANCES' ? op.instanceIds : [];
        const missing = wanted.filter((id) => !healthy.includes(id));
        if (missing.length > 0) throw new CommandValidationError(`There are no replaceable healthy instances with ids: [${missing.join(', ')}]`);
        opSpec = (op.type === 'RESTART' ? op.clusterOpSpec ?? op.opSpec : op.opSpec) ?? opSpec;
        // A host-level instance holds its ports on the host: its replacement can only start once it is gone.
        request = { instanceIds: wanted.length > 0 ? wanted : healthy, stopFirst: op.stopFirst || isHostLevel(service) };
        break;
      }
      case 'STOP_INSTANCES': {
        const healthy = healthyIds();
        const missing = op.instanceIds.filter((id) => !healthy.includes(id));
        if (missing.length > 0) throw new CommandValidationError(`There are no healthy instances with ids: [${missing.join(', ')}]`);
        opSpec = op.opSpec ?? opSpec;
        request = { instanceIds: op.instanceIds };
        break;
      }
      default:
        break;
    }
    const before: LocalServiceRecord = { ...service };
    await this.model.saveService({ ...service, state: REQUESTED_STATE[op.type] });
    const record = this.operations.newRecord({ type: op.type, target: { kind: 'localservice', serviceId }, opSpec, createdBy: user, request });
    try {
      await this.operations.submit(record);
    } catch (error) {
      await this.model.saveService(before).catch(() => undefined);
      throw error;
    }
    return { serviceId, operationId: record.operationId };
  }

  private async create(op: Extract<LocalServiceOperation, { type: 'CREATE' }>, serviceId: string, user: string, existing: LocalServiceRecord | undefined) {
    if (existing) throw new CommandValidationError(`Local service ${serviceId} already exists`);
    const problems = checkLocalServiceSpec(op.spec, this.ctx.config);
    if (problems.length > 0) throw new CommandValidationError(problems);
    const placement = op.spec.placementPolicy;
    const hostLevel = placement?.type === 'LOCAL' && placement.hostLevel === true;
    if (hostLevel && op.instancesPerHost > 1) throw new CommandValidationError('Host level service cannot have more than one instance');
    const now = this.ctx.clock.now();
    await this.model.createService({
      serviceId, spec: op.spec, instancesPerHost: op.instancesPerHost, activationState: 'INACTIVE', state: 'INACTIVE',
      created: now, updated: now, createdBy: user,
    });
    const record = this.operations.newRecord({
      type: 'CREATE', target: { kind: 'localservice', serviceId }, opSpec: this.ctx.defaultOpSpec, createdBy: user,
      request: { instancesPerHost: op.instancesPerHost },
    });
    try {
      await this.operations.submit(record);
    } catch (error) {
      await this.model.destroyService(serviceId).catch(() => undefined);
      throw error;
    }
    return { serviceId, operationId: record.operationId };
  }
}

function isHostLevel(service: LocalServiceRecord): boolean {
  const placement = service.spec.placementPolicy;
  return placement?.type === 'LOCAL' && placement.hostLevel === true;
}
