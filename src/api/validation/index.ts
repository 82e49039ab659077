/**
 * Request validation: untrusted JSON bodies → the parsed types of src/api, with Drove's error
 * behaviour (docs/api.md §1.2, §1.4, §6). Every function throws `JsonValidationError` (wrong JSON type,
 * unknown discriminator, bad duration/Base64, body not an object) or `CommandValidationError`
 * (missing/empty/out-of-range/pattern, controller checks), listing every problem found; JSON
 * problems win when both occur.
 *
 * Controller-level checks (§6.16) run after the field constraints pass, on app/task CREATE and
 * on the bare specs. They depend on the controller's options: pass `limits` (a ControllerConfig
 * will do); without it the checks that need no option (port names, CPU/MEMORY, LOCAL placement,
 * RULE_BASED rules, args length) still run, with no mount whitelist and devices/args allowed.
 * Pass `null` to run the field constraints only.
 */
import { CommandValidationError } from '../../common/errors.ts';
import type { ApplicationSpec } from '../app-types.ts';
import type { LocalServiceSpec } from '../localservice-types.ts';
import type { NodeFilter, TaskSpec } from '../task-types.ts';
import { operationAbortSchema, taskAbortSchema, type OperationAbortRequest, type TaskAbortRequest } from './abort-schema.ts';
import { appOperationSchema, appSpecSchema, type AppOperation } from './app-schema.ts';
import { localServiceOperationSchema, localServiceSpecSchema, type LocalServiceOperation } from './local-service-schema.ts';
import { nodeFilterSchema } from './node-filter-schema.ts';
import { ruleDryRunSchema, type RuleDryRun } from './rule-dryrun-schema.ts';
import { taskSearchSchema, type TaskSearch } from './task-search-schema.ts';
import { checkAppSpec, checkLocalServiceSpec, checkTaskSpec, type SpecLimits } from './spec-checks.ts';
import { taskOperationSchema, taskSpecSchema, type TaskOperation } from './task-schema.ts';
import { runSchema } from './validation-run.ts';

export type { AppOperation, AppOperationType } from './app-schema.ts';
export type { TaskOperation } from './task-schema.ts';
export type { LocalServiceOperation, LocalServiceOperationWireType } from './local-service-schema.ts';
export { MAX_INSTANCES_PER_HOST } from './local-service-schema.ts';
export type { OperationAbortRequest, TaskAbortRequest } from './abort-schema.ts';
export type { SpecLimits } from './spec-checks.ts';
export type { RuleDryRun } from './rule-dryrun-schema.ts';
export type { TaskSearch } from './task-search-schema.ts';
export { checkAppSpec, checkLocalServiceSpec, checkTaskSpec, isMountAllowed } from './spec-checks.ts';
export {
  DEFAULT_LOGGING, MASK, renderAppSpec, renderExecutable, renderLoggingSpec, renderOpSpec, renderTaskSpec,
} from './spec-render.ts';
export { formatPath, stripNulls } from './validation-run.ts';

/** Limits that restrict nothing: used when a caller passes none. */
export const UNRESTRICTED_LIMITS: SpecLimits = Object.freeze({ allowedMountDirs: [], enableRawDeviceAccess: true, disableCmdlArgs: false });

function failIfAny(messages: string[]): void {
  if (messages.length > 0) throw new CommandValidationError(messages);
}

function checked<T>(spec: T, limits: SpecLimits | null, check: (spec: T, limits: SpecLimits) => string[]): void {
  if (limits) failIfAny(check(spec, limits));
}

/** Parses a task operation body (`POST /tasks/operations`): CREATE or KILL. */
export function parseTaskOperation(body: unknown, limits: SpecLimits | null = UNRESTRICTED_LIMITS): TaskOperation {
  const op = runSchema(taskOperationSchema, body, 'Task operation');
  if (op.type === 'CREATE') checked(op.spec, limits, checkTaskSpec);
  return op;
}

/** Parses a bare TaskSpec (`POST /tasks/validate/spec`). */
export function parseTaskSpec(body: unknown, limits: SpecLimits | null = UNRESTRICTED_LIMITS): TaskSpec {
  const spec = runSchema(taskSpecSchema, body, 'Task spec');
  checked(spec, limits, checkTaskSpec);
  return spec;
}

/** Parses an application operation body (`POST /applications/operations`, `POST /operations`). */
export function parseAppOperation(body: unknown, limits: SpecLimits | null = UNRESTRICTED_LIMITS): AppOperation {
  const op = runSchema(appOperationSchema, body, 'Application operation');
  if (op.type === 'CREATE') checked(op.spec, limits, checkAppSpec);
  return op;
}

/** Parses a bare ApplicationSpec (`POST /applications/validate/spec`). */
export function parseAppSpec(body: unknown, limits: SpecLimits | null = UNRESTRICTED_LIMITS): ApplicationSpec {
  const spec = runSchema(appSpecSchema, body, 'Application spec');
  checked(spec, limits, checkAppSpec);
  return spec;
}

/** Parses a local-service operation body (`POST /localservices/operations`); spec checks are the caller's (they run after the state checks). */
export function parseLocalServiceOperation(body: unknown): LocalServiceOperation {
  return runSchema(localServiceOperationSchema, body, 'Local service operation');
}

/** Parses a bare LocalServiceSpec (`POST /localservices/validate/spec`). */
export function parseLocalServiceSpec(body: unknown, limits: SpecLimits | null = UNRESTRICTED_LIMITS): LocalServiceSpec {
  const spec = runSchema(localServiceSpecSchema, body, 'Local service spec');
  checked(spec, limits, checkLocalServiceSpec);
  return spec;
}

/** Parses a Drydock node filter (`POST /cluster/nodefilter`, TaskSpec `nodeFilter`). */
export function parseNodeFilter(body: unknown): NodeFilter {
  return runSchema(nodeFilterSchema, body, 'Node filter');
}

/** Parses Drove's task search form (`POST /tasks/search`, form fields or a query string). */
export function parseTaskSearch(fields: unknown): TaskSearch {
  return runSchema(taskSearchSchema, fields ?? {}, 'Task search');
}

/** Parses a placement-rule dry run (`POST /applications/placementpolicy/rule/dryrun`). */
export function parseRuleDryRun(body: unknown): RuleDryRun {
  return runSchema(ruleDryRunSchema, body, 'Rule dry run');
}

/** Parses an operation abort request: `{operationIds?, mode?, deadline?}`; empty ids = all active. */
export function parseOperationAbort(body: unknown): OperationAbortRequest {
  return runSchema(operationAbortSchema, body ?? {}, 'Abort request');
}

/** Parses a task abort request: `{tasks?: [{sourceAppName, taskId}], mode?, deadline?}`; empty = all active. */
export function parseTaskAbort(body: unknown): TaskAbortRequest {
  return runSchema(taskAbortSchema, body ?? {}, 'Abort request');
}
