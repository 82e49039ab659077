/**
 * Health/readiness checks and pre-shutdown hooks (docs/api.md §6.9, §6.10). HTTP mode defaults its
 * `protocol` to HTTP (corral; Drove fails at run time without it). Whether an HTTP check's
 * `portName` names an exposed port is a controller-level check (spec-checks.ts).
 */
import { z } from 'zod';
import type { CheckModeSpec, CheckSpec, PreShutdownSpec } from '../spec-types.ts';
import { durationField } from './durations-schema.ts';
import { dedupe, enumOf, flag, intIn, text } from './field-schema.ts';

export const MAX_CHECK_ATTEMPTS = 100;

const httpModeSchema = z.object({
  type: z.literal('HTTP'),
  protocol: enumOf(['HTTP', 'HTTPS']).default('HTTP'),
  portName: text(),
  path: text(),
  verb: enumOf(['GET', 'POST', 'PUT']),
  successCodes: z.array(z.int()).min(1).transform(dedupe),
  payload: z.string().optional(),
  connectionTimeout: durationField().optional(),
  insecure: flag(false),
});

const cmdModeSchema = z.object({
  type: z.literal('CMD'),
  command: text(),
  shellDisabled: flag(false),
});

export const checkModeSchema = z.discriminatedUnion('type', [httpModeSchema, cmdModeSchema]) satisfies z.ZodType<CheckModeSpec>;

export const checkSpecSchema = z.object({
  mode: checkModeSchema,
  timeout: durationField(),
  interval: durationField(),
  attempts: intIn(1, MAX_CHECK_ATTEMPTS),
  initialDelay: durationField().optional(),
}) satisfies z.ZodType<CheckSpec>;

export const preShutdownSchema = z.object({
  hooks: z.array(checkModeSchema).default([]),
  waitBeforeKill: durationField().optional(),
}) satisfies z.ZodType<PreShutdownSpec>;
