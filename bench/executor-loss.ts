/**
 * Executor loss: a real controller in its own process (default settings: an executor silent for
 * 10 s is lost), a simulated fleet holding one app's instances; 10 % of the fleet — the busiest
 * machines — dies at once (silent connections, workloads gone). Measured: the time from the
 * deaths until every instance is HEALTHY on a live executor again, in the controller's view.
 * Then the dead machines come back, and the fleet must still run exactly the instances the
 * controller counts (nothing placed twice). The same again with a partition instead of deaths:
 * the cut-off machines keep running their copies, and when they return their stale copies
 * must be stopped.
 *
 *   npm run bench:executor-loss -- [--executors 1000] [--instances 10000] [--share 10%] [--postgres]
 *
 * Target: ≤ 15 s from the deaths to every lost instance replaced and HEALTHY (Drove takes ≥ 45 s).
 */
import { parseArgs } from 'node:util';
import { call, startBenchController, Targets } from './bench-cluster.ts';
import { startBenchFleet, type BenchFleet } from './bench-fleet.ts';

const { values } = parseArgs({
  options: {
    executors: { type: 'string', default: '1000' },
    // One app holds at most 2,048 instances (docs/apps.md).
    instances: { type: 'string', default: '2000' },
    share: { type: 'string', default: '10%' },
    postgres: { type: 'boolean', default: false },
  },
});
const EXECUTORS = Number(values.executors);
const INSTANCES = Number(values.instances);
const TARGET_S = 15;
const APP = 'loss-1';

const check = { mode: { type: 'CMD', command: 'true' }, timeout: '1 second', interval: '20 ms', attempts: 50 };
const opSpec = { timeout: '600s', parallelism: 512, failureStrategy: 'STOP' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let url = '';

async function instances(): Promise<{ instanceId: string; executorId: string; state: string }[]> {
  const { body } = await call(`${url}/apis/v1/applications/${APP}/instances`);
  return body?.data ?? [];
}

async function healthyCount(): Promise<number> {
  const { body } = await call(`${url}/apis/v1/applications/${APP}`);
  return Number(body?.data?.healthyInstances ?? 0);
}

/** Seconds from now until every instance is HEALTHY and none is on `gone` (polled: the summary often, the list when the summary is whole). */
async function untilReplaced(gone: Set<string>, since: number): Promise<number> {
  for (;;) {
    if (await healthyCount() >= INSTANCES) {
      const list = await instances();
      const healthy = list.filter((i) => i.state === 'HEALTHY' && !gone.has(i.executorId));
      if (healthy.length >= INSTANCES) return (performance.now() - since) / 1000;
    }
    if (performance.now() - since > 300_000) throw new Error('the lost instances were not all replaced within 5 minutes');
    await sleep(250);
  }
}

type LoggedEvent = { type: string; time: number; metadata: Record<string, unknown> };

/** The cluster's events since `sinceWall`, oldest first. */
async function eventsSince(sinceWall: number): Promise<LoggedEvent[]> {
  const { body } = await call(`${url}/apis/v1/cluster/events?lastSyncTime=${sinceWall}&size=100000`);
  // The API lists them newest first, by time and then by the order they were appended; sorting by
  // time alone would keep the events of one millisecond newest first (HEALTHY before STARTING).
  return ((body?.data ?? []) as LoggedEvent[]).reverse();
}

/**
 * When the controller marked the lost instances LOST, in seconds after `sinceWall` (first, last):
 * detection, as against the replacement that follows it.
 */
function declaredLost(events: LoggedEvent[], sinceWall: number, executors: Set<string>): [number, number] {
  const times = events
    .filter((e) => e.type === 'INSTANCE_STATE_CHANGE' && e.metadata.CURRENT_STATE === 'LOST' && executors.has(String(e.metadata.EXECUTOR_ID)))
    .map((e) => (e.time - sinceWall) / 1000);
  return times.length === 0 ? [NaN, NaN] : [Math.min(...times), Math.max(...times)];
}

/**
 * Where the time after a loss went, from the event log: the app's operations (type, state, when)
 * and when its instances turned HEALTHY, in seconds after `sinceWall`. Printed beside each
 * figure, so a slow run says whether it waited on detection, on an operation, or on placement.
 */
async function timeline(events: LoggedEvent[], sinceWall: number): Promise<string> {
  const at = (time: number) => `${((time - sinceWall) / 1000).toFixed(1)} s`;
  // Operations are not on the cluster's event list (docs/api.md): read from their own list.
  const listed = await call(`${url}/apis/v1/operations?appId=${APP}&size=100`);
  const operations = ((listed.body?.data ?? []) as { type: string; state: string; created: number; updated: number }[])
    .filter((o) => o.updated >= sinceWall).reverse()
    .map((o) => `${o.type} ${at(o.created)}–${at(o.updated)} ${o.state}`);
  const instanceEvents = events.filter((e) => e.type === 'INSTANCE_STATE_CHANGE');
  const healthy = instanceEvents.filter((e) => e.metadata.CURRENT_STATE === 'HEALTHY');
  const lastHealthy = healthy.length ? `${healthy.length} turned HEALTHY, the last at ${at(healthy[healthy.length - 1].time)}` : 'none turned HEALTHY';
  // The slowest replacements: their instance's states, in order.
  const slow = new Set(healthy.slice(-2).map((e) => String(e.metadata.INSTANCE_ID)));
  const histories = [...slow].map((id) => `${id.slice(0, 11)}: ${instanceEvents.filter((e) => e.metadata.INSTANCE_ID === id)
    .map((e) => `${String(e.metadata.CURRENT_STATE)} ${at(e.time)} on ${String(e.metadata.EXECUTOR_ID).slice(0, 8)}`).join(', ')}`);
  return `${events.length} events; operations: ${operations.join(', ') || 'none'}; ${lastHealthy}\n  slowest: ${histories.join(' | ')}`;
}

/** Waits until the fleet runs as many workloads as the controller counts HEALTHY; returns both. */
async function settled(fleet: BenchFleet): Promise<{ fleet: number; controller: number }> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const running = (await fleet.status()).workloads;
    const counted = (await instances()).length;
    if (running === counted || performance.now() > deadline) return { fleet: running, controller: counted };
    await sleep(500);
  }
}

async function main(): Promise<void> {
  console.log(`corral executor-loss benchmark: ${INSTANCES} instances on ${EXECUTORS} simulated executors; ${values.share} of them die, then are cut off (${values.postgres ? 'PostgreSQL' : 'SQLite'})`);
  const controller = await startBenchController({ postgres: values.postgres });
  url = controller.url;
  const fleet = await startBenchFleet(controller, EXECUTORS, { cores: Math.ceil((2 * INSTANCES) / EXECUTORS) + 4 });
  const targets = new Targets();
  try {
    const spec = {
      name: 'loss', version: '1', type: 'SERVICE', executable: { type: 'PROCESS', command: '/bin/true' },
      exposedPorts: [{ name: 'http', port: 8080, type: 'HTTP' }],
      resources: [{ type: 'CPU', count: 1 }, { type: 'MEMORY', sizeInMB: 16 }],
      readiness: check, healthcheck: { ...check, interval: '5 seconds', attempts: 3 },
    };
    await call(`${url}/apis/v1/applications/operations`, 'POST', { type: 'CREATE', spec, instances: 0, opSpec });
    await call(`${url}/apis/v1/applications/operations`, 'POST', { type: 'SCALE', appId: APP, requiredInstances: INSTANCES, opSpec });
    const placed = performance.now();
    while (await healthyCount() < INSTANCES) {
      if (performance.now() - placed > 600_000) throw new Error('the instances did not all become HEALTHY');
      await sleep(250);
    }

    const before = await instances();
    const killedAt = performance.now();
    const killedWall = Date.now();
    const dead = new Set(await fleet.kill(values.share!));
    const lost = before.filter((i) => dead.has(i.executorId)).length;
    const killSeconds = await untilReplaced(dead, killedAt);
    const killEvents = await eventsSince(killedWall);
    const killDetected = declaredLost(killEvents, killedWall, dead);
    const killTimeline = await timeline(killEvents, killedWall);
    await fleet.revive();
    await sleep(2 * controller.config.snapshotIntervalMs);
    const afterRevive = await settled(fleet);

    const beforeCut = await instances();
    const cutAt = performance.now();
    const cutWall = Date.now();
    const cut = new Set(await fleet.partition(values.share!));
    const stranded = beforeCut.filter((i) => cut.has(i.executorId)).length;
    const cutSeconds = await untilReplaced(cut, cutAt);
    const cutEvents = await eventsSince(cutWall);
    const cutDetected = declaredLost(cutEvents, cutWall, cut);
    const cutTimeline = await timeline(cutEvents, cutWall);
    await fleet.heal();
    await sleep(2 * controller.config.snapshotIntervalMs);
    const afterHeal = await settled(fleet);

    console.log('');
    targets.check(`${dead.size} executors die (${lost} instances)`, `${killSeconds.toFixed(1)} s`, killSeconds <= TARGET_S, `≤ ${TARGET_S} s to all HEALTHY elsewhere`);
    console.log(`  their instances marked LOST ${killDetected[0].toFixed(1)}–${killDetected[1].toFixed(1)} s after the kill`);
    console.log(`  ${killTimeline}`);
    targets.check('  after they return: fleet runs / controller counts', `${afterRevive.fleet} / ${afterRevive.controller}`, afterRevive.fleet === INSTANCES && afterRevive.controller === INSTANCES, `${INSTANCES} / ${INSTANCES} (no double placement)`);
    targets.check(`${cut.size} executors cut off (${stranded} instances)`, `${cutSeconds.toFixed(1)} s`, cutSeconds <= TARGET_S, `≤ ${TARGET_S} s to all HEALTHY elsewhere`);
    console.log(`  their instances marked LOST ${cutDetected[0].toFixed(1)}–${cutDetected[1].toFixed(1)} s after the cut`);
    console.log(`  ${cutTimeline}`);
    targets.check('  after the partition heals: fleet runs / controller counts', `${afterHeal.fleet} / ${afterHeal.controller}`, afterHeal.fleet === INSTANCES && afterHeal.controller === INSTANCES, `${INSTANCES} / ${INSTANCES} (stale copies stopped)`);
    console.log(`(an executor is declared lost after ${controller.config.executorLostAfterMs / 1000} s of silence: executorLostAfter)`);
    targets.finish();
  } finally {
    await fleet.stop();
    await controller.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
