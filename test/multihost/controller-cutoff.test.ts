/**
 * The controller's host cut off (its link down): the executors, on their own hosts, keep their
 * workloads running while they cannot reach it; when the link comes back they re-register and
 * everything is re-adopted — the same instances, the same processes, the running task still
 * running — nothing replaced, nothing stopped. Once for a cut shorter than the executors' grace
 * period, once for a cut several grace periods long.
 *
 * Real controller and executors in network namespaces, the test's own PostgreSQL over the
 * bridge (test/helpers/netns-cluster.ts). The cut takes the controller off the bridge entirely,
 * so it cannot reach PostgreSQL either.
 *
 * The long cut is skipped until this build has leadership. Without it the controller keeps
 * acting while cut off: its store write declaring the executors lost hangs on the dead link,
 * lands the moment the link is back — before the executors have reconnected — and the
 * instances are marked LOST and stopped on their hosts as replaced (docs/testing.md, "What the
 * multi-host tests found"). A controller holding a lease stops acting when it cannot renew it
 * and, leader again, gives every executor a fresh grace period before judging it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOp } from '../apps/app-test-env.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';
import { netnsUnavailableReason, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.ts';
import { leadershipArgs, leadershipAvailable } from '../helpers/netns-leadership.ts';
import { CONTROLLER_PORT } from '../helpers/netns-nodes.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appInstances, submitAppOperation, waitForOperation } from './multihost-fixtures.ts';

const skipReason = netnsUnavailableReason();
const longCutSkipReason = skipReason
  ?? (leadershipAvailable() ? undefined : 'needs leadership: a controller cut off from its store keeps acting (see the file comment)');
let cluster: NetnsCluster;

beforeAll(async () => {
  if (!skipReason) cluster = await startNetnsCluster();
});
afterEach(async () => cluster?.resetNodes());
afterAll(async () => cluster?.destroy());

/**
 * Cuts the controller's host off for `cutMs` with executors declared lost after `lostAfterMs`,
 * and checks that everything ran on meanwhile and is re-adopted afterwards.
 */
async function cutControllerOff(cutMs: number, lostAfterMs: number): Promise<void> {
  const host = cluster.addHost('ctl');
  const controller = await cluster.startController(host, {
    store: cluster.postgres.newStore('ctlcut').url,
    config: { executorLostAfterMs: lostAfterMs, snapshotIntervalMs: 1_000, killTimeoutMs: 2_000 },
    extraArgs: leadershipAvailable() ? leadershipArgs(`http://${host.address}:${CONTROLLER_PORT}`) : [],
  });
  const executors = [
    // At info level their output shows each (re)connection.
    await cluster.startExecutor('ex1', { controllers: [controller.url], logLevel: 'info' }),
    await cluster.startExecutor('ex2', { controllers: [controller.url], logLevel: 'info' }),
  ];
  const api = controller.api();
  const marker = randomUUID();
  const app = await submitAppOperation(api, createOp(httpAppSpec('ctlcut', marker, { placementPolicy: { type: 'ONE_PER_HOST' } }), 2,
    { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' }));
  await waitForOperation(api, app.operationId, 'COMPLETED', 60_000);
  const taskId = `sleeper-${marker.slice(0, 8)}`;
  const task = await api.post('/apis/v1/tasks/operations', {
    type: 'CREATE',
    spec: { sourceAppName: 'CUT', taskId, executable: { type: 'PROCESS', command: '/bin/sleep' }, args: ['600'], resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }] },
    opSpec: { timeout: '15m', parallelism: 1, failureStrategy: 'STOP' },
  });
  expect(task.body.status, JSON.stringify(task.body)).toBe('SUCCESS');
  await waitFor(async () => (await api.get(`/apis/v1/tasks/CUT/instances/${taskId}`)).body.data?.state === 'RUNNING',
    { timeoutMs: 30_000, message: 'the task to run' });

  const instancesBefore = await appInstances(api, app.appId, 'HEALTHY');
  expect(instancesBefore).toHaveLength(2);
  const serversBefore = executors.map((e) => cluster.serversOn(e.host, marker));
  expect(serversBefore.map((pids) => pids.length)).toEqual([1, 1]);
  const sleepersBefore = executors.flatMap((e) => cluster.processesOn(e.host, '/bin/sleep').map((p) => p.pid));
  expect(sleepersBefore).toHaveLength(1);

  cluster.cutOff(controller.host);
  // The executors cannot reach the controller and keep everything running.
  await new Promise((resolve) => setTimeout(resolve, cutMs));
  expect(executors.map((e) => cluster.serversOn(e.host, marker))).toEqual(serversBefore);
  expect(executors.flatMap((e) => cluster.processesOn(e.host, '/bin/sleep').map((p) => p.pid))).toEqual(sleepersBefore);

  cluster.reconnect(controller.host);
  await waitFor(async () => {
    const { body } = await api.get('/apis/v1/cluster/executors');
    return (body?.data ?? []).filter((e: { connected?: boolean }) => e.connected !== false).length === 2;
  }, { timeoutMs: 60_000, intervalMs: 250, message: 'both executors to re-register' });
  // They did re-register: each executor connected a second time (its first channel died in the cut).
  await waitFor(() => executors.every((e) => (e.output().match(/connected to the controller/g)?.length ?? 0) >= 2),
    { timeoutMs: 15_000, message: 'each executor to log its second connection' })
    .catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n--- executor ---\n${executors[0].output().slice(-4_000)}`);
    });

  // Re-adopted: the same instances HEALTHY, none LOST or replaced, the same processes, the task still running.
  await waitFor(async () => (await appInstances(api, app.appId, 'HEALTHY')).length === 2, { timeoutMs: 30_000, message: 'two HEALTHY instances' });
  // Long enough for a replacement or a stop to have shown, were one coming.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const instancesAfter = await appInstances(api, app.appId);
  if (instancesAfter.length !== 2) {
    const states = await Promise.all(instancesBefore.map(async (i) => (await api.get(`/apis/v1/applications/${app.appId}/instances/${i.instanceId}`)).body.data));
    throw new Error(`instances not re-adopted: ${JSON.stringify(states.map((s) => [s.instanceId, s.state, s.errorMessage]))}\n--- controller ---\n${controller.output()}`);
  }
  expect(instancesAfter.map((i) => `${i.instanceId} ${i.state}`).sort()).toEqual(instancesBefore.map((i) => `${i.instanceId} HEALTHY`).sort());
  expect(await appInstances(api, app.appId, 'LOST')).toEqual([]);
  expect(executors.map((e) => cluster.serversOn(e.host, marker))).toEqual(serversBefore);
  expect((await api.get(`/apis/v1/tasks/CUT/instances/${taskId}`)).body.data.state).toBe('RUNNING');
  expect(executors.flatMap((e) => cluster.processesOn(e.host, '/bin/sleep').map((p) => p.pid))).toEqual(sleepersBefore);
  expect((await api.get(`/apis/v1/applications/${app.appId}`)).body.data).toMatchObject({ requiredInstances: 2, healthyInstances: 2, state: 'RUNNING' });
}

describe.skipIf(skipReason !== undefined)(`the controller's host cut off briefly${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('for less than the grace period: workloads run on, the executors re-register and everything is re-adopted', async () => {
    // Long enough for both sides to drop the silent connection (pings), short of the grace period.
    await cutControllerOff(8_000, 40_000);
  }, 240_000);
});

describe.skipIf(longCutSkipReason !== undefined)(`the controller's host cut off past the grace period${longCutSkipReason ? ` (skipped: ${longCutSkipReason})` : ''}`, () => {
  it('for several grace periods: workloads run on, the executors re-register and everything is re-adopted', async () => {
    await cutControllerOff(12_000, 3_000);
  }, 240_000);
});
