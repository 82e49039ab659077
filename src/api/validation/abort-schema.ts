/**
 * Abort requests (corral; Contrail's abort-job API, docs/sources.md#contrail). A list of ids — empty or absent means every
 * active operation (or task) — with `mode` GRACEFUL (finish the step in flight, then stop) or
 * FORCE (kill now), case-insensitive, default GRACEFUL. A GRACEFUL abort may carry a `deadline`
 * after which it becomes FORCE.
 */
import { z } from 'zod';
import type { Duration } from '../../common/durations.ts';
import type { AbortMode } from '../operation-types.ts';
import { durationField } from './durations-schema.ts';
import { dedupe, enumOf, identifier, text } from './field-schema.ts';

export interface OperationAbortRequest {
  /** Empty = every active operation. */
  operationIds: string[];
  mode: AbortMode;
  deadline?: Duration;
}

export interface TaskAbortRequest {
  /** Empty = every active task. */
  tasks: { sourceAppName: string; taskId: string }[];
  mode: AbortMode;
  deadline?: Duration;
}

const mode = () => enumOf(['GRACEFUL', 'FORCE']).default('GRACEFUL');

export const operationAbortSchema = z.object({
  operationIds: z.array(text()).transform(dedupe).default([]),
  mode: mode(),
  deadline: durationField().optional(),
}) satisfies z.ZodType<OperationAbortRequest>;

export const taskAbortSchema = z.object({
  tasks: z.array(z.object({ sourceAppName: identifier(), taskId: identifier() })).default([]),
  mode: mode(),
  deadline: durationField().optional(),
}) satisfies z.ZodType<TaskAbortRequest>;
