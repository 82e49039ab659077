/** The control channel: reconnect after the controller restarts, URL rotation, refused secrets, reconciliation on welcome. */
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/common/logger.ts';
import { reconnectDelay } from '../../src/executor/agent/controller-channel.ts';
import { startExecutor } from '../../src/executor/agent/executor-agent.ts';
import { channelUrlOf } from '../../src/executor/agent/executor-options.ts';
import { FakeController } from './helpers/fake-controller.ts';
import { startTask, taskSpec } from './helpers/specs.ts';
import { eventually, tempDir } from './helpers/workload-fixtures.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(options: { controllers?: string[]; secret?: string; logger?: ReturnType<typeof createLogger>; port?: number } = {}) {
  const controller = await FakeController.start({ snapshotIntervalMs: 60_000, port: options.port });
  const { dir, cleanup } = await tempDir('corral-channel-');
  cleanups.push(cleanup);
  cleanups.push(() => controller.close());
  const agent = await startExecutor({
    controllers: options.controllers ?? [controller.url], secret: options.secret ?? controller.secret, dataDir: dir,
    port: 3200, logger: options.logger ?? silentLogger, reconnect: { initialDelayMs: 20, maxDelayMs: 200, refusedDelayMs: 400 },
  });
  cleanups.push(() => agent.stop({ killWorkloads: true }));
  return { controller, agent, dir };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function logSink(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('executor', { level: 'info', destination }), lines };
}

describe('controller channel', () => {
  it('maps controller URLs to channel URLs', () => {
    expect(channelUrlOf('http://c:4000')).toBe('ws://c:4000/apis/v1/internal/executors/channel');
    expect(channelUrlOf('https://c/base/')).toBe('wss://c/base/apis/v1/internal/executors/channel');
    expect(() => channelUrlOf('ftp://c')).toThrow(/http, https, ws or wss/);
  });

  it('backs off exponentially with jitter up to the cap, after a quick pass over the URLs', () => {
    const max = (attempt: number, urls: number) => reconnectDelay(attempt, urls, 100, 5_000, () => 1);
    const min = (attempt: number, urls: number) => reconnectDelay(attempt, urls, 100, 5_000, () => 0);
    expect([0, 1, 2, 3].map((a) => max(a, 1))).toEqual([100, 200, 400, 800]);
    expect(max(20, 1)).toBe(5_000);
    expect(min(20, 1)).toBe(2_500);
    expect([0, 1, 2].map((a) => max(a, 3))).toEqual([100, 100, 100]);
  });

  it('keeps work running while the controller is away and reports it on reconnect', async () => {
    const { controller, agent, dir } = await setup();
    await controller.waitFor((m) => m.type === 'snapshot');
    const id = startTask(controller, taskSpec('/bin/sh', ['-c', 'while [ ! -f go ]; do sleep 0.02; done; echo done; exit 2']));
    await controller.waitForTask(id, (r) => r.state === 'RUNNING');
    const port = controller.port;
    await controller.close();
    await eventually(() => !agent.isConnected(), { what: 'the agent to notice the disconnection' });

    await writeFile(path.join(dir, 'workloads', id, 'work', 'go'), '');
    await eventually(() => agent.snapshot().tasks.find((t) => t.instanceId === id)?.state === 'STOPPED', { what: 'the task to finish offline' });

    const again = await FakeController.start({ port, snapshotIntervalMs: 60_000 });
    cleanups.push(() => again.close());
    const snapshot = await again.waitFor((m) => (m.type === 'snapshot' ? m : undefined));
    expect(again.hellos).toHaveLength(1);
    const report = snapshot.tasks.find((t) => t.instanceId === id)!;
    expect(report).toMatchObject({ state: 'STOPPED', taskResult: { status: 'FAILED', exitCode: 2 } });
    expect(agent.isConnected()).toBe(true);
  });

  it('rotates through controller URLs until one answers', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const controller = await FakeController.start();
    cleanups.push(() => controller.close());
    const { dir, cleanup } = await tempDir('corral-channel-');
    cleanups.push(cleanup);
    const agent = await startExecutor({
      controllers: `${dead},${controller.url}`, secret: controller.secret, dataDir: dir, port: 3201, logger: silentLogger,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    cleanups.push(() => agent.stop());
    await controller.waitFor((m) => m.type === 'hello');
    await eventually(() => agent.isConnected());
  });

  it('logs a refused secret clearly and retries slowly', async () => {
    const { logger, lines } = logSink();
    const { controller, agent } = await setup({ secret: 'not-the-secret', logger });
    await eventually(() => controller.refused >= 2, { what: 'a second attempt' });
    const t0 = Date.now();
    await eventually(() => controller.refused >= 3, { what: 'a third attempt' });
    // refusedDelayMs is 400 (jitter-free): far slower than the 20 ms reconnect step.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(lines.some((line) => line.includes('rejected the cluster secret (close 4001); check --secret'))).toBe(true);
    expect(agent.isConnected()).toBe(false);
    expect(controller.hellos).toHaveLength(0);
  });

  it('on welcome, stops active workloads the controller does not know and forgets terminal ones', async () => {
    const { controller, agent } = await setup();
    await controller.waitFor((m) => m.type === 'snapshot');
    const done = startTask(controller, taskSpec('true'));
    const running = startTask(controller, taskSpec('sleep', ['100']));
    await controller.waitForTask(done, (r) => r.state === 'STOPPED');
    await controller.waitForTask(running, (r) => r.state === 'RUNNING');
    const port = controller.port;
    await controller.close();
    await eventually(() => !agent.isConnected());
    const again = await FakeController.start({ port, knownInstanceIds: [] });
    cleanups.push(() => again.close());
    const stopped = await again.waitForTask(running, (r) => r.state === 'STOPPED');
    expect(stopped.taskResult).toEqual({ status: 'CANCELLED', exitCode: -1 });
    expect(agent.snapshot().tasks.map((t) => t.instanceId)).not.toContain(done);
  });
});
