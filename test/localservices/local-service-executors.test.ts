/**
 * Local services follow the executors (real controller, real executors, real processes): a
 * joining executor gets its instances and stays UNREADY until they are HEALTHY, a restarted
 * executor keeps its instances, a lost one has them marked LOST and gets new ones when it
 * comes back, and a blacklisted one has them stopped until it is unblacklisted (Drove's
 * behaviour, docs/localservices.md).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { TestExecutor } from '../helpers/test-executor.ts';
import { agents, agentSpec, killMarked, startLocalServiceCluster, waitPerHost, type LocalServiceCluster } from './local-service-cluster.ts';

let cluster: LocalServiceCluster;
const marker = randomUUID();
const serviceId = 'sidecar-1';

beforeAll(async () => {
  // A restart "in time" must stay within the grace even on a loaded machine; a loss takes that long.
  cluster = await startLocalServiceCluster({ executors: 3, config: { executorLostAfterMs: 8_000 } });
  // Readiness waits 2 s before its first probe, so a joining executor is UNREADY long enough to be seen.
  const spec = agentSpec('sidecar', marker, {
    readiness: { mode: { type: 'HTTP', portName: 'metrics', path: '/ready', verb: 'GET', successCodes: [200] }, timeout: '500 ms', interval: '200 ms', attempts: 50, initialDelay: '2 seconds' },
  });
  await cluster.submit({ type: 'CREATE', spec, instancesPerHost: 2 });
  await cluster.waitOperation((await cluster.submit({ type: 'ACTIVATE', serviceId })).operationId, 'COMPLETED');
  await waitPerHost(cluster, serviceId, ids(cluster.executors), 2);
}, 90_000);
afterAll(async () => {
  await stopAllTestProcesses();
  killMarked(marker);
});

function ids(executors: TestExecutor[]): string[] {
  return executors.map((e) => e.executorId);
}

async function executorState(executorId: string): Promise<string | undefined> {
  const list = (await cluster.api.get('/apis/v1/cluster/executors')).body.data as { executorId: string; state: string }[];
  return list.find((e) => e.executorId === executorId)?.state;
}

describe('local services and executors', () => {
  it('a joining executor gets instancesPerHost instances and is UNREADY until they are HEALTHY', async () => {
    const seen: string[] = [];
    const joining = cluster.addExecutor('exec-joining');
    const joined: { id?: string } = {};
    // A joining executor registers UNREADY (nothing may be placed on it before its local-service
    // instances are up), so the first state seen is UNREADY; the watch lasts until ACTIVE.
    const watchUntil = Date.now() + 60_000;
    const watch = (async () => {
      while (Date.now() < watchUntil && (!joined.id || seen.at(-1) !== 'ACTIVE')) {
        const list = (await cluster.api.get('/apis/v1/cluster/executors')).body.data as { executorId: string; state: string; hostname: string }[];
        const known = new Set(ids(cluster.executors));
        const state = (joined.id ? list.find((e) => e.executorId === joined.id) : list.find((e) => !known.has(e.executorId)))?.state;
        if (state && seen.at(-1) !== state) seen.push(state);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const executor = await joining;
    joined.id = executor.executorId;
    await waitPerHost(cluster, serviceId, ids(cluster.executors), 2, 60_000);
    await waitFor(async () => (await executorState(executor.executorId)) === 'ACTIVE', { timeoutMs: 20_000, message: 'joined executor ACTIVE' });
    await watch;
    expect(seen).toEqual(['UNREADY', 'ACTIVE']);
    const details = (await cluster.api.get(`/apis/v1/cluster/executors/${executor.executorId}`)).body.data;
    expect(details.serviceInstances.map((i: { state: string }) => i.state)).toEqual(['HEALTHY', 'HEALTHY']);
  }, 120_000);

  it('an executor restarted in time keeps its instances (the same ones are re-adopted)', async () => {
    const target = cluster.executors[0];
    const before = (await cluster.instances(serviceId)).filter((i) => i.executorId === target.executorId).map((i) => i.instanceId).sort();
    expect(before).toHaveLength(2);
    cluster.executors[0] = await target.restart();
    await waitFor(async () => (await executorState(target.executorId)) === 'ACTIVE', { timeoutMs: 20_000, message: 'restarted executor ACTIVE' });
    await waitPerHost(cluster, serviceId, ids(cluster.executors), 2, 60_000);
    const after = (await cluster.instances(serviceId)).filter((i) => i.executorId === target.executorId).map((i) => i.instanceId).sort();
    expect(after).toEqual(before);
  }, 120_000);

  it('a lost executor has its instances LOST; when it comes back it gets new ones', async () => {
    const target = cluster.executors[1];
    const before = (await cluster.instances(serviceId)).filter((i) => i.executorId === target.executorId).map((i) => i.instanceId);
    await target.kill();
    const others = ids(cluster.executors).filter((id) => id !== target.executorId);
    await waitFor(async () => {
      const states = await Promise.all(before.map(async (id) => (await cluster.api.get(`/apis/v1/localservices/${serviceId}/instances/${id}`)).body.data?.state));
      return states.every((s) => s === 'LOST');
    }, { timeoutMs: 30_000, message: 'instances of the lost executor LOST' });
    await waitPerHost(cluster, serviceId, others, 2, 30_000);

    cluster.executors[1] = await target.restart();
    await waitPerHost(cluster, serviceId, ids(cluster.executors), 2, 60_000);
    await waitFor(async () => (await executorState(target.executorId)) === 'ACTIVE', { timeoutMs: 20_000, message: 'returned executor ACTIVE' });
    const now = (await cluster.instances(serviceId)).filter((i) => i.executorId === target.executorId).map((i) => i.instanceId);
    expect(now.filter((id) => before.includes(id))).toEqual([]);
    // What the lost executor ran was stopped when it came back: two servers per executor, no more.
    await waitFor(() => agents(marker).length === 2 * cluster.executors.length, { timeoutMs: 20_000, message: `${2 * cluster.executors.length} agents` });
  }, 150_000);

  it('a blacklisted executor has its instances stopped (as Drove does); unblacklisted, it is UNREADY until they are back', async () => {
    const target = cluster.executors[2];
    const blacklist = await cluster.api.post(`/apis/v1/cluster/executors/blacklist?id=${target.executorId}`);
    expect(blacklist.body.status).toBe('SUCCESS');
    const others = ids(cluster.executors).filter((id) => id !== target.executorId);
    await waitPerHost(cluster, serviceId, others, 2, 30_000);
    await waitFor(async () => (await executorState(target.executorId)) === 'BLACKLISTED', { timeoutMs: 20_000, message: 'BLACKLISTED' });

    const unblacklist = await cluster.api.post(`/apis/v1/cluster/executors/unblacklist?id=${target.executorId}`);
    expect(unblacklist.body.status).toBe('SUCCESS');
    expect(await executorState(target.executorId)).toBe('UNREADY');
    await waitPerHost(cluster, serviceId, ids(cluster.executors), 2, 60_000);
    await waitFor(async () => (await executorState(target.executorId)) === 'ACTIVE', { timeoutMs: 20_000, message: 'unblacklisted executor ACTIVE' });
  }, 150_000);
});
