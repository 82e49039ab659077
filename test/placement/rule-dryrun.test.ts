/**
 * The placement-rule dry run (docs/api.md §2.7) against a real controller: Drove's answer shapes
 * for a true, a false, an uncompilable and an erroring rule, MVEL, and its refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../helpers/api-client.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';

const PATH = '/apis/v1/applications/placementpolicy/rule/dryrun';
let controller: TestController;
let api: ApiClient;

beforeAll(async () => {
  controller = await startTestController({ config: { maintenanceGraceMs: 0 } });
  api = controller.api();
});
afterAll(stopAllTestProcesses);

const body = (rule: string, ruleType = 'HOPE', zone = 'z1') => ({
  ruleBasedPlacementPolicy: { type: 'RULE_BASED', ruleType, rule },
  schedulingInfo: { executorNodeId: 'e1', allocatedExecutorNodeMetadata: { zone }, allExecutorMetadata: {}, applicationEnvironment: {} },
});
const ZONE_RULE = '"/allocatedExecutorNodeMetadata/zone" == "z1"';

describe('POST /apis/v1/applications/placementpolicy/rule/dryrun', () => {
  it('answers a rule that holds and one that does not with status true and the value in evalResult', async () => {
    const yes = await api.post(PATH, body(ZONE_RULE));
    expect(yes.status).toBe(200);
    expect(yes.body).toEqual({ status: 'SUCCESS', message: 'success', data: { status: true, checkResult: { status: 'SUCCESS' }, evalResult: { status: 'SUCCESS', result: true } } });
    const no = await api.post(PATH, body(ZONE_RULE, 'HOPE', 'z2'));
    expect(no.body.data).toEqual({ status: true, checkResult: { status: 'SUCCESS' }, evalResult: { status: 'SUCCESS', result: false } });
  });

  it('puts a compile error in checkResult as a string and does not evaluate', async () => {
    const { status, body: reply } = await api.post(PATH, body('"/a"'));
    expect(status).toBe(200);
    expect(reply.data).toEqual({
      status: false,
      checkResult: 'Rule compilation error: Error parsing expression: Line 1, col 5: expected "|", "&", "<", ">", "<=", ">=", "!=", or "=="',
      evalResult: { status: 'FAILURE', error: 'Not evaluated' },
    });
  });

  it('reports an evaluation error with result false', async () => {
    const { body: reply } = await api.post(PATH, body('"/allocatedExecutorNodeMetadata/rack" == "r1"'));
    expect(reply.data).toEqual({
      status: false, checkResult: { status: 'SUCCESS' },
      evalResult: { status: 'FAILURE', result: false, error: 'Missing value at path: /allocatedExecutorNodeMetadata/rack' },
    });
  });

  it('answers MVEL as an unregistered rule type', async () => {
    const { body: reply } = await api.post(PATH, body("allocatedExecutorNodeMetadata['zone'] == 'z1'", 'MVEL'));
    expect(reply.data).toEqual({ status: false, checkResult: 'Unregistered RuleType :MVEL', evalResult: { status: 'FAILURE', error: 'Not evaluated' } });
  });

  it('is open to read-only users', async () => {
    const guest = controller.api({ user: 'guest', password: 'guest' });
    const { status, body: reply } = await guest.post(PATH, body(ZONE_RULE));
    expect(status, JSON.stringify(reply)).toBe(200);
    expect(reply.data.evalResult.result).toBe(true);
  });

  it('refuses malformed requests with what is wrong', async () => {
    for (const [bad, message] of [
      [{ ...body(''), ruleBasedPlacementPolicy: { type: 'RULE_BASED', ruleType: 'HOPE', rule: '' } }, /ruleBasedPlacementPolicy\.rule/],
      [{ ruleBasedPlacementPolicy: body(ZONE_RULE).ruleBasedPlacementPolicy }, /schedulingInfo/],
      [{ ...body(ZONE_RULE), ruleBasedPlacementPolicy: { rule: ZONE_RULE, ruleType: 'JS' } }, /ruleType/],
      [{ ...body(ZONE_RULE), schedulingInfo: { allocatedExecutorNodeMetadata: { zone: 1 } } }, /allocatedExecutorNodeMetadata/],
      ['not json', /./],
    ] as const) {
      const { status, body: reply } = await api.post(PATH, bad);
      expect(status, JSON.stringify(reply)).toBe(400);
      expect(reply.status).toBe('FAILED');
      expect(JSON.stringify(reply)).toMatch(message);
    }
  });

  it('is refused in maintenance mode', async () => {
    await api.post('/apis/v1/cluster/maintenance/set');
    try {
      const { status, body: reply } = await api.post(PATH, body(ZONE_RULE));
      expect(status).toBe(400);
      expect(reply).toMatchObject({ message: 'Command validation failure', data: { validationErrors: ['Cluster is in maintenance mode'] } });
    } finally {
      await api.post('/apis/v1/cluster/maintenance/unset');
    }
  });
});
