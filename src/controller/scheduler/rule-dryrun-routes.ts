/**
 * `POST /apis/v1/applications/placementpolicy/rule/dryrun` (docs/api.md §2.7): compiles a rule
 * and evaluates it against a scheduling document given in the request, answering in Drove's
 * shape — `data.status` says "evaluated without error", not the rule's value; `checkResult` is
 * `{"status":"SUCCESS"}`, or the compile error as a bare string.
 */
import type { FastifyInstance } from 'fastify';
import { compileHopeRuleFresh, type Json } from '../../api/hope/index.ts';
import { parseRuleDryRun, stripNulls } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import type { ClusterGates } from '../cluster/cluster-gates.ts';
import { evaluateRule } from './rule-placement.ts';

const NOT_EVALUATED = { status: 'FAILURE', error: 'Not evaluated' } as const;

export function registerRuleDryRunRoutes(app: FastifyInstance, cluster: ClusterGates): void {
  app.post('/apis/v1/applications/placementpolicy/rule/dryrun', { config: { roles: 'ANY' } }, async (request) => {
    const { ruleBasedPlacementPolicy: policy, schedulingInfo } = parseRuleDryRun(request.body);
    cluster.assertWritable();
    if (policy.ruleType !== 'HOPE') {
      return success({ status: false, checkResult: `Unregistered RuleType :${policy.ruleType}`, evalResult: NOT_EVALUATED });
    }
    // Always compiled afresh (never from the placement cache), as Drove's check does.
    const compiled = compileHopeRuleFresh(policy.rule);
    if ('error' in compiled) return success({ status: false, checkResult: compiled.error, evalResult: NOT_EVALUATED });
    const outcome = evaluateRule({ type: 'RULE_BASED', ruleType: 'HOPE', rule: policy.rule }, stripNulls(schedulingInfo) as Json);
    if ('error' in outcome) {
      return success({ status: false, checkResult: { status: 'SUCCESS' }, evalResult: { status: 'FAILURE', result: false, error: outcome.error } });
    }
    return success({ status: true, checkResult: { status: 'SUCCESS' }, evalResult: { status: 'SUCCESS', result: outcome.result } });
  });
}
