/**
 * ClusterOpSpec (docs/api.md §2.2): `timeout` required duration, `parallelism` 1–512 (Drove's model
 * validation range, wider than its docs' 1–32), `failureStrategy` STOP|ROLLBACK.
 */
import { z } from 'zod';
import type { ClusterOpSpec } from '../spec-types.ts';
import { durationField } from './durations-schema.ts';
import { enumOf, intIn } from './field-schema.ts';

export const MAX_PARALLELISM = 512;

export const opSpecSchema = z.object({
  timeout: durationField(),
  parallelism: intIn(1, MAX_PARALLELISM),
  failureStrategy: enumOf(['STOP', 'ROLLBACK']),
}) satisfies z.ZodType<ClusterOpSpec>;
