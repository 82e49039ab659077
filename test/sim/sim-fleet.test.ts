/**
 * `corral sim`: the real binary runs 50 simulated executors (real executor agents, mock driver)
 * against a real controller in a child process; they register with their tags, labels and racks,
 * run an app, and the control endpoint's kill and partition act as a dead or cut-off machine does.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput, trackChild } from '../helpers/child-processes.ts';
import { startTestController, type TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { parseAmount } from '../../src/sim/sim-fleet.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FLEET = 50;

let controller: TestController;
let output: () => string;
let control = '';

const spec = {
  name: 'fleet', version: '1', type: 'SERVICE',
  executable: { type: 'PROCESS', command: '/bin/true' },
  exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
  resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 64 }],
  healthcheck: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '200 ms', attempts: 3 },
  readiness: { mode: { type: 'CMD', command: 'true' }, timeout: '100 ms', interval: '200 ms', attempts: 3 },
};
const opSpec = { timeout: '60s', parallelism: 32, failureStrategy: 'STOP' };

async function healthy(): Promise<{ instanceId: string; executorId: string }[]> {
  const { body } = await controller.api().get('/apis/v1/applications/fleet-1/instances?size=1000');
  return (body.data as { state: string; instanceId: string; executorId: string }[]).filter((i) => i.state === 'HEALTHY');
}

async function command(route: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${control}${route}`, { method: route === '/status' ? 'GET' : 'POST' });
  return await response.json() as Record<string, unknown>;
}

beforeAll(async () => {
  controller = await startTestController({ mode: 'child', config: { executorLostAfterMs: 3_000, snapshotIntervalMs: 1_000 } });
  const child = spawn(path.join(ROOT, 'node_modules/.bin/node'), [
    path.join(ROOT, 'bin/corral.js'), 'sim', '--executors', String(FLEET), '--controller', controller.url,
    '--secret', controller.config.clusterSecret, '--control-port', '0', '--healthy-after-ms', '100',
  ], { stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  output = captureOutput(child);
  const line = await waitFor(() => /control endpoint (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1], { timeoutMs: 60_000, message: 'the control endpoint' });
  control = line;
}, 90_000);

afterAll(async () => {
  await controller?.stop();
});

describe('corral sim', () => {
  it('registers every simulated executor with its tags, labels and rack', async () => {
    const executors = await waitFor(async () => {
      const { body } = await controller.api().get('/apis/v1/cluster/executors');
      const list = body.data as { executorId: string; tags: string[]; connected?: boolean }[];
      return list.length === FLEET ? list : undefined;
    }, { timeoutMs: 60_000, message: `${FLEET} executors registered` });
    // A fifth carries a tag (ssd or gpu); the rest are open to untagged work.
    const tagged = executors.filter((e) => e.tags.some((t) => t === 'ssd' || t === 'gpu'));
    expect(tagged).toHaveLength(FLEET / 5);
    const { body } = await controller.api().get(`/apis/v1/cluster/executors/${executors[0].executorId}`);
    expect(body.data.rack).toMatch(/^rack-\d+$/);
    expect(body.data.labels).toMatchObject({ sim: 'true' });
    expect(output()).toContain(`${FLEET} executors started`);
    // The control endpoint lists the fleet's executor ids, all of them or those in one state.
    const listed = await (await fetch(`${control}/executors?state=up`)).json() as { executorIds: string[] };
    expect(listed.executorIds.sort()).toEqual(executors.map((e) => e.executorId).sort());
    const none = await (await fetch(`${control}/executors?state=killed`)).json() as { executorIds: string[] };
    expect(none.executorIds).toEqual([]);
    const bad = await fetch(`${control}/executors?state=sleepy`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: 'executors takes at most one state: starting, up, partitioned, killed' });
  });

  it('runs an app across the fleet', async () => {
    const create = await controller.api().post('/apis/v1/applications/operations', { type: 'CREATE', spec, instances: 0, opSpec });
    expect(create.body).toMatchObject({ status: 'SUCCESS' });
    const scale = await controller.api().post('/apis/v1/applications/operations', { type: 'SCALE', appId: 'fleet-1', requiredInstances: 100, opSpec });
    expect(scale.body).toMatchObject({ status: 'SUCCESS' });
    const running = await waitFor(async () => {
      const list = await healthy();
      return list.length === 100 ? list : undefined;
    }, { timeoutMs: 90_000, message: '100 HEALTHY instances' });
    expect(new Set(running.map((i) => i.executorId)).size).toBeGreaterThan(10);
    const status = await command('/status');
    expect(status.workloads).toBe(100);
  });

  it('kills 10% of the fleet: their instances are replaced elsewhere and nothing is placed twice when they return', async () => {
    const { executorIds } = await command('/kill?amount=10%') as { executorIds: string[] };
    expect(executorIds).toHaveLength(FLEET / 10);
    const dead = new Set(executorIds);
    expect((await healthy()).filter((i) => dead.has(i.executorId)).length).toBeGreaterThan(0);
    await waitFor(async () => {
      const list = await healthy();
      return list.length === 100 && list.every((i) => !dead.has(i.executorId));
    }, { timeoutMs: 90_000, message: 'every instance HEALTHY on a live executor' });
    expect(await command('/revive')).toEqual({ count: FLEET / 10 });
    await waitFor(async () => (await command('/status')).connected === FLEET, { timeoutMs: 60_000, message: 'the revived machines reconnected' });
    expect((await healthy()).length).toBe(100);
    expect((await command('/status')).workloads).toBe(100);
  });

  it('partitions 10%: replaced while cut off, and the returning copies are stopped (no double placement)', async () => {
    const { executorIds } = await command('/partition?amount=10%') as { executorIds: string[] };
    const cut = new Set(executorIds);
    expect((await healthy()).filter((i) => cut.has(i.executorId)).length).toBeGreaterThan(0);
    await waitFor(async () => {
      const list = await healthy();
      return list.length === 100 && list.every((i) => !cut.has(i.executorId));
    }, { timeoutMs: 90_000, message: 'every instance HEALTHY off the partitioned executors' });
    expect(await command('/heal')).toEqual({ count: FLEET / 10 });
    // The healed machines still run their old copies until the controller tells them to stop.
    await waitFor(async () => (await command('/status')).workloads === 100, { timeoutMs: 60_000, message: 'the stale copies stopped' });
    expect((await healthy()).length).toBe(100);
  });

  it('refuses a bad command with a readable message', async () => {
    const response = await fetch(`${control}/kill?amount=lots`, { method: 'POST' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: '"lots" is neither a count (25) nor a share (10%)' });
    expect(() => parseAmount('150%', 10)).toThrow('at most 100%');
    expect(parseAmount('10%', 50)).toBe(5);
  });
});
