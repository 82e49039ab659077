/**
 * RULE_BASED placement cost, printed: compiling a HOPE rule, evaluating it once, and placing
 * with it across a cluster of N executors (every candidate evaluated), against the same
 * placement with MATCH_TAG as the baseline.
 *
 *   node bench/rules.ts                 # 200 executors, 20 000 placements
 *   RULES_BENCH_EXECUTORS=1000 RULES_BENCH_N=5000 node bench/rules.ts
 */
import type { ExecutorRecord } from '../src/api/cluster-types.ts';
import { compileHopeRuleFresh, evaluateHopeRule, type Json } from '../src/api/hope/index.ts';
import type { PlacementPolicy } from '../src/api/spec-types.ts';
import type { LiveExecutor } from '../src/controller/executors/live-executor.ts';
import { place, type PlacementDeps } from '../src/controller/scheduler/placement.ts';
import { ResourceLedger } from '../src/controller/scheduler/resource-ledger.ts';

const EXECUTORS = Number(process.env.RULES_BENCH_EXECUTORS ?? 200);
const N = Number(process.env.RULES_BENCH_N ?? 20_000);
const RULE = 'str.match("^r[0-9]+$", "/allocatedExecutorNodeMetadata/rack") == true && arr.in("/allocatedExecutorNodeMetadata/zone", ["z1", "z2"]) == true';

function cluster(): PlacementDeps {
  const ledger = new ResourceLedger();
  const executors = new Map<string, LiveExecutor>();
  for (let i = 0; i < EXECUTORS; i++) {
    const id = `ex-${i}`;
    const layout = { cores: { '0': Array.from({ length: 64 }, (_, c) => c) }, memory: { '0': 1 << 20 } };
    const record: ExecutorRecord = {
      executorId: id, hostname: `${id}.host`, port: 3000, transportType: 'HTTP', name: id, tags: i % 2 ? ['gpu'] : [],
      labels: { zone: `z${i % 4}`, rack: `r${i % 16}` }, layout, drivers: ['PROCESS'], version: 'bench', executorState: 'ACTIVE', lastSeen: 0, updated: 0,
    };
    executors.set(id, { record, connected: true, tasks: new Map() });
    ledger.setLayout(id, layout);
  }
  return { ledger, executors: { list: () => [...executors.values()], get: (id: string) => executors.get(id) } };
}

function perSecond(label: string, count: number, run: (i: number) => void): void {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) run(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(52)} ${Math.round(count / seconds).toLocaleString('en').padStart(12)} /s   ${((seconds / count) * 1e6).toFixed(1).padStart(8)} µs each`);
}

const document: Json = { executorNodeId: 'ex-1', allocatedExecutorNodeMetadata: { zone: 'z1', rack: 'r3' }, allExecutorMetadata: {}, applicationEnvironment: {} };
const compiled = compileHopeRuleFresh(RULE);
if ('error' in compiled) throw new Error(compiled.error);
console.log(`rule: ${RULE}\n${EXECUTORS} executors\n`);
perSecond('compile (parse + check)', 2_000, () => compileHopeRuleFresh(RULE));
perSecond('evaluate once', N * 10, () => evaluateHopeRule(compiled.rule, document));

for (const [label, policy] of [
  ['place with MATCH_TAG gpu (baseline)', { type: 'MATCH_TAG', tag: 'gpu' }],
  ['place with RULE_BASED (every candidate evaluated)', { type: 'RULE_BASED', ruleType: 'HOPE', rule: RULE }],
] as [string, PlacementPolicy][]) {
  const deps = cluster();
  const counts = new Map<string, number>();
  perSecond(label, N, (i) => {
    const result = place(deps, { policy, executableType: 'PROCESS', cores: 1, memoryMB: 1, groupKey: 'bench', countsPerExecutor: counts }, `w-${i}`);
    if ('error' in result) throw new Error(result.error);
    deps.ledger.release(`w-${i}`);
  });
}
