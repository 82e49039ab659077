/**
 * Placement policies (docs/api.md §6.8). Every Drove policy type parses, so that a spec using one is
 * answered with a precise controller-level message (spec-checks.ts) rather than an "unknown type":
 * a `RULE_BASED` rule must compile as HOPE and `LOCAL` is for local services only.
 */
import { z } from 'zod';
import type { PlacementPolicy } from '../spec-types.ts';
import { MAX_RULE_LENGTH } from '../hope/index.ts';
import { enumOf, flag, intIn, text } from './field-schema.ts';

export const MAX_PER_HOST_LIMIT = 64;

export const placementPolicySchema: z.ZodType<PlacementPolicy> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('ANY') }),
    z.object({ type: z.literal('ONE_PER_HOST') }),
    z.object({ type: z.literal('MAX_N_PER_HOST'), max: intIn(1, MAX_PER_HOST_LIMIT) }),
    z.object({ type: z.literal('MATCH_TAG'), tag: text() }),
    z.object({ type: z.literal('NO_TAG') }),
    z.object({ type: z.literal('RULE_BASED'), rule: text().max(MAX_RULE_LENGTH), ruleType: enumOf(['HOPE', 'MVEL']) }),
    z.object({
      type: z.literal('COMPOSITE'),
      policies: z.array(placementPolicySchema).min(1),
      combiner: enumOf(['AND', 'OR']).default('AND'),
    }),
    z.object({ type: z.literal('LOCAL'), hostLevel: flag(false) }),
  ]),
);

/** Visits a policy and every policy nested in COMPOSITEs. */
export function* walkPolicies(policy: PlacementPolicy | undefined): Generator<PlacementPolicy> {
  if (!policy) return;
  yield policy;
  if (policy.type === 'COMPOSITE') for (const inner of policy.policies) yield* walkPolicies(inner);
}
