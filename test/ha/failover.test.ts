/**
 * Several controllers on one PostgreSQL schema (docs/ha.md), all real processes: three
 * `corral controller` children, real executors given every controller URL (process driver), a
 * real HTTP server as the app, a real shell process as the task, and a throwaway schema whose
 * trigger-based audit table (test/helpers/ha-cluster.ts) shows which controller wrote each row.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appServers, httpAppSpec, killMarked } from '../apps/real-cluster.ts';
import { createOp } from '../apps/app-test-env.ts';
import { createBody, processSpec } from '../tasks/task-fixtures.ts';
import { stopAllTestProcesses } from '../helpers/child-processes.ts';
import { startHaCluster, type HaCluster } from '../helpers/ha-cluster.ts';
import type { TestController } from '../helpers/test-controller.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { runCli } from '../cli/helpers/run-cli.ts';

const NOT_LEADER = { status: 'FAILED', message: 'This node is not the leader controller' };
const OPSPEC = { timeout: '60s', parallelism: 1, failureStrategy: 'STOP' };
const marker = randomUUID();
let ha: HaCluster;

beforeAll(async () => {
  ha = await startHaCluster({ controllers: 3 });
  await ha.settled();
  await ha.installWriteAudit();
}, 120_000);
afterAll(async () => {
  await ha?.close();
  await stopAllTestProcesses();
  killMarked(marker);
}, 120_000);

/** Ping status without waiting on a paused process for ever. */
async function ping(controller: TestController): Promise<number> {
  try {
    return (await fetch(`${controller.url}/apis/v1/ping`, { headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, signal: AbortSignal.timeout(1_500) })).status;
  } catch {
    return 0;
  }
}

/** The one controller answering ping 200 among `candidates`. */
async function leaderAmong(candidates: TestController[], timeoutMs = 30_000): Promise<TestController> {
  return waitFor(async () => {
    const statuses = await Promise.all(candidates.map(ping));
    const leaders = candidates.filter((_, i) => statuses[i] === 200);
    if (leaders.length !== 1) throw new Error(`ping statuses ${statuses.join(', ')}`);
    return leaders[0];
  }, { timeoutMs, intervalMs: 50, message: 'exactly one controller answering ping 200' });
}

/**
 * Executors connected to `leader` and ACTIVE on it. The list route also shows executors a new
 * leader loaded from the store before they reconnected, so each one's details are asked.
 */
async function connectedExecutors(leader: TestController): Promise<string[]> {
  const client = leader.api();
  const { body } = await client.get('/apis/v1/cluster/executors');
  const ids = (body?.data ?? []).map((e: { executorId: string }) => e.executorId) as string[];
  const details = await Promise.all(ids.map(async (id) => ({ id, data: (await client.get(`/apis/v1/cluster/executors/${id}`)).body?.data })));
  return details
    .filter(({ data }) => data?.connected === true && data.executorState === 'ACTIVE')
    .map(({ id }) => id);
}

describe('several controllers on one PostgreSQL store', () => {
  it('exactly one is the leader; followers answer as docs/api.md §1.6 says, after auth and role checks', async () => {
    const leader = await ha.leader();
    const statuses = await ha.pings();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    const followers = ha.controllers.filter((c) => c !== leader);
    expect(followers).toHaveLength(2);
    for (const follower of followers) {
      const pinged = await follower.api().get('/apis/v1/ping');
      expect(pinged.status).toBe(400);
      expect(pinged.body).toEqual(NOT_LEADER);
      expect(pinged.headers.get('x-corral-leader')).toBe(leader.url);

      const write = createBody(processSpec(`never-${randomUUID().slice(0, 8)}`, '/bin/true'));
      expect((await follower.api(false).post('/apis/v1/tasks/operations', write)).status).toBe(401);
      expect((await follower.api({ user: 'guest', password: 'guest' }).post('/apis/v1/tasks/operations', write)).status).toBe(403);
      const refused = await follower.api().post('/apis/v1/tasks/operations', write);
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual(NOT_LEADER);
      expect(refused.headers.get('x-corral-leader')).toBe(leader.url);
    }
    for (const node of ha.controllers) {
      const { status, body, headers } = await node.api().get('/apis/v1/cluster');
      expect(status).toBe(200);
      expect(body.data.leader).toBe(`127.0.0.1:${leader.port}`);
      expect(body.data.controllers).toHaveLength(3);
      expect(body.data.controllers.filter((c: { role: string }) => c.role === 'LEADER')).toEqual([{ url: leader.url, role: 'LEADER', alive: true }]);
      expect(headers.get('x-corral-leader')).toBe(node === leader ? null : leader.url);
    }
    // The CLI given every endpoint (a follower first) pings each and talks to the leader.
    const followersFirst = [...followers, leader].map((c) => c.url).join(',');
    const cli = await runCli(['-e', followersFirst, '-u', 'admin', '-p', 'admin', 'cluster', 'leader']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout.trim()).toBe(`127.0.0.1:${leader.port}`);
    // Nothing the followers were asked to do reached the store.
    const writers = new Set((await ha.writes()).map((w) => w.app));
    for (const follower of followers) expect(writers.has(ha.appName(ha.controllers.indexOf(follower)))).toBe(false);
  }, 60_000);

  it('SIGKILL of the leader: another accepts writes within seconds; the app and the running task survive and are re-adopted', async () => {
    await ha.addExecutor({ killWorkloadsOnExit: true, name: 'ha-a' });
    await ha.addExecutor({ killWorkloadsOnExit: true, name: 'ha-b' });
    const leader = await ha.leader();
    const client = leader.api();
    const app = await client.post('/apis/v1/applications/operations', createOp(httpAppSpec('ha-web', marker), 2, OPSPEC));
    expect(app.body.status, JSON.stringify(app.body)).toBe('SUCCESS');
    const { appId, operationId } = app.body.data;
    await waitFor(async () => (await client.get(`/apis/v1/operations/${operationId}`)).body.data?.state === 'COMPLETED', { timeoutMs: 60_000, message: 'the app to be created and scaled' });
    const instanceIds = ((await client.get(`/apis/v1/applications/${appId}/instances`)).body.data as { instanceId: string }[]).map((i) => i.instanceId).sort();
    const servers = appServers(marker).sort();
    expect(servers).toHaveLength(2);
    const taskId = `ha-task-${randomUUID().slice(0, 8)}`;
    const task = await client.post('/apis/v1/tasks/operations', createBody(processSpec(taskId, '/bin/sh', ['-c', `sleep 600 # ${marker}`])));
    expect(task.body.status, JSON.stringify(task.body)).toBe('SUCCESS');
    const running = await waitFor(async () => {
      const { body } = await client.get(`/apis/v1/tasks/TEST_APP/instances/${taskId}`);
      return body.data?.state === 'RUNNING' ? body.data : undefined;
    }, { timeoutMs: 30_000, message: 'the task to run' });

    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    const survivors = ha.controllers.filter((c) => c !== leader);
    const next = await leaderAmong(survivors);
    const accepted = await waitFor(async () => {
      const { body } = await next.api().post('/apis/v1/tasks/operations', createBody(processSpec(`after-${randomUUID().slice(0, 8)}`, '/bin/true')));
      return body.status === 'SUCCESS' ? body : undefined;
    }, { timeoutMs: 30_000, intervalMs: 50, message: 'the new leader to accept a write' });
    const failoverMs = Date.now() - killedAt;
    expect(accepted.data.operationId).toBeTruthy();
    // A generous bound for a loaded machine; bench/failover measures the real figure.
    expect(failoverMs).toBeLessThan(20_000);

    const nextClient = next.api();
    await waitFor(async () => {
      const instances = (await nextClient.get(`/apis/v1/applications/${appId}/instances`)).body.data as { instanceId: string; state: string }[];
      return instances.length === 2 && instances.every((i) => i.state === 'HEALTHY') && instances.map((i) => i.instanceId).sort().join() === instanceIds.join();
    }, { timeoutMs: 30_000, message: 'the same two instances, HEALTHY, on the new leader' });
    const readopted = (await nextClient.get(`/apis/v1/tasks/TEST_APP/instances/${taskId}`)).body.data;
    expect(readopted).toMatchObject({ state: 'RUNNING', instanceId: running.instanceId });
    // The same processes: nothing was restarted or started twice.
    expect(appServers(marker).sort()).toEqual(servers);
    // Every executor follows the new leader (each finds it on its next reconnect attempt).
    const everyExecutor = ha.executors.map((e) => e.executorId).sort().join();
    await waitFor(async () => (await connectedExecutors(next)).sort().join() === everyExecutor, { timeoutMs: 30_000, message: 'every executor connected to the new leader' });

    // The killed controller comes back as a follower.
    // The successor announced the change on the dead leader's behalf, then its own leadership.
    await waitFor(async () => {
      const { body } = await nextClient.get('/apis/v1/cluster/events?size=1024');
      const events = (body?.data ?? []) as { type: string; metadata: Record<string, unknown> }[];
      const lost = events.some((e) => e.type === 'LEADERSHIP_LOST' && e.metadata.PORT === leader.port);
      const acquired = events.some((e) => e.type === 'LEADERSHIP_ACQUIRED' && e.metadata.PORT === next.port);
      return lost && acquired;
    }, { timeoutMs: 30_000, message: 'LEADERSHIP_LOST (old leader) and LEADERSHIP_ACQUIRED (new leader) events' });

    const back = await ha.restart(ha.controllers.indexOf(leader));
    // (503 while its first term is being built, then the follower's 400.)
    await waitFor(async () => (await ping(back)) === 400, { timeoutMs: 30_000, message: `the restarted controller to answer as a follower\n${ha.outputs()}` });
    const { body } = await back.api().get('/apis/v1/cluster');
    expect(body.data.leader).toBe(`127.0.0.1:${next.port}`);
  }, 180_000);

  it('a leader paused (SIGSTOP) until another took over writes no row and commands no executor when it wakes', async () => {
    const leader = await ha.leader();
    const index = ha.controllers.indexOf(leader);
    const client = leader.api();
    // The previous test's failover may still be settling: every executor must follow this leader first.
    await waitFor(async () => (await connectedExecutors(leader)).length === ha.executors.length, { timeoutMs: 30_000, message: 'every executor to follow the leader' });
    const apps = (await client.get('/apis/v1/applications')).body.data as Record<string, { id?: string }>;
    const appId = Object.keys(apps)[0];
    // Mid-operation when paused: one instance at a time, each waiting for readiness.
    const scale = await client.post('/apis/v1/applications/operations', { type: 'SCALE', appId, requiredInstances: 4, opSpec: OPSPEC });
    expect(scale.body.status, JSON.stringify(scale.body)).toBe('SUCCESS');
    await waitFor(async () => ((await client.get(`/apis/v1/applications/${appId}/instances`)).body.data as unknown[]).length >= 3, { timeoutMs: 30_000, message: 'the scale to be under way' });

    process.kill(leader.child!.pid!, 'SIGSTOP');
    const pausedAt = await ha.dbNow();
    let resumed = false;
    // A write that reaches the paused leader: its kernel takes the request; the process reads it on waking.
    const lateTaskId = `late-${randomUUID().slice(0, 8)}`;
    const lateWrite = client.post('/apis/v1/tasks/operations', createBody(processSpec(lateTaskId, '/bin/true'))).catch((error: unknown) => error as Error);
    try {
      const next = await leaderAmong(ha.controllers.filter((c) => c !== leader));
      await waitFor(async () => (await connectedExecutors(next)).length === ha.executors.length, { timeoutMs: 30_000, message: 'the executors to follow the new leader' });
      const takeover = await ha.dbNow();
      const outputBefore = leader.output().length;
      process.kill(leader.child!.pid!, 'SIGCONT');
      resumed = true;
      // It notices on waking that it is no longer the leader, and acknowledges nothing.
      const late = await lateWrite;
      if (late instanceof Error) throw new Error(`the write to the paused leader failed: ${late.message} (${String((late.cause as Error | undefined)?.message)})\n${leader.output()}`);
      expect(late.status).toBe(400);
      expect(late.body).toEqual(NOT_LEADER);
      const since = () => leader.output().slice(outputBefore);
      await waitFor(() => since().includes('stepping down to follower'), { timeoutMs: 30_000, message: 'the old leader to step down' });
      await waitFor(async () => (await ping(leader)) === 400, { timeoutMs: 30_000, message: 'the old leader to answer as a follower' });
      expect(since()).not.toContain('leadership acquired');

      // The successor resumes the operation. An instance whose start the paused leader had
      // recorded but not sent is LOST (no executor has it) and another is started in its place:
      // exactly four instances running, no more.
      const nextClient = next.api();
      let record: unknown;
      await waitFor(async () => {
        record = (await nextClient.get(`/apis/v1/operations/${scale.body.data.operationId}`)).body.data;
        return ['COMPLETED', 'FAILED'].includes((record as { state?: string } | undefined)?.state ?? '');
      }, { timeoutMs: 90_000, message: 'the scale to finish on the new leader' }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${JSON.stringify(record)}\n${ha.outputs()}`);
      });
      await waitFor(async () => {
        const healthy = (await nextClient.get(`/apis/v1/applications/${appId}/instances?state=HEALTHY`)).body.data as unknown[];
        return healthy.length === 4 && appServers(marker).length === 4;
      }, { timeoutMs: 90_000, message: `four HEALTHY instances and four app processes (scale: ${JSON.stringify(record)})` });
      // The store: not one row written by the old leader since the takeover — and the audit does
      // see the successor's (since the pause: it may have finished the scale before `takeover`).
      const writes = await ha.writes(takeover);
      expect(writes.filter((w) => w.app === ha.appName(index))).toEqual([]);
      expect((await ha.writes(pausedAt)).some((w) => w.app === ha.appName(ha.controllers.indexOf(next)))).toBe(true);
      expect((await connectedExecutors(next)).sort()).toEqual(ha.executors.map((e) => e.executorId).sort());
      expect((await nextClient.get(`/apis/v1/tasks/TEST_APP/instances/${lateTaskId}`)).body.status).toBe('FAILED');
    } finally {
      if (!resumed) process.kill(leader.child!.pid!, 'SIGCONT');
    }
  }, 240_000);
});
