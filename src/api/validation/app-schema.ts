/**
 * ApplicationSpec (docs/api.md §6.1) and the application operations of docs/api.md §2.3, discriminated by
 * their wire `type` (`SCALE`, not the internal `SCALE_INSTANCES`).
 */
import { z } from 'zod';
import type { ApplicationSpec } from '../app-types.ts';
import type { ClusterOpSpec } from '../spec-types.ts';
import { checkSpecSchema, preShutdownSchema } from './check-schema.ts';
import { configSpecSchema } from './config-schema.ts';
import {
  argsSchema, deviceSchema, exposedPortsSchema, exposureSchema, loggingSchema, resourcesSchema, userSchema, volumeSchema,
} from './container-schema.ts';
import { executableSchema } from './executable-schema.ts';
import { dedupe, enumOf, flag, identifier, intIn, stringMap, text } from './field-schema.ts';
import { opSpecSchema } from './op-spec-schema.ts';
import { MAX_INSTANCES } from './instance-limits.ts';
import { placementPolicySchema } from './placement-schema.ts';


export const appSpecSchema = z.object({
  name: identifier(),
  version: identifier(),
  type: enumOf(['SERVICE', 'COMPUTATION', 'LOCAL_SERVICE']),
  executable: executableSchema,
  exposedPorts: exposedPortsSchema,
  volumes: z.array(volumeSchema).optional(),
  configs: z.array(configSpecSchema).optional(),
  logging: loggingSchema.optional(),
  resources: resourcesSchema,
  placementPolicy: placementPolicySchema.optional(),
  healthcheck: checkSpecSchema,
  readiness: checkSpecSchema,
  tags: stringMap().optional(),
  env: stringMap().optional(),
  args: argsSchema.optional(),
  devices: z.array(deviceSchema).optional(),
  exposureSpec: exposureSchema.optional(),
  preShutdown: preShutdownSchema.optional(),
  userSpec: userSchema.optional(),
}) satisfies z.ZodType<ApplicationSpec>;

/** A parsed application operation (docs/api.md §2.3), each with its defaults applied. */
export type AppOperation =
  | { type: 'CREATE'; spec: ApplicationSpec; instances: number; opSpec: ClusterOpSpec }
  | { type: 'START_INSTANCES'; appId: string; instances: number; opSpec: ClusterOpSpec }
  | { type: 'SCALE'; appId: string; requiredInstances: number; opSpec: ClusterOpSpec }
  | { type: 'SUSPEND'; appId: string; opSpec: ClusterOpSpec }
  | { type: 'STOP_INSTANCES'; appId: string; instanceIds: string[]; skipRespawn: boolean; opSpec: ClusterOpSpec }
  | { type: 'REPLACE_INSTANCES'; appId: string; instanceIds: string[]; stopFirst: boolean; opSpec: ClusterOpSpec }
  | { type: 'DESTROY'; appId: string; opSpec: ClusterOpSpec }
  | { type: 'RECOVER'; appId: string };

export type AppOperationType = AppOperation['type'];

export const appOperationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CREATE'), spec: appSpecSchema, instances: intIn(0, MAX_INSTANCES).default(0), opSpec: opSpecSchema }),
  z.object({ type: z.literal('START_INSTANCES'), appId: text(), instances: intIn(0, MAX_INSTANCES).default(0), opSpec: opSpecSchema }),
  z.object({ type: z.literal('SCALE'), appId: text(), requiredInstances: intIn(0, MAX_INSTANCES).default(0), opSpec: opSpecSchema }),
  z.object({ type: z.literal('SUSPEND'), appId: text(), opSpec: opSpecSchema }),
  z.object({
    type: z.literal('STOP_INSTANCES'),
    appId: text(),
    instanceIds: z.array(text()).min(1),
    skipRespawn: flag(false),
    opSpec: opSpecSchema,
  }),
  z.object({
    type: z.literal('REPLACE_INSTANCES'),
    appId: text(),
    instanceIds: z.array(text()).transform(dedupe).default([]),
    stopFirst: flag(false),
    opSpec: opSpecSchema,
  }),
  z.object({ type: z.literal('DESTROY'), appId: text(), opSpec: opSpecSchema }),
  z.object({ type: z.literal('RECOVER'), appId: text() }),
]) satisfies z.ZodType<AppOperation>;
