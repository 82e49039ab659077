/**
 * TaskSpec (docs/api.md §6.2, plus corral's optional `nodeFilter` and `maxRunDuration`) and the task
 * operations CREATE / KILL (docs/api.md §3.1). Fields a TaskSpec does not have (ports, checks,
 * exposure, hooks) are ignored like any unknown property.
 */
import { z } from 'zod';
import type { ClusterOpSpec } from '../spec-types.ts';
import type { TaskSpec } from '../task-types.ts';
import { configSpecSchema } from './config-schema.ts';
import {
  argsSchema, deviceSchema, loggingSchema, resourcesSchema, userSchema, volumeSchema,
} from './container-schema.ts';
import { positiveDurationField } from './durations-schema.ts';
import { executableSchema } from './executable-schema.ts';
import { identifier, stringMap } from './field-schema.ts';
import { nodeFilterSchema } from './node-filter-schema.ts';
import { opSpecSchema } from './op-spec-schema.ts';
import { placementPolicySchema } from './placement-schema.ts';

export const taskSpecSchema = z.object({
  sourceAppName: identifier(),
  taskId: identifier(),
  executable: executableSchema,
  volumes: z.array(volumeSchema).optional(),
  configs: z.array(configSpecSchema).optional(),
  logging: loggingSchema.optional(),
  resources: resourcesSchema,
  placementPolicy: placementPolicySchema.optional(),
  tags: stringMap().optional(),
  env: stringMap().optional(),
  args: argsSchema.optional(),
  devices: z.array(deviceSchema).optional(),
  userSpec: userSchema.optional(),
  nodeFilter: nodeFilterSchema.optional(),
  maxRunDuration: positiveDurationField().optional(),
}) satisfies z.ZodType<TaskSpec>;

/** A parsed task operation (docs/api.md §3.1). */
export type TaskOperation =
  | { type: 'CREATE'; spec: TaskSpec; opSpec: ClusterOpSpec }
  | { type: 'KILL'; sourceAppName: string; taskId: string; opSpec: ClusterOpSpec };

export const taskOperationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CREATE'), spec: taskSpecSchema, opSpec: opSpecSchema }),
  z.object({ type: z.literal('KILL'), sourceAppName: identifier(), taskId: identifier(), opSpec: opSpecSchema }),
]) satisfies z.ZodType<TaskOperation>;
