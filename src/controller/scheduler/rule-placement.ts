/**
 * RULE_BASED placement (docs/placement.md): a HOPE rule evaluated per candidate executor against
 * Drove's SchedulingInfo document —
 *
 *   { executorNodeId, allocatedExecutorNodeMetadata, allExecutorMetadata, applicationEnvironment }
 *
 * where an executor's metadata is its labels (`corral executor --labels zone=a`), and
 * `allExecutorMetadata` covers only the executors already holding this deployment (the group's
 * workloads, including placements earlier in the same operation). A rule that errors on a
 * candidate rejects that candidate; the first error is kept for the "no executor" message.
 */
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import { compileHopeRule, evaluateHopeRule, isStableRule, type Json } from '../../api/hope/index.ts';
import type { PlacementPolicy } from '../../api/spec-types.ts';

type RulePolicy = Extract<PlacementPolicy, { type: 'RULE_BASED' }>;

export interface RuleInputs {
  /** Executors holding the deployment → their metadata. */
  allExecutorMetadata: Record<string, Record<string, string>>;
  applicationEnvironment?: Record<string, string>;
}

type Outcome = { result: boolean } | { error: string };

/**
 * Outcomes of stable rules (hope isStableRule) per executor record and rule + environment. The
 * registry replaces an executor's record object whenever it changes, so an entry can never
 * outlive the metadata it was computed from; it goes with the record.
 */
const stableOutcomes = new WeakMap<ExecutorRecord, Map<string, Outcome>>();
const STABLE_OUTCOMES_PER_EXECUTOR = 256;

/** Evaluates RULE_BASED policies for candidates; remembers the first error it met. */
export class RuleCheck {
  firstError: string | undefined;
  private readonly inputs: RuleInputs;
  private environmentKey: string | undefined;

  constructor(inputs: RuleInputs) {
    this.inputs = inputs;
  }

  allows(policy: RulePolicy, record: ExecutorRecord): boolean {
    const outcome = this.outcome(policy, record);
    if ('error' in outcome) {
      this.firstError ??= `${record.executorId}: ${outcome.error}`;
      return false;
    }
    return outcome.result;
  }

  private outcome(policy: RulePolicy, record: ExecutorRecord): Outcome {
    const compiled = policy.ruleType === 'HOPE' ? compileHopeRule(policy.rule) : undefined;
    if (!compiled || 'error' in compiled || !isStableRule(compiled.rule)) return evaluateRule(policy, schedulingInfo(record, this.inputs));
    this.environmentKey ??= JSON.stringify(this.inputs.applicationEnvironment ?? null);
    const key = `${policy.rule}\0${this.environmentKey}`;
    let outcomes = stableOutcomes.get(record);
    if (!outcomes) stableOutcomes.set(record, (outcomes = new Map()));
    let outcome = outcomes.get(key);
    if (!outcome) {
      outcome = evaluateHopeRule(compiled.rule, schedulingInfo(record, this.inputs));
      if (outcomes.size >= STABLE_OUTCOMES_PER_EXECUTOR) outcomes.clear();
      outcomes.set(key, outcome);
    }
    return outcome;
  }
}

/** The document a rule sees for one candidate (nulls omitted, as Drove serialises it). */
export function schedulingInfo(record: ExecutorRecord, inputs: RuleInputs): Json {
  const info: Record<string, Json> = {
    executorNodeId: record.executorId,
    allocatedExecutorNodeMetadata: { ...record.labels },
    allExecutorMetadata: inputs.allExecutorMetadata,
  };
  if (inputs.applicationEnvironment) info.applicationEnvironment = inputs.applicationEnvironment;
  return info;
}

/** A rule's value for one document; MVEL and uncompilable rules (rejected at submit) are errors. */
export function evaluateRule(policy: RulePolicy, document: Json): { result: boolean } | { error: string } {
  if (policy.ruleType !== 'HOPE') return { error: `Unregistered RuleType :${policy.ruleType}` };
  const compiled = compileHopeRule(policy.rule);
  if ('error' in compiled) return { error: `Rule compilation failed for: ${policy.rule}` };
  return evaluateHopeRule(compiled.rule, document);
}
