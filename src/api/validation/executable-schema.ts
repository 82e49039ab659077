/**
 * ExecutableCoordinates (docs/api.md §6.3): Drove's `DOCKER` (assumed when `type` is absent) and
 * corral's `PROCESS` (`command` an absolute path to a host binary; arguments come from the
 * spec's `args`).
 */
import { z } from 'zod';
import type { Executable } from '../spec-types.ts';
import { durationField } from './durations-schema.ts';
import { absolutePath, text, withDefaultType } from './field-schema.ts';

const dockerSchema = z.object({
  type: z.literal('DOCKER'),
  url: text(),
  dockerPullTimeout: durationField(),
});

const processSchema = z.object({
  type: z.literal('PROCESS'),
  command: absolutePath(),
});

export const executableSchema = z.preprocess(
  withDefaultType('DOCKER'),
  z.discriminatedUnion('type', [dockerSchema, processSchema]),
).describe('A missing `type` means DOCKER; PROCESS is corral\'s addition.') satisfies z.ZodType<Executable>;
