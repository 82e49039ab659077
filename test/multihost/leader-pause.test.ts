/**
 * A leader paused mid-flight (SIGSTOP) while writes are arriving, on simulated hosts: the other
 * controllers elect a new leader; when the old one wakes (SIGCONT) — with requests and commands
 * already queued on its open connections, before any timer of its own can run — it commits not
 * a single row (PostgreSQL's record of committed writes per client address,
 * test/helpers/netns-write-audit.ts) and disturbs no workload: the executors keep exactly the
 * instances the new leader knows.
 *
 * Skipped until this build has leadership (`corral controller --advertise-url`).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOp } from '../apps/app-test-env.ts';
import { httpAppSpec } from '../apps/real-cluster.ts';
import { netnsUnavailableReason, startNetnsCluster, type NetnsCluster } from '../helpers/netns-cluster.ts';
import { answersAsLeader, leadershipArgs, leadershipAvailable, waitForSingleLeader } from '../helpers/netns-leadership.ts';
import { CONTROLLER_PORT } from '../helpers/netns-nodes.ts';
import { WriteAudit } from '../helpers/netns-write-audit.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appInstances, submitAppOperation, waitForOperation } from './multihost-fixtures.ts';

const skipReason = netnsUnavailableReason()
  ?? (leadershipAvailable() ? undefined : 'needs leadership: `corral controller --help` does not list --advertise-url yet');
let cluster: NetnsCluster;

beforeAll(async () => {
  if (!skipReason) cluster = await startNetnsCluster();
});
afterEach(async () => cluster?.resetNodes());
afterAll(async () => cluster?.destroy());

describe.skipIf(skipReason !== undefined)(`a paused leader${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('wakes after a new leader took over and writes nothing, commands nothing', async () => {
    const store = cluster.postgres.newStore('pause');
    const hosts = ['ctl1', 'ctl2', 'ctl3'].map((label) => cluster.addHost(label));
    const controllers = await Promise.all(hosts.map((host) => cluster.startController(host, {
      store: store.url,
      config: { executorLostAfterMs: 10_000, snapshotIntervalMs: 1_000, killTimeoutMs: 2_000 },
      extraArgs: leadershipArgs(`http://${host.address}:${CONTROLLER_PORT}`),
    })));
    const leader = await waitForSingleLeader(controllers);
    const audit = await WriteAudit.install(cluster.postgres, store.schema);
    const urls = controllers.map((c) => c.url);
    const executors = [
      await cluster.startExecutor('ex1', { controllers: urls, waitRegisteredAt: leader.url }),
      await cluster.startExecutor('ex2', { controllers: urls, waitRegisteredAt: leader.url }),
    ];
    const marker = randomUUID();
    const app = await submitAppOperation(leader.api(), createOp(httpAppSpec('paused', marker), 2, { timeout: '60s', parallelism: 2, failureStrategy: 'STOP' }));
    await waitForOperation(leader.api(), app.operationId, 'COMPLETED', 60_000);

    leader.signal('SIGSTOP');
    const pausedAt = new Date();
    // Requests that reach the paused leader wait in its socket buffers: a scale up and a scale
    // down it would act on the moment it runs again.
    const queued = [
      leader.api().post('/apis/v1/applications/operations', { type: 'SCALE', appId: app.appId, requiredInstances: 4, opSpec: { timeout: '30s', parallelism: 2, failureStrategy: 'STOP' } }, { timeoutMs: 120_000 }),
      leader.api().post('/apis/v1/tasks/operations', {
        type: 'CREATE',
        spec: { sourceAppName: 'PAUSED', taskId: `late-${marker.slice(0, 8)}`, executable: { type: 'PROCESS', command: '/bin/true' }, resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }] },
        opSpec: { timeout: '5m', parallelism: 1, failureStrategy: 'STOP' },
      }, { timeoutMs: 120_000 }),
    ].map((request) => request.catch((error: unknown) => ({ status: 0, body: { message: (error as Error).message } })));
    const successor = await waitForSingleLeader(controllers.filter((c) => c !== leader), 60_000);
    await waitFor(async () => {
      const { body } = await successor.api().get('/apis/v1/cluster/executors');
      return (body?.data ?? []).filter((e: { connected?: boolean }) => e.connected !== false).length === 2;
    }, { timeoutMs: 60_000, intervalMs: 250, message: 'both executors connected to the new leader' });
    const instancesBefore = (await appInstances(successor.api(), app.appId, 'HEALTHY')).map((i) => i.instanceId).sort();
    expect(instancesBefore).toHaveLength(2);
    const serversBefore = executors.map((e) => cluster.serversOn(e.host, marker)).map((pids) => pids.sort());

    leader.signal('SIGCONT');
    const wokeAt = new Date();
    // What it had queued is answered as a follower would: not acknowledged.
    for (const reply of await Promise.all(queued)) {
      expect(reply.status, JSON.stringify(reply.body)).not.toBe(200);
    }
    await waitFor(async () => !(await answersAsLeader(leader)), { timeoutMs: 30_000, message: 'the woken leader to answer as a follower' });
    // Give it every chance to act on what it had in flight before looking.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const late = (await audit.writes({ from: leader.host.address, since: wokeAt })).filter((w) => !/lease|leader/.test(w.table));
    expect(late, JSON.stringify(late.slice(0, 5))).toEqual([]);
    expect((await audit.writes({ from: leader.host.address, since: pausedAt })).filter((w) => !/lease|leader/.test(w.table))).toEqual([]);
    expect((await appInstances(successor.api(), app.appId, 'HEALTHY')).map((i) => i.instanceId).sort()).toEqual(instancesBefore);
    expect(executors.map((e) => cluster.serversOn(e.host, marker)).map((pids) => pids.sort())).toEqual(serversBefore);
    expect((await successor.api().get(`/apis/v1/tasks/PAUSED/instances/late-${marker.slice(0, 8)}`)).body.status).toBe('FAILED');
  }, 300_000);
});
