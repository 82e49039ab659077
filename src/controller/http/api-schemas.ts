/**
 * The JSON Schemas of the OpenAPI document (docs/api.md §4.13). Request bodies are generated
 * with `z.toJSONSchema` from the very zod schemas that validate them (src/api/validation), so
 * the document cannot drift from what the handlers accept. The envelope and the query strings,
 * which no zod schema validates (query-params.ts reads them by hand), are described here by
 * small documentation-only zod schemas converted the same way.
 *
 * Everything is generated once per process, on the first request for the document.
 */
import { z } from 'zod';
import { operationAbortSchema, taskAbortSchema } from '../../api/validation/abort-schema.ts';
import { appOperationSchema, appSpecSchema } from '../../api/validation/app-schema.ts';
import { localServiceOperationSchema, localServiceSpecSchema } from '../../api/validation/local-service-schema.ts';
import { checkModeSchema, checkSpecSchema, preShutdownSchema } from '../../api/validation/check-schema.ts';
import { configSpecSchema, httpCallSchema } from '../../api/validation/config-schema.ts';
import {
  deviceSchema, exposureSchema, loggingSchema, resourceSchema, userSchema, volumeSchema,
} from '../../api/validation/container-schema.ts';
import { executableSchema } from '../../api/validation/executable-schema.ts';
import { nodeFilterSchema } from '../../api/validation/node-filter-schema.ts';
import { opSpecSchema } from '../../api/validation/op-spec-schema.ts';
import { placementPolicySchema } from '../../api/validation/placement-schema.ts';
import { ruleDryRunSchema } from '../../api/validation/rule-dryrun-schema.ts';
import { taskOperationSchema, taskSpecSchema } from '../../api/validation/task-schema.ts';
import { formatDuration, isDuration } from '../../common/durations.ts';

/** A JSON Schema as plain data. */
export type JsonSchema = Record<string, unknown>;

const envelopeSchema = z.object({
  status: z.enum(['SUCCESS', 'FAILED']).describe('`FAILED` (not `FAILURE`) on failures.'),
  data: z.unknown().optional().describe('The payload; absent when null (every null property is omitted, at any depth).'),
  message: z.string().describe('`success`, or a human-readable reason.'),
}).describe('The Drove envelope (docs/api.md §1.3).');

const failureSchema = z.object({
  status: z.literal('FAILED'),
  message: z.string(),
  data: z.unknown().optional(),
}).describe('A failure in the Drove envelope (docs/api.md §1.4).');

const validationFailureSchema = z.object({
  status: z.literal('FAILED'),
  message: z.enum(['Command validation failure', 'JSON validation failure']),
  data: z.object({ validationErrors: z.array(z.string()).describe('What is wrong, for humans: `<property path> <constraint>` or a controller rule.') }),
}).describe('A refused request (docs/api.md §1.4).');

const bytes = () => z.number().min(0);
/** [corral] `resourceUsage` of the single task and instance reads (docs/api.md §2.8; docs/metrics.md). */
const resourceUsageSchema = z.object({
  cpuSeconds: z.number().min(0).describe('CPU time used since it started (seconds).'),
  cpuPercent: z.number().min(0).describe('CPU over the last sampling interval; 100 = one core busy.'),
  memoryBytes: bytes().describe('Memory used now (containers: without the reclaimable page cache).'),
  memoryLimitBytes: bytes().describe('The hard limit it runs under (its booked MB); 0 when none is known.'),
  oomKills: z.number().int().min(0).describe('Processes of it the kernel\'s OOM killer killed (host processes; a container says so in its exit).'),
  networkRxBytes: bytes().optional().describe('Containers: bytes received.'),
  networkTxBytes: bytes().optional().describe('Containers: bytes sent.'),
  blockReadBytes: bytes().optional().describe('Containers: bytes read from block devices.'),
  blockWriteBytes: bytes().optional().describe('Containers: bytes written to block devices.'),
  sampledAt: z.number().int().describe('When its executor sampled it (epoch ms).'),
}).describe('[corral] What a running workload uses, as its executor last sampled it (every --stats-interval). Absent when it is not running.');

/** The TaskSpec `nodeFilter` dry run accepts the filter itself or `{nodeFilter: …}`. */
const nodeFilterRequestSchema = z.union([nodeFilterSchema, z.object({ nodeFilter: nodeFilterSchema })]);

/**
 * Named schemas, emitted under `components.schemas` and referenced from operations. Nested
 * schemas that have a name here are referenced rather than repeated.
 */
const COMPONENTS = {
  ApplicationOperation: appOperationSchema,
  ApplicationSpec: appSpecSchema,
  LocalServiceOperation: localServiceOperationSchema,
  LocalServiceSpec: localServiceSpecSchema,
  TaskOperation: taskOperationSchema,
  TaskSpec: taskSpecSchema,
  ClusterOpSpec: opSpecSchema,
  Executable: executableSchema,
  MountedVolume: volumeSchema,
  ConfigSpec: configSpecSchema,
  HttpCallSpec: httpCallSchema,
  ResourceRequirement: resourceSchema,
  PlacementPolicy: placementPolicySchema,
  CheckSpec: checkSpecSchema,
  CheckModeSpec: checkModeSchema,
  PreShutdownSpec: preShutdownSchema,
  LoggingSpec: loggingSchema,
  ExposureSpec: exposureSchema,
  DeviceSpec: deviceSchema,
  UserSpec: userSchema,
  NodeFilter: nodeFilterSchema,
  NodeFilterRequest: nodeFilterRequestSchema,
  RuleDryRunRequest: ruleDryRunSchema,
  OperationAbortRequest: operationAbortSchema,
  TaskAbortRequest: taskAbortSchema,
  ResourceUsage: resourceUsageSchema,
  Envelope: envelopeSchema,
  Failure: failureSchema,
  ValidationFailure: validationFailureSchema,
} satisfies Record<string, z.ZodType>;

/** The name of a schema under `components.schemas`. */
export type ComponentName = keyof typeof COMPONENTS;

/** A `$ref` to a component. */
export function componentRef(name: ComponentName): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Wire form of a default value: durations are written as clients write them. */
function wireDefault(value: unknown): unknown {
  if (isDuration(value)) return formatDuration(value);
  return value;
}

/**
 * Shared conversion options: describe what a client sends (`io: 'input'`), and put back the
 * defaults zod leaves out for schemas that transform (case-insensitive enums, durations).
 */
const conversion = {
  io: 'input',
  unrepresentable: 'any',
  override(ctx: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }) {
    const def = ctx.zodSchema._zod.def as { type: string; defaultValue?: unknown };
    if (def.type === 'default' && ctx.jsonSchema.default === undefined) {
      const value = wireDefault(def.defaultValue);
      if (value !== undefined && typeof value !== 'object') ctx.jsonSchema.default = value;
      else if (Array.isArray(value)) ctx.jsonSchema.default = value;
    }
  },
} as const;

/** Removes what an OpenAPI 3.1 Schema Object must not carry and zod's integer noise. */
function tidy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(tidy);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id') continue;
    // z.int() bounds itself to the safe-integer range: true, but noise in a document.
    if ((key === 'minimum' || key === 'maximum') && Math.abs(value as number) === Number.MAX_SAFE_INTEGER) continue;
    out[key] = tidy(value);
  }
  return out;
}

let components: Record<string, JsonSchema> | undefined;

/** Every named schema, generated on first use. */
export function componentSchemas(): Record<string, JsonSchema> {
  if (components) return components;
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { ...conversion, uri: (id) => `#/components/schemas/${id}` });
  components = tidy(schemas) as Record<string, JsonSchema>;
  dockerTypeOptional(components.Executable);
  return components;
}

/**
 * A missing executable `type` means DOCKER (`withDefaultType` in the zod schema, a preprocess the
 * generator cannot see through), so the DOCKER branch is told here that `type` is optional.
 */
function dockerTypeOptional(executable: JsonSchema): void {
  for (const branch of (executable.oneOf ?? []) as JsonSchema[]) {
    const type = (branch.properties as Record<string, JsonSchema> | undefined)?.type;
    if (type?.const === 'DOCKER') branch.required = (branch.required as string[]).filter((name) => name !== 'type');
  }
}

/** JSON Schema of a documentation-only zod schema (query strings, path parameters). */
export function inlineSchema(schema: z.ZodType): JsonSchema {
  return tidy(z.toJSONSchema(schema, conversion)) as JsonSchema;
}
