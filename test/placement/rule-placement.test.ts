/**
 * RULE_BASED placement end to end: a real controller and three real executors (process driver)
 * with different hostnames, labels (the metadata rules read) and tags. Tasks and app instances
 * land where Drove would put them, rules compose with tags and per-host limits in COMPOSITE
 * policies at any depth, and bad rules are refused at submit with nothing created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpAppSpec } from '../apps/real-cluster.ts';
import type { ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { startTestExecutor, type TestExecutor } from '../helpers/test-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { createBody, killBody, processSpec, waitForTaskState } from '../tasks/task-fixtures.ts';

let controller: TestController;
let api: ApiClient;
let a: TestExecutor; // zone z1, untagged
let b: TestExecutor; // zone z2, untagged
let c: TestExecutor; // zone z1, tagged gpu, gpu=a100

const zone = (value: string) => `"/allocatedExecutorNodeMetadata/zone" == "${value}"`;
const rule = (text: string) => ({ type: 'RULE_BASED', ruleType: 'HOPE', rule: text });
const OP = { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' };

beforeAll(async () => {
  controller = await startTestController({ config: { executorLostAfterMs: 10_000, killTimeoutMs: 2_000 } });
  api = controller.api();
  const common = { secret: controller.config.clusterSecret, cores: 4, memoryMb: 2048 };
  a = await startTestExecutor(controller.url, { ...common, name: 'a', hostname: 'node-a', labels: { zone: 'z1', rack: 'r1' } });
  b = await startTestExecutor(controller.url, { ...common, name: 'b', hostname: 'node-b', labels: { zone: 'z2', rack: 'r2' } });
  c = await startTestExecutor(controller.url, { ...common, name: 'c', hostname: 'node-c', tags: ['gpu'], labels: { zone: 'z1', rack: 'r3', gpu: 'a100' } });
}, 120_000);

afterAll(stopAllTestProcesses);

let taskCounter = 0;
async function runTask(policy: unknown, env?: Record<string, string>): Promise<string> {
  const taskId = `rule-${++taskCounter}`;
  const spec = processSpec(taskId, '/bin/sh', ['-c', 'exit 0'], { placementPolicy: policy, ...(env ? { env } : {}) });
  const { status, body } = await api.post('/apis/v1/tasks/operations', createBody(spec));
  expect(status, JSON.stringify(body)).toBe(200);
  const task = await waitForTaskState(api, 'TEST_APP', taskId, ['STOPPED'], 30_000);
  expect(task.taskResult?.status, JSON.stringify(task)).toBe('SUCCESSFUL');
  return task.executorId as string;
}

/** Starts `count` long tasks at once (so spreading sees each one), returns where they run, kills them. */
async function placeTogether(policy: unknown, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const taskId = `rule-${++taskCounter}`;
    ids.push(taskId);
    const spec = processSpec(taskId, '/bin/sh', ['-c', 'sleep 60'], { placementPolicy: policy });
    const { status, body } = await api.post('/apis/v1/tasks/operations', createBody(spec));
    expect(status, JSON.stringify(body)).toBe(200);
  }
  const executors: string[] = [];
  for (const taskId of ids) executors.push((await waitForTaskState(api, 'TEST_APP', taskId, ['RUNNING'], 30_000)).executorId as string);
  for (const taskId of ids) await api.post('/apis/v1/tasks/operations', killBody('TEST_APP', taskId));
  for (const taskId of ids) await waitForTaskState(api, 'TEST_APP', taskId, ['STOPPED'], 30_000);
  return executors.sort();
}

describe('RULE_BASED placement', () => {
  it('places a task only on executors whose metadata passes the rule, tagged or not', async () => {
    // the rule suppresses the implicit NO_TAG rule: the tagged executor c is eligible too
    expect(await placeTogether(rule(zone('z1')), 2)).toEqual([a.executorId, c.executorId].sort());
    expect(await runTask(rule(zone('z2')))).toBe(b.executorId);
  });

  it('reads the executor id, the spec env, and rejects candidates on which the rule errors', async () => {
    expect(await runTask(rule(`"/executorNodeId" == "${b.executorId}"`))).toBe(b.executorId);
    expect(await runTask(rule('"/applicationEnvironment/ZONE" == "/allocatedExecutorNodeMetadata/zone" && "/allocatedExecutorNodeMetadata/rack" != "r1"'), { ZONE: 'z1' })).toBe(c.executorId);
    // a and b have no gpu label: "Missing value" there rejects them, c passes
    expect(await runTask(rule('"/allocatedExecutorNodeMetadata/gpu" == "a100"'))).toBe(c.executorId);
    expect(await runTask(rule('str.match("^r[23]$", "/allocatedExecutorNodeMetadata/rack") == true && arr.in("/allocatedExecutorNodeMetadata/zone", ["z2", "z9"]) == true'))).toBe(b.executorId);
  });

  it('composes with tags and other rules in COMPOSITE AND/OR at any depth', async () => {
    // AND: z1 and not tagged → only a
    expect(await runTask({ type: 'COMPOSITE', combiner: 'AND', policies: [rule(zone('z1')), { type: 'NO_TAG' }] })).toBe(a.executorId);
    // AND with MATCH_TAG nested in an OR: (gpu OR z2) AND rack != r3 → b
    expect(await runTask({
      type: 'COMPOSITE', combiner: 'AND', policies: [
        { type: 'COMPOSITE', combiner: 'OR', policies: [{ type: 'MATCH_TAG', tag: 'gpu' }, rule(zone('z2'))] },
        rule('"/allocatedExecutorNodeMetadata/rack" != "r3"'),
      ],
    })).toBe(b.executorId);
    // OR: a hostname tag or a rule
    const hostOrGpu = { type: 'COMPOSITE', combiner: 'OR', policies: [{ type: 'MATCH_TAG', tag: 'node-b' }, rule('"/allocatedExecutorNodeMetadata/gpu" == "a100"')] };
    expect(await placeTogether(hostOrGpu, 2)).toEqual([b.executorId, c.executorId].sort());
  });

  it('places app instances one per host on the rule\'s executors, and fails a start that has nowhere to go', async () => {
    const spec = httpAppSpec('ruled', 'ruled-app', {
      placementPolicy: { type: 'COMPOSITE', policies: [rule(zone('z1')), { type: 'ONE_PER_HOST' }] },
    });
    const created = await api.post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 2, opSpec: OP });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const appId = created.body.data.appId as string;
    const instances = await waitFor(async () => {
      const list = (await api.get(`/apis/v1/applications/${appId}/instances`)).body.data as { executorId: string; state: string }[];
      return list.length === 2 && list.every((i) => i.state === 'HEALTHY') ? list : undefined;
    }, { timeoutMs: 60_000, message: 'two healthy instances' });
    expect(instances.map((i) => i.executorId).sort()).toEqual([a.executorId, c.executorId].sort());

    // a third instance passes the capacity check (rules are not evaluated there) but no executor takes it
    const scaled = await api.post('/apis/v1/applications/operations', { type: 'SCALE', appId, requiredInstances: 3, opSpec: OP });
    expect(scaled.status, JSON.stringify(scaled.body)).toBe(200);
    const op = await waitFor(async () => {
      const record = (await api.get(`/apis/v1/operations/${scaled.body.data.operationId}`)).body.data;
      return ['FAILED', 'COMPLETED'].includes(record.state) ? record : undefined;
    }, { timeoutMs: 60_000, message: 'the scale to finish' });
    expect(op.state).toBe('FAILED');
    expect(JSON.stringify(op)).toContain('satisfies the placement policy COMPOSITE(AND)[RULE_BASED(');
  });
});

describe('RULE_BASED bad input (400 at submit, nothing created)', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a rule that does not parse', rule('"/allocatedExecutorNodeMetadata/zone" = "z1"'), /Rule compilation error: Error parsing expression: Line 1, col 39: expected/],
    ['an unknown function', rule('geo.near("/executorNodeId") == true'), /Unknown function 'geo.near'/],
    ['a rule reading nothing placement provides', rule('"/zone" == "z1"'), /Rule reads \/zone, which placement never provides/],
    ['MVEL', { type: 'RULE_BASED', ruleType: 'MVEL', rule: "allocatedExecutorNodeMetadata['zone'] == 'z1'" }, /ruleType MVEL is not supported: corral evaluates HOPE rules only \(ruleType: HOPE\)/],
    ['a broken rule deep in a COMPOSITE', { type: 'COMPOSITE', policies: [{ type: 'ANY' }, { type: 'COMPOSITE', combiner: 'OR', policies: [rule('1 ==')] }] }, /Rule compilation error/],
  ];
  for (const [name, policy, message] of cases) {
    it(`app: ${name}`, async () => {
      const spec = httpAppSpec('badrule', 'badrule', { placementPolicy: policy });
      const { status, body } = await api.post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 1, opSpec: OP });
      expect(status).toBe(400);
      expect(body.status).toBe('FAILED');
      expect(JSON.stringify(body)).toMatch(message);
      expect((await api.get('/apis/v1/applications/badrule-1')).body.status).toBe('FAILED');
      const validate = await api.post('/apis/v1/applications/validate/spec', spec);
      expect(validate.status).toBe(400);
    });
    it(`task: ${name}`, async () => {
      const spec = processSpec('badrule', '/bin/true', [], { placementPolicy: policy });
      const { status, body } = await api.post('/apis/v1/tasks/operations', createBody(spec));
      expect(status).toBe(400);
      expect(JSON.stringify(body)).toMatch(message);
      expect((await api.get('/apis/v1/tasks/TEST_APP/instances/badrule')).body.status).toBe('FAILED');
    });
  }
});
