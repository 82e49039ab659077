/**
 * An executor host cut off from the cluster (its link down, on simulated hosts in network
 * namespaces): the controller declares it lost after the grace period, its app instances go LOST
 * and are replaced on the other hosts; the cut-off host keeps running its instance meanwhile (it
 * cannot know). When the link comes back the executor reconnects, learns its instance was
 * replaced, and stops it: in the end exactly the required instances run, one per host, proven
 * by the processes running on each host, not only by the API.
 *
 * Real controller and executors (`bin/corral.js` inside the namespaces), real app processes,
 * the test's own PostgreSQL over the bridge (test/helpers/netns-cluster.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOp } from '../apps/app-test-env.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';
import { netnsUnavailableReason, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appInstances, submitAppOperation, waitForOperation } from './multihost-fixtures.ts';

const skipReason = netnsUnavailableReason();
let cluster: NetnsCluster;

beforeAll(async () => {
  if (!skipReason) cluster = await startNetnsCluster();
});
afterEach(async () => cluster?.resetNodes());
afterAll(async () => cluster?.destroy());

describe.skipIf(skipReason !== undefined)(`an executor host cut off${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('has its instances LOST and replaced elsewhere, and stops the stale one when it comes back: no duplicate left running', async () => {
    const lostAfterMs = 3_000;
    const controller = await cluster.startController('ctl', {
      store: cluster.postgres.newStore('cutoff').url,
      config: { executorLostAfterMs: lostAfterMs, snapshotIntervalMs: 1_000, killTimeoutMs: 2_000 },
    });
    const executors = [];
    for (const label of ['ex1', 'ex2', 'ex3']) executors.push(await cluster.startExecutor(label, { controllers: [controller.url] }));
    const api = controller.api();
    const marker = randomUUID();
    const spec = httpAppSpec('cutoff', marker, { placementPolicy: { type: 'ONE_PER_HOST' } });
    const { appId, operationId } = await submitAppOperation(api, createOp(spec, 2, { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' }));
    await waitForOperation(api, operationId, 'COMPLETED', 60_000);

    const before = await appInstances(api, appId, 'HEALTHY');
    expect(before).toHaveLength(2);
    const doomed = before[0];
    const doomedHost = cluster.hostOfExecutor(doomed.executorId);
    const staleServers = cluster.serversOn(doomedHost, marker);
    expect(staleServers).toHaveLength(1);

    cluster.cutOff(doomedHost);
    const cutAt = Date.now();
    // LOST only after the grace period, then a replacement HEALTHY on the host that had none.
    const replaced = await waitFor(async () => {
      const healthy = await appInstances(api, appId, 'HEALTHY');
      return healthy.length === 2 && healthy.every((i) => i.executorId !== doomed.executorId) ? healthy : undefined;
    }, { timeoutMs: 60_000, intervalMs: 200, message: 'two HEALTHY instances, none on the cut-off host' });
    const lost = (await api.get(`/apis/v1/applications/${appId}/instances/${doomed.instanceId}`)).body.data;
    expect(lost.state).toBe('LOST');
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(lostAfterMs);
    expect(new Set(replaced.map((i) => i.executorId)).size).toBe(2);
    // The cut-off host could not be told: its instance still runs there (the split brain this test ends).
    expect(cluster.serversOn(doomedHost, marker)).toEqual(staleServers);

    cluster.reconnect(doomedHost);
    // Back on the bridge, the executor reconnects and is told to stop the instance that was replaced.
    await waitFor(async () => (await api.get(`/apis/v1/cluster/executors/${doomed.executorId}`)).body.data?.connected === true,
      { timeoutMs: 30_000, intervalMs: 200, message: 'the executor to reconnect' });
    await waitFor(() => cluster.serversOn(doomedHost, marker).length === 0,
      { timeoutMs: 30_000, intervalMs: 200, message: 'the stale instance to stop on the host that came back' });

    // Exactly two servers run, one on each of the two other hosts, and they are the instances the API lists.
    const hostsRunning = executors.map((e) => cluster.serversOn(e.host, marker).length);
    expect(hostsRunning.reduce((a, b) => a + b, 0)).toBe(2);
    expect(hostsRunning.every((n) => n <= 1)).toBe(true);
    const after = await appInstances(api, appId, 'HEALTHY');
    expect(after.map((i) => i.instanceId).sort()).toEqual(replaced.map((i) => i.instanceId).sort());
    for (const instance of after) expect(cluster.serversOn(cluster.hostOfExecutor(instance.executorId), marker)).toHaveLength(1);
    expect((await api.get(`/apis/v1/applications/${appId}/instances/${doomed.instanceId}`)).body.data.state).toBe('LOST');
    expect((await api.get(`/apis/v1/applications/${appId}`)).body.data).toMatchObject({ requiredInstances: 2, healthyInstances: 2 });
  }, 240_000);
});
