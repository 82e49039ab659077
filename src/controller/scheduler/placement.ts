/**
 * Placement (docs/api.md §6.8, §2.3.9): which executors may take a workload, and where it goes.
 * Used by tasks and by application operations alike.
 *
 * An executor is a candidate when it is ACTIVE, connected, has the driver for the executable
 * type, is in `onlyExecutors` (node-filter fan-out) when given, passes the effective placement
 * policy, and has the cores and memory free on one NUMA node. Among candidates the least
 * allocated one wins (highest free-core share, then free-memory share, then fewest workloads
 * of the same group, then executorId for determinism), which spreads load evenly.
 *
 * Every executor carries its hostname as a tag; any other tag makes it *tagged*, reserved for
 * workloads that ask for it (the implicit NO_TAG rule, `effectivePolicy`).
 */
import type { ExecutorRecord } from '../../api/cluster-types.ts';
import type { ExecutableType, PlacementPolicy } from '../../api/spec-types.ts';
import type { Allocation } from '../../api/resource-types.ts';
import type { ExecutorRegistry, LiveExecutor } from '../executors/live-executor.ts';
import type { ResourceLedger } from './resource-ledger.ts';
import type { CapacityIndex } from './capacity-index.ts';
import { RuleCheck } from './rule-placement.ts';
import { candidateKey, ranksBefore, type CandidateCache, type CandidateChecks, type CandidateScore } from './candidate-cache.ts';

export interface PlacementRequest {
  policy: PlacementPolicy | undefined;
  executableType: ExecutableType;
  cores: number;
  memoryMB: number;
  /** Per-host limits count workloads of this group: appId for apps, sourceAppName for tasks. */
  groupKey: string;
  /** Active workloads of `groupKey` per executorId, including ones placed earlier in the same operation. */
  countsPerExecutor: ReadonlyMap<string, number>;
  /** Restrict to these executors (node-filter fan-out), if given. */
  onlyExecutors?: ReadonlySet<string>;
  /** The executors were chosen explicitly (node filter): apply the policy without the implicit NO_TAG rule. */
  explicitNodes?: boolean;
  /** The spec's `env`: a RULE_BASED rule sees it as `/applicationEnvironment`. */
  environment?: Record<string, string>;
}

export interface PlacementDeps {
  /** Only `list`/`get` are used, so tests can pass an in-memory double. */
  executors: Pick<ExecutorRegistry, 'list' | 'get' | 'generation'>;
  ledger: ResourceLedger;
  /** Told how long each placement took and whether it placed (the controller's metrics). */
  observePlacement?: (seconds: number, placed: boolean) => void;
  /** Candidates kept between placements, so a big scale does not scan the fleet per instance. */
  candidates?: CandidateCache;
  /** The capacity check's totals kept per policy, so a CREATE does not scan the fleet. */
  capacity?: CapacityIndex;
}

export type PlacementResult = { executorId: string; allocation: Allocation } | { error: string };

/** Whether a policy has a RULE_BASED part at any depth. */
function hasRule(policy: PlacementPolicy): boolean {
  if (policy.type === 'RULE_BASED') return true;
  if (policy.type === 'COMPOSITE') return policy.policies.some(hasRule);
  return false;
}

/** Whether a policy asks for tags itself (MATCH_TAG or RULE_BASED at any depth). */
function isTagAware(policy: PlacementPolicy): boolean {
  if (policy.type === 'MATCH_TAG' || policy.type === 'RULE_BASED') return true;
  if (policy.type === 'COMPOSITE') return policy.policies.some(isTagAware);
  return false;
}

/** The policy actually applied: Drove's implicit NO_TAG rule. */
export function effectivePolicy(policy: PlacementPolicy | undefined): PlacementPolicy {
  const given: PlacementPolicy = policy ?? { type: 'ANY' };
  if (isTagAware(given)) return given;
  return { type: 'COMPOSITE', combiner: 'AND', policies: [given, { type: 'NO_TAG' }] };
}

/** The executor's tags as placement sees them: its configured tags plus its hostname. */
export function executorTags(record: ExecutorRecord): string[] {
  return record.tags.includes(record.hostname) ? record.tags : [record.hostname, ...record.tags];
}

/**
 * Evaluates a policy for one executor. `perHostLimits: false` treats ONE_PER_HOST and
 * MAX_N_PER_HOST as passing and RULE_BASED as eligible everywhere (the capacity check evaluates
 * neither, §2.3.9); otherwise RULE_BASED is evaluated by `rules` (no check: not allowed).
 */
export function policyAllows(
  policy: PlacementPolicy,
  record: ExecutorRecord,
  countOnExecutor: number,
  perHostLimits = true,
  rules?: RuleCheck,
): boolean {
  switch (policy.type) {
    case 'ANY':
      return true;
    case 'ONE_PER_HOST':
      return !perHostLimits || countOnExecutor === 0;
    case 'MAX_N_PER_HOST':
      return !perHostLimits || countOnExecutor < policy.max;
    case 'MATCH_TAG':
      return record.hostname === policy.tag || record.tags.includes(policy.tag);
    case 'NO_TAG':
      return record.tags.every((tag) => tag === record.hostname);
    case 'COMPOSITE':
      return policy.combiner === 'OR'
        ? policy.policies.some((p) => policyAllows(p, record, countOnExecutor, perHostLimits, rules))
        : policy.policies.every((p) => policyAllows(p, record, countOnExecutor, perHostLimits, rules));
    case 'RULE_BASED':
      return !perHostLimits || (rules?.allows(policy, record) ?? false);
    case 'LOCAL': // local services only
      return false;
  }
}

/** A short human rendering of a policy for error messages, e.g. `COMPOSITE(AND)[ANY, NO_TAG]`. */
export function describePolicy(policy: PlacementPolicy): string {
  switch (policy.type) {
    case 'MAX_N_PER_HOST':
      return `MAX_N_PER_HOST(${policy.max})`;
    case 'MATCH_TAG':
      return `MATCH_TAG(${policy.tag})`;
    case 'RULE_BASED':
      return `RULE_BASED(${policy.rule})`;
    case 'COMPOSITE':
      return `COMPOSITE(${policy.combiner})[${policy.policies.map(describePolicy).join(', ')}]`;
    default:
      return policy.type;
  }
}

function isSchedulable(executor: LiveExecutor): boolean {
  return executor.connected && executor.record.executorState === 'ACTIVE';
}

/**
 * Picks an executor and takes resources for `ownerId` in the ledger. On failure the error
 * names the first filter that left no candidate (driver, pinning, policy, resources).
 */
export function place(deps: PlacementDeps, request: PlacementRequest, ownerId: string): PlacementResult {
  if (!deps.observePlacement) return placeNow(deps, request, ownerId);
  const started = performance.now();
  const result = placeNow(deps, request, ownerId);
  deps.observePlacement((performance.now() - started) / 1000, !('error' in result));
  return result;
}

function placeNow(deps: PlacementDeps, request: PlacementRequest, ownerId: string): PlacementResult {
  const policy = request.explicitNodes ? request.policy ?? { type: 'ANY' } : effectivePolicy(request.policy);
  const rules = hasRule(policy) ? ruleCheckFor(deps, request) : undefined;
  const checks = candidateChecks(deps, request, policy, rules);
  if (deps.candidates && !request.onlyExecutors && !rules) {
    const key = candidateKey(request.groupKey, request.executableType, request.cores, request.memoryMB, policy, request.explicitNodes === true);
    const cached = deps.candidates.place(key, checks, request.cores, request.memoryMB, ownerId);
    if (cached) return cached;
  }
  return scanAndPlace(deps, request, policy, rules, ownerId);
}

/** The checks a scan makes on one executor, for the candidate cache. */
function candidateChecks(deps: PlacementDeps, request: PlacementRequest, policy: PlacementPolicy, rules: RuleCheck | undefined): CandidateChecks {
  const countOn = (executorId: string) => request.countsPerExecutor.get(executorId) ?? 0;
  const scoreOf = (executorId: string) => deps.ledger.canFit(executorId, request.cores, request.memoryMB)
    ? scoreFor(deps.ledger.capacity(executorId), countOn(executorId)) : undefined;
  const eligible = (executor: LiveExecutor) => isSchedulable(executor) && executor.record.drivers.includes(request.executableType)
    && policyAllows(policy, executor.record, countOn(executor.record.executorId), true, rules);
  return {
    executors: deps.executors, ledger: deps.ledger, eligible, scoreOf,
    scan: () => deps.executors.list().flatMap((executor) => {
      if (!eligible(executor)) return [];
      const score = scoreOf(executor.record.executorId);
      return score ? [{ executorId: executor.record.executorId, score }] : [];
    }),
  };
}

function scoreFor(capacity: { freeCores: number; totalCores: number; freeMemory: number; totalMemory: number }, count: number): CandidateScore {
  return [
    capacity.totalCores > 0 ? capacity.freeCores / capacity.totalCores : 0,
    capacity.totalMemory > 0 ? capacity.freeMemory / capacity.totalMemory : 0,
    -count,
  ];
}

/** Scores every executor in the pool; on failure the error names the first filter that left none. */
function scanAndPlace(deps: PlacementDeps, request: PlacementRequest, policy: PlacementPolicy, rules: RuleCheck | undefined, ownerId: string): PlacementResult {
  const pool = request.onlyExecutors
    ? [...request.onlyExecutors].map((id) => deps.executors.get(id)).filter((e): e is LiveExecutor => e !== undefined)
    : deps.executors.list();
  let schedulable = 0;
  let withDriver = 0;
  let allowed = 0;
  let best: { executorId: string; score: CandidateScore } | undefined;
  let mostFreeCores = -1;
  let mostFreeMemory = -1;
  for (const executor of pool) {
    if (!isSchedulable(executor)) continue;
    schedulable++;
    const record = executor.record;
    if (!record.drivers.includes(request.executableType)) continue;
    withDriver++;
    const count = request.countsPerExecutor.get(record.executorId) ?? 0;
    if (!policyAllows(policy, record, count, true, rules)) continue;
    allowed++;
    const capacity = deps.ledger.capacity(record.executorId);
    mostFreeCores = Math.max(mostFreeCores, capacity.freeCores);
    mostFreeMemory = Math.max(mostFreeMemory, capacity.freeMemory);
    if (!deps.ledger.canFit(record.executorId, request.cores, request.memoryMB)) continue;
    const candidate = { executorId: record.executorId, score: scoreFor(capacity, count) };
    if (!best || ranksBefore(candidate, best)) best = candidate;
  }

  if (best) {
    const allocation = deps.ledger.allocate(ownerId, best.executorId, request.cores, request.memoryMB);
    if (allocation) return { executorId: best.executorId, allocation };
  }
  const pinned = request.onlyExecutors ? ` among the pinned executor(s) ${[...request.onlyExecutors].join(', ')}` : '';
  if (pool.length === 0) return { error: request.onlyExecutors ? `the pinned executor(s) ${[...request.onlyExecutors].join(', ')} are not known to the controller` : 'no executor is registered' };
  if (schedulable === 0) return { error: `no executor is ACTIVE and connected${pinned}` };
  if (withDriver === 0) return { error: `no ACTIVE executor has the ${request.executableType} driver${pinned}` };
  if (allowed === 0) {
    const ruleError = rules?.firstError ? ` (the rule failed on ${rules.firstError})` : '';
    return { error: `no ACTIVE executor with the ${request.executableType} driver satisfies the placement policy ${describePolicy(policy)}${pinned}${ruleError}` };
  }
  return {
    error: `not enough free resources: needs ${request.cores} CPU core(s) and ${request.memoryMB} MB on one NUMA node; `
      + `the eligible executors have at most ${mostFreeCores} free core(s) and ${mostFreeMemory} MB free${pinned}`,
  };
}

/** What a RULE_BASED rule sees besides the candidate: the deployment's executors and the env. */
function ruleCheckFor(deps: PlacementDeps, request: PlacementRequest): RuleCheck {
  const allExecutorMetadata: Record<string, Record<string, string>> = {};
  for (const [executorId, count] of request.countsPerExecutor) {
    if (count > 0) allExecutorMetadata[executorId] = { ...(deps.executors.get(executorId)?.record.labels ?? {}) };
  }
  return new RuleCheck({ allExecutorMetadata, applicationEnvironment: request.environment });
}

/** What the capacity check weighs: free cores and memory summed, and the biggest NUMA node. */
export interface CapacityTotals {
  freeCores: number;
  freeMemory: number;
  maxNodeCores: number;
}

/**
 * Whether an executor's resources count in the capacity check (§2.3.9): ACTIVE, connected or not
 * yet declared lost, and passing the tag rules of `policy` (per-host limits ignored).
 */
export function countsTowardCapacity(executor: LiveExecutor, policy: PlacementPolicy): boolean {
  const record = executor.record;
  if (record.executorState !== 'ACTIVE' || (!executor.connected && record.lostAt !== undefined)) return false;
  return policyAllows(policy, record, 0, false);
}

/** The capacity totals by a scan of the fleet (or of the pinned executors among it). */
export function scanCapacity(deps: Pick<PlacementDeps, 'executors' | 'ledger'>, policy: PlacementPolicy, onlyExecutors?: ReadonlySet<string>): CapacityTotals {
  const totals: CapacityTotals = { freeCores: 0, freeMemory: 0, maxNodeCores: 0 };
  for (const executor of deps.executors.list()) {
    if (onlyExecutors && !onlyExecutors.has(executor.record.executorId)) continue;
    if (!countsTowardCapacity(executor, policy)) continue;
    const capacity = deps.ledger.capacity(executor.record.executorId);
    totals.freeCores += capacity.freeCores;
    totals.freeMemory += capacity.freeMemory;
    totals.maxNodeCores = Math.max(totals.maxNodeCores, deps.ledger.largestNodeCores(executor.record.executorId));
  }
  return totals;
}

/**
 * Capacity check for `count` workloads (§2.3.9): over ACTIVE executors (connected, or not yet
 * declared lost) that pass the tag rules of the effective policy — per-host limits ignored —
 * the summed free cores and memory must cover `count` × the request, and the biggest NUMA node
 * must have at least the per-workload core count. Returns the verbatim messages (empty = pass).
 * The totals come from the capacity index when there is one, else from a scan.
 */
export function capacityCheck(deps: PlacementDeps, request: PlacementRequest, count: number): string[] {
  const policy = request.explicitNodes ? request.policy ?? { type: 'ANY' } : effectivePolicy(request.policy);
  const { freeCores, freeMemory, maxNodeCores } = deps.capacity && !request.onlyExecutors
    ? deps.capacity.totals(policy)
    : scanCapacity(deps, policy, request.onlyExecutors);
  const errors: string[] = [];
  const requiredCores = count * request.cores;
  const requiredMemory = count * request.memoryMB;
  if (requiredCores > freeCores) errors.push(`Cluster does not have enough CPU. Required: ${requiredCores} Available: ${freeCores}`);
  if (requiredMemory > freeMemory) errors.push(`Cluster does not have enough Memory. Required: ${requiredMemory} Available: ${freeMemory}`);
  if (request.cores > maxNodeCores) {
    errors.push(`Required cores exceeds the maximum core available on a single NUMA node in the cluster. Required: ${request.cores} Max: ${maxNodeCores}`);
  }
  return errors;
}
