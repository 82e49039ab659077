/**
 * The controller's side of batched instance reports: an `instanceUpdates` frame (the reports of
 * one executor event-loop turn) is applied exactly as the same reports sent as separate
 * `instanceUpdate` frames — same INSTANCE_STATE_CHANGE events in the same order, same record —
 * and a burst of one instance's states is written to the store once. Real controller, store,
 * applications module and HTTP API; a scripted executor sends the exact frames, one instance
 * batched and its twin frame by frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceRecord, InstanceState, LocalInstanceInfo } from '../../src/api/app-types.ts';
import type { InstanceReport, StartInstanceMessage, StopInstanceMessage } from '../../src/api/channel-protocol.ts';
import type { ClusterEvent } from '../../src/api/cluster-types.ts';
import type { WorkloadEvent } from '../../src/api/task-types.ts';
import { connectFakeExecutor, type FakeExecutor } from '../helpers/fake-executor.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { appSpec, createOp, FAST_OPSPEC, startAppCluster, type AppCluster } from './app-test-env.ts';

let env: AppCluster;
let exec: FakeExecutor;
const events: ClusterEvent[] = [];
/** Every version of an instance record written to the store, in order. */
const writes: InstanceRecord[] = [];

beforeAll(async () => {
  env = await startAppCluster({ executors: 0 });
  const ctx = env.controller.ctx!;
  ctx.events.subscribe((e) => events.push(e));
  const store = ctx.store;
  const upsertInstances = store.upsertInstances.bind(store);
  store.upsertInstances = (records) => {
    writes.push(...structuredClone(records));
    return upsertInstances(records);
  };
  exec = await connectFakeExecutor(env.controller.url, { secret: env.controller.config.clusterSecret, identity: { hostname: 'batching' } });
  await waitFor(() => ctx.executors.get(exec.identity.executorId)?.connected, { message: 'the executor to register' });
});

afterAll(async () => {
  await exec.close();
  await env.close();
});

/** The reports an executor would send for `states`, one step (and one event) each. */
function reports(start: StartInstanceMessage, states: InstanceState[], from: number, history: WorkloadEvent[]): InstanceReport[] {
  const localInfo: LocalInstanceInfo = { hostname: 'batching', ports: { http: { containerPort: 8080, hostPort: 41_000, portType: 'HTTP' } } };
  return states.map((state, i) => {
    // A repeated state brings no event of its own, as a report of a notable event would.
    if (states[i - 1] !== state) history.push({ time: from + i, type: `Now ${state}`, message: state });
    return {
      instanceId: start.instanceId, appId: start.appId, appName: start.spec.name, state, errorMessage: '',
      events: [...history], updated: from + i, ...(state === 'PENDING' ? {} : { localInfo }),
    };
  });
}

function stateChanges(instanceId: string): unknown[] {
  return events.filter((e) => e.type === 'INSTANCE_STATE_CHANGE' && e.metadata.INSTANCE_ID === instanceId)
    .map((e) => [e.metadata.CURRENT_STATE, e.metadata.ERROR ?? '', e.metadata.PORTS]);
}

describe('batched instance reports', () => {
  it('are announced to executors in welcome', () => {
    expect(exec.welcome?.features).toEqual(expect.arrayContaining(['taskUpdates', 'instanceUpdates']));
  });

  it('are applied as the same reports sent one frame each: same events in order, same records, one write per burst', async () => {
    const { appId, operationId } = await env.submit(createOp(appSpec('batched')));
    await env.waitOperation(operationId, 'COMPLETED');
    const scale = await env.submit({ type: 'SCALE', appId, requiredInstances: 2, opSpec: FAST_OPSPEC });
    const starts = await waitFor(() => {
      const found = exec.received.filter((m): m is StartInstanceMessage => m.type === 'startInstance' && m.appId === appId);
      return found.length === 2 ? found : undefined;
    }, { message: 'two instance starts' });
    const [batched, separate] = starts;
    const histories = new Map<string, WorkloadEvent[]>(starts.map((s) => [s.instanceId, []]));
    const up: InstanceState[] = ['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'HEALTHY'];
    const now = Date.now();
    const firstWrite = writes.length;
    exec.send({ type: 'instanceUpdates', instances: reports(batched, up, now, histories.get(batched.instanceId)!) });
    for (const instance of reports(separate, up, now, histories.get(separate.instanceId)!)) exec.send({ type: 'instanceUpdate', instance });
    await env.waitOperation(scale.operationId, 'COMPLETED');
    const healthy = await env.instances(appId, 'HEALTHY');
    expect(healthy.map((i) => i.instanceId).sort()).toEqual(starts.map((s) => s.instanceId).sort());

    // The six states of the batched burst went to the store as one version of the record.
    expect(writes.slice(firstWrite).filter((w) => w.instanceId === batched.instanceId).map((w) => w.state)).toEqual(['HEALTHY']);
    const record = (id: string) => env.module.model.instance(id)!;
    for (const start of starts) {
      expect((record(start.instanceId).events ?? []).map((e) => e.type)).toEqual(histories.get(start.instanceId)!.map((e) => e.type));
    }
    expect(record(batched.instanceId).localInfo).toEqual(record(separate.instanceId).localInfo);

    const scaleDown = await env.submit({ type: 'SCALE', appId, requiredInstances: 0, opSpec: FAST_OPSPEC });
    await waitFor(() => starts.every((s) => exec.received.some((m) => m.type === 'stopInstance' && (m as StopInstanceMessage).instanceId === s.instanceId)),
      { message: 'both stops' });
    const down: InstanceState[] = ['STOPPING', 'DEPROVISIONING', 'STOPPED'];
    exec.send({ type: 'instanceUpdates', instances: reports(batched, down, now + 100, histories.get(batched.instanceId)!) });
    for (const instance of reports(separate, down, now + 100, histories.get(separate.instanceId)!)) exec.send({ type: 'instanceUpdate', instance });
    await env.waitOperation(scaleDown.operationId, 'COMPLETED');
    await waitFor(() => starts.every((s) => exec.received.some((m) => m.type === 'forget' && m.instanceIds.includes(s.instanceId))),
      { message: 'both instances forgotten' });

    const all = ['PENDING', 'PROVISIONING', 'STARTING', 'UNREADY', 'READY', 'HEALTHY', 'STOPPING', 'DEPROVISIONING', 'STOPPED'];
    const changes = await waitFor(() => {
      const both = starts.map((s) => stateChanges(s.instanceId));
      return both.every((c) => c.length === all.length) ? both : undefined;
    }, { message: 'every INSTANCE_STATE_CHANGE' });
    expect(changes[0].map((c) => (c as unknown[])[0])).toEqual(all);
    expect(changes[0]).toEqual(changes[1]);
  });
});
