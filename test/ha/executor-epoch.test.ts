/**
 * Executors fence controllers by leadership epoch (docs/ha.md): the newest epoch seen wins, and a
 * frame or a welcome from a controller with an older one is refused and logged, so a deposed
 * leader that wakes up with commands queued cannot make the executor do anything.
 *
 * The controllers here are FakeController (a real WebSocket server speaking the channel
 * protocol): two leaders of different epochs talking to one executor at once cannot be
 * produced on purpose with real controllers, whose own guards stop the old one from sending.
 * The executor is the real agent with the real process driver.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.ts';
import { startExecutor } from '../../src/executor/agent/executor-agent.ts';
import { FakeController } from '../executor/helpers/fake-controller.ts';
import { startTask, taskSpec } from '../executor/helpers/specs.ts';
import { eventually, tempDir } from '../executor/helpers/workload-fixtures.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function logSink(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('executor', { level: 'info', destination }), lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

async function agentOn(controllers: FakeController[], port: number) {
  const { dir, cleanup } = await tempDir('corral-epoch-');
  cleanups.push(cleanup);
  const sink = logSink();
  const agent = await startExecutor({
    controllers: controllers.map((c) => c.url), secret: controllers[0].secret, dataDir: dir, port, logger: sink.logger,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  cleanups.push(() => agent.stop({ killWorkloads: true }));
  return { agent, sink };
}

describe('executor epoch fencing', () => {
  it('refuses a command stamped with an older epoch than the welcome it got, and drops that connection', async () => {
    const leader = await FakeController.start({ epoch: 7 });
    cleanups.push(() => leader.close());
    const { agent, sink } = await agentOn([leader], 3301);
    await leader.waitFor((m) => m.type === 'snapshot');

    leader.epoch = 6;
    const stale = startTask(leader, taskSpec('/bin/sh', ['-c', 'sleep 30']));
    await eventually(() => sink.lines().some((l) => String(l.msg).includes('leadership epoch is older')), { what: 'the refusal to be logged' });
    const refusal = sink.lines().find((l) => String(l.msg).includes('leadership epoch is older'))!;
    expect(refusal).toMatchObject({ type: 'startTask', epoch: 6, newestEpoch: 7 });
    // It reconnects once the fake speaks with its epoch again; the stale start never ran.
    leader.epoch = 7;
    await eventually(() => agent.isConnected(), { what: 'the agent to reconnect' });
    expect(agent.snapshot().tasks.find((t) => t.instanceId === stale)).toBeUndefined();
  });

  it('obeys the newer leader and refuses the welcome of the older one that comes back', async () => {
    const newer = await FakeController.start({ epoch: 12 });
    const older = await FakeController.start({ epoch: 11 });
    cleanups.push(() => newer.close(), () => older.close());
    const { agent, sink } = await agentOn([newer, older], 3302);
    await newer.waitFor((m) => m.type === 'snapshot');
    const running = startTask(newer, taskSpec('/bin/sh', ['-c', 'sleep 30']));
    await newer.waitForTask(running, (r) => r.state === 'RUNNING');

    // The newer leader goes away; the only other URL is a controller of an older epoch.
    await newer.close();
    await older.waitFor((m) => m.type === 'hello');
    await eventually(() => sink.lines().some((l) => l.type === 'welcome' && l.epoch === 11), { what: 'the old welcome to be refused' });
    expect(agent.isConnected()).toBe(false);
    // The work of the newer leader keeps running while there is no leader to talk to.
    expect(agent.snapshot().tasks.find((t) => t.instanceId === running)?.state).toBe('RUNNING');
    // A start the old controller sends on its (already refused) connection does nothing either.
    expect(() => startTask(older, taskSpec('/bin/sh', ['-c', 'sleep 30']))).toThrow(/no executor connected/);
  });
});
