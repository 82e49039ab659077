/**
 * The placement-rule dry run body (docs/api.md §2.7): a RULE_BASED policy and the scheduling
 * document to evaluate it against (docs/placement.md "What a rule sees").
 */
import { z } from 'zod';
import { MAX_RULE_LENGTH } from '../hope/index.ts';
import { enumOf, stringMap, text } from './field-schema.ts';

export const ruleDryRunSchema = z.object({
  ruleBasedPlacementPolicy: z.object({
    type: z.literal('RULE_BASED').optional().describe('Send "RULE_BASED", as Drove clients do.'),
    rule: text().max(MAX_RULE_LENGTH).describe('The rule text.'),
    ruleType: enumOf(['HOPE', 'MVEL']),
  }),
  schedulingInfo: z.object({
    executorNodeId: z.string().optional(),
    allocatedExecutorNodeMetadata: stringMap().optional(),
    allExecutorMetadata: z.record(z.string(), stringMap()).optional(),
    applicationEnvironment: stringMap().optional(),
  }),
});

export type RuleDryRun = z.output<typeof ruleDryRunSchema>;
