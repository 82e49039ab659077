/**
 * Which operations a local service accepts in each state, with Drove's rejection messages, and
 * the state each accepted operation moves it to (docs/localservices.md, "State machine").
 * A state a running operation put the service in allows nothing, so two operations never run
 * on one service at once: the second is refused with a 400 rather than dropped.
 */
import type { LocalServiceActivationState, LocalServiceState } from '../../api/localservice-types.ts';
import type { LocalServiceOperationWireType } from '../../api/validation/index.ts';
import { CommandValidationError } from '../../common/errors.ts';

type NonCreate = Exclude<LocalServiceOperationWireType, 'CREATE'>;

const ALLOWED: Partial<Record<LocalServiceState, readonly NonCreate[]>> = {
  INACTIVE: ['ACTIVATE', 'ADJUST_INSTANCES', 'DEPLOY_TEST_INSTANCE', 'DESTROY', 'UPDATE_INSTANCE_COUNT'],
  CONFIG_TESTING: ['ACTIVATE', 'ADJUST_INSTANCES', 'DEACTIVATE', 'REPLACE_INSTANCES', 'RESTART', 'STOP_INSTANCES'],
  ACTIVE: ['ADJUST_INSTANCES', 'DEACTIVATE', 'REPLACE_INSTANCES', 'RESTART', 'STOP_INSTANCES', 'UPDATE_INSTANCE_COUNT'],
  EMERGENCY_DEACTIVATION_REQUESTED: ['DEACTIVATE'],
};

/** Throws Drove's message when `type` is not accepted in `state`. */
export function assertAllowed(serviceId: string, state: LocalServiceState, type: NonCreate): void {
  const allowed = ALLOWED[state] ?? [];
  if (allowed.length === 0) throw new CommandValidationError(`No operations allowed for ${serviceId} as it is in ${state} state`);
  if (!allowed.includes(type)) {
    throw new CommandValidationError(`Only [${[...allowed].sort().join(', ')}] allowed for local service ${serviceId} as it is in ${state} state`);
  }
}

/** The state an accepted operation puts the service in until it ends. */
export const REQUESTED_STATE: Record<NonCreate, LocalServiceState> = {
  ACTIVATE: 'ACTIVATION_REQUESTED',
  DEACTIVATE: 'DEACTIVATION_REQUESTED',
  DEPLOY_TEST_INSTANCE: 'CONFIG_TESTING_REQUESTED',
  ADJUST_INSTANCES: 'ADJUSTING_INSTANCES',
  UPDATE_INSTANCE_COUNT: 'UPDATING_INSTANCES_COUNT',
  REPLACE_INSTANCES: 'REPLACING_INSTANCES',
  RESTART: 'REPLACING_INSTANCES',
  STOP_INSTANCES: 'STOPPING_INSTANCES',
  DESTROY: 'DESTROY_REQUESTED',
};

/** The intent an operation stores, for the three that change it. */
export const ACTIVATION_OF: Partial<Record<string, LocalServiceActivationState>> = {
  ACTIVATE: 'ACTIVE',
  DEACTIVATE: 'INACTIVE',
  DEPLOY_TEST_INSTANCE: 'CONFIG_TESTING',
};

/** Operations that adjust the instances to the intent (and so deactivate the service when cancelled). */
export const ADJUSTING_TYPES: ReadonlySet<string> = new Set(['ACTIVATE', 'DEPLOY_TEST_INSTANCE', 'ADJUST_INSTANCES', 'UPDATE_INSTANCE_COUNT']);

/** States in which Drove's cancel endpoint has something to cancel. */
export const CANCELLABLE_STATES: ReadonlySet<LocalServiceState> = new Set(['ADJUSTING_INSTANCES', 'REPLACING_INSTANCES']);
