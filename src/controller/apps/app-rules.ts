/**
 * Which operations an application accepts in each state (docs/api.md §2.4) and Drove's exact
 * rejection messages (§2.1). Operation types are compared by their internal names (the wire
 * `SCALE` is `SCALE_INSTANCES`), which is also how the "Only [...]" list is written, sorted.
 */
import type { ApplicationState } from '../../api/app-types.ts';
import type { AppOperationType } from '../../api/validation/index.ts';
import { CommandValidationError } from '../../common/errors.ts';

type InternalType =
  | 'DESTROY' | 'RECOVER' | 'REPLACE_INSTANCES' | 'SCALE_INSTANCES' | 'START_INSTANCES' | 'STOP_INSTANCES' | 'SUSPEND';

const ALLOWED: Record<ApplicationState, readonly InternalType[]> = {
  INIT: [],
  // SUSPEND in MONITORING is corral's no-op success (docs/api.md §2.3.4).
  MONITORING: ['DESTROY', 'RECOVER', 'SCALE_INSTANCES', 'START_INSTANCES', 'SUSPEND'],
  RUNNING: ['RECOVER', 'REPLACE_INSTANCES', 'SCALE_INSTANCES', 'START_INSTANCES', 'STOP_INSTANCES', 'SUSPEND'],
  OUTAGE_DETECTED: [],
  SCALING_REQUESTED: ['SCALE_INSTANCES'],
  STOP_INSTANCES_REQUESTED: [],
  REPLACE_INSTANCES_REQUESTED: [],
  DESTROY_REQUESTED: [],
  DESTROYED: [],
  FAILED: [],
};

export function internalTypeOf(type: Exclude<AppOperationType, 'CREATE'>): InternalType {
  return type === 'SCALE' ? 'SCALE_INSTANCES' : type;
}

/** Throws the §2.1 message when `type` is not accepted in `state`. */
export function assertAllowed(appId: string, state: ApplicationState, type: Exclude<AppOperationType, 'CREATE'>): void {
  const allowed = ALLOWED[state];
  if (allowed.length === 0) throw new CommandValidationError(`No operations allowed for ${appId} as it is in ${state} state`);
  if (!allowed.includes(internalTypeOf(type))) {
    throw new CommandValidationError(`Only [${[...allowed].sort().join(', ')}] allowed for app ${appId} as it is in ${state} state`);
  }
}

/** Operation types Drove's cancel endpoint may cancel (the running step of a scale, stop or replace). */
export const CANCELLABLE_TYPES: ReadonlySet<string> = new Set([
  'CREATE', 'SCALE', 'START_INSTANCES', 'SUSPEND', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'RECOVER',
]);
