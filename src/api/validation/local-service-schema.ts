/**
 * LocalServiceSpec and the local-service operations (docs/api.md §8, docs/localservices.md),
 * discriminated by their wire `type`; `STOP` is read as DEACTIVATE. Every `opSpec` is optional
 * (absent: the controller's default), and RESTART takes its op spec as `clusterOpSpec` (the
 * model's name) or `opSpec` (what some clients send).
 */
import { z } from 'zod';
import type { LocalServiceSpec } from '../localservice-types.ts';
import type { ClusterOpSpec } from '../spec-types.ts';
import { appSpecSchema } from './app-schema.ts';
import { COMMAND, dedupe, flag, text } from './field-schema.ts';
import { opSpecSchema } from './op-spec-schema.ts';

export const MAX_INSTANCES_PER_HOST = 256;

export const localServiceSpecSchema = appSpecSchema.omit({ exposureSpec: true }) satisfies z.ZodType<LocalServiceSpec>;

/** Absent is Java's primitive 0, which fails the range like any other value outside it (Drove's message). */
const instancesPerHost = z.preprocess(
  (value) => (value === undefined ? 0 : value),
  z.int().refine((n) => n >= 1 && n <= MAX_INSTANCES_PER_HOST, { error: `must be between 1 and ${MAX_INSTANCES_PER_HOST}`, params: COMMAND }),
);
const serviceId = z.string({ error: 'must not be empty' }).min(1, { error: 'must not be empty' });
const opSpec = opSpecSchema.optional();

export type LocalServiceOperation =
  | { type: 'CREATE'; spec: LocalServiceSpec; instancesPerHost: number }
  | { type: 'ACTIVATE' | 'DEACTIVATE' | 'DEPLOY_TEST_INSTANCE' | 'DESTROY'; serviceId: string }
  | { type: 'ADJUST_INSTANCES'; serviceId: string; opSpec?: ClusterOpSpec }
  | { type: 'UPDATE_INSTANCE_COUNT'; serviceId: string; instancesPerHost: number }
  | { type: 'REPLACE_INSTANCES'; serviceId: string; instanceIds: string[]; stopFirst: boolean; opSpec?: ClusterOpSpec }
  | { type: 'STOP_INSTANCES'; serviceId: string; instanceIds: string[]; opSpec?: ClusterOpSpec }
  | { type: 'RESTART'; serviceId: string; stopFirst: boolean; clusterOpSpec?: ClusterOpSpec; opSpec?: ClusterOpSpec };

export type LocalServiceOperationWireType = LocalServiceOperation['type'];

const operations = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CREATE'), spec: localServiceSpecSchema, instancesPerHost }),
  z.object({ type: z.literal('ACTIVATE'), serviceId }),
  z.object({ type: z.literal('DEACTIVATE'), serviceId }),
  z.object({ type: z.literal('DEPLOY_TEST_INSTANCE'), serviceId }),
  z.object({ type: z.literal('DESTROY'), serviceId }),
  z.object({ type: z.literal('ADJUST_INSTANCES'), serviceId, opSpec }),
  z.object({ type: z.literal('UPDATE_INSTANCE_COUNT'), serviceId, instancesPerHost }),
  z.object({
    type: z.literal('REPLACE_INSTANCES'), serviceId, instanceIds: z.array(text()).transform(dedupe).default([]), stopFirst: flag(false), opSpec,
  }),
  z.object({
    type: z.literal('STOP_INSTANCES'), serviceId,
    instanceIds: z.array(text(), { error: 'must not be empty' }).min(1, { error: 'must not be empty' }).transform(dedupe),
    opSpec,
  }),
  z.object({ type: z.literal('RESTART'), serviceId, stopFirst: flag(false), clusterOpSpec: opSpec, opSpec }),
]);

/** `STOP` is Drove's alias of DEACTIVATE. */
export const localServiceOperationSchema = z.preprocess(
  (body) => (typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'STOP' ? { ...body, type: 'DEACTIVATE' } : body),
  operations,
) satisfies z.ZodType<LocalServiceOperation>;
