/**
 * Duration fields (docs/api.md §1.8.2). Values go through `parseDuration`; a JSON number or a string
 * outside the Dropwizard grammar is a JSON validation failure naming the field, exactly as
 * Jackson fails on it in Drove. A missing required duration is `must not be null`.
 */
import { z } from 'zod';
import { parseDuration, type Duration } from '../../common/durations.ts';
import { COMMAND, JSON_PROBLEM } from './field-schema.ts';

function toDuration(value: unknown, ctx: z.core.$RefinementCtx<unknown>): Duration {
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must not be null', params: COMMAND });
    return z.NEVER;
  }
  const parsed = parseDuration(value);
  if ('error' in parsed) {
    ctx.addIssue({ code: 'custom', message: parsed.error, params: JSON_PROBLEM });
    return z.NEVER;
  }
  return parsed;
}

/** How a duration field reads in the OpenAPI document (a transform has no JSON Schema of its own). */
const DURATION_DESCRIPTION = {
  type: 'string',
  pattern: '^(\\d+)\\s*(\\S+)$',
  description: 'Duration: a whole number and a unit, e.g. "5m", "30 seconds", "1 second" (docs/api.md §1.8.2).',
};

/** Required duration. Wrap in `.optional()` for optional ones. */
export function durationField() {
  return z.unknown().transform(toDuration).meta(DURATION_DESCRIPTION);
}

/** Required duration that must be greater than zero (e.g. a run-time limit). */
export function positiveDurationField() {
  return durationField().refine((d) => d.count > 0, { error: 'must be a positive duration', params: COMMAND });
}
