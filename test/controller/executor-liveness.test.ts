/**
 * The registry's liveness clock, driven by hand: a ManualClock and explicit `sweep()` calls make
 * the silent → disconnected → lost → removed timeline exact, including the stall guard. The
 * store is real (SQLite in memory); the connection is an in-memory stand-in because the point
 * here is time, which a real socket cannot be made to hold still for.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/common/clock.ts';
import { silentLogger } from '../../src/common/logger.ts';
import { StoreEventBus } from '../../src/controller/events/event-bus.ts';
import type { ChannelConnection } from '../../src/controller/executors/channel-connection.ts';
import { LiveExecutorRegistry } from '../../src/controller/executors/executor-registry.ts';
import { ResourceLedger } from '../../src/controller/scheduler/resource-ledger.ts';
import { openStore } from '../../src/controller/store/open-store.ts';
import type { Store } from '../../src/controller/store/store.ts';
import { fakeIdentity } from '../helpers/fake-executor.ts';

class MemoryConnection implements ChannelConnection {
  readonly remoteAddress = 'memory:1';
  sent: unknown[] = [];
  pings = 0;
  closedWith?: number;
  terminated = false;
  send(text: string): boolean {
    this.sent.push(JSON.parse(text));
    return true;
  }
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {
    this.terminated = true;
  }
  ping(): void {
    this.pings += 1;
  }
}

describe('executor liveness (manual clock)', () => {
  let store: Store;
  let clock: ManualClock;
  let events: StoreEventBus;
  let registry: LiveExecutorRegistry;
  const seen: string[] = [];

  beforeEach(async () => {
    store = await openStore('sqlite::memory:', { logger: silentLogger });
    clock = new ManualClock();
    events = new StoreEventBus({ store, clock, logger: silentLogger });
    registry = new LiveExecutorRegistry({
      store, ledger: new ResourceLedger(), events, clock, logger: silentLogger,
      snapshotIntervalMs: 1_000, lostAfterMs: 10_000, removedAfterMs: 60_000,
    });
    seen.length = 0;
    for (const name of ['disconnected', 'lost', 'removed'] as const) registry.on(name, () => seen.push(name));
  });
  afterEach(async () => {
    await registry.stop();
    await events.stop();
    await store.close();
  });

  /** Lets `ms` pass the way the real timer would: a sweep every 500 ms. */
  function run(ms: number): void {
    for (let left = ms; left > 0; left -= 500) {
      clock.advance(Math.min(500, left));
      registry.sweep();
    }
  }

  it('pings a quiet executor, drops a silent connection after 3 s, declares it lost at 10 s and removes it at 60 s', async () => {
    const conn = new MemoryConnection();
    const identity = fakeIdentity();
    await registry.hello(conn, identity);
    registry.sweep();
    run(500);
    expect(conn.pings).toBe(0); // it spoke (hello) half a second ago: no ping needed
    run(500); // t = 1 s: quiet for a sweep interval
    expect(conn.pings).toBe(1);
    registry.touch(identity.executorId, conn); // t = 1 s
    run(2_500);
    expect(conn.pings).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([]);
    run(500); // t = 4 s: silent for 3 s
    expect(conn.terminated).toBe(true);
    expect(seen).toEqual(['disconnected']);
    run(6_500);
    expect(seen).toEqual(['disconnected']);
    run(500); // t = 11 s: silent for 10 s
    await expect.poll(() => seen).toEqual(['disconnected', 'lost']);
    expect((await store.getExecutor(identity.executorId))?.lostAt).toBe(clock.now());
    run(49_500);
    expect(seen).toEqual(['disconnected', 'lost']);
    run(500); // t = 61 s: silent for 60 s
    await expect.poll(() => seen).toEqual(['disconnected', 'lost', 'removed']);
    expect(registry.get(identity.executorId)).toBeUndefined();
    expect(registry.recentlyRemoved().map((r) => r.record.executorState)).toEqual(['REMOVED']);
    expect(await store.getExecutor(identity.executorId)).toBeUndefined();
    await events.flush();
    expect((await store.listEvents({})).map((e) => e.type)).toEqual(['EXECUTOR_REMOVED', 'EXECUTOR_LOST', 'EXECUTOR_ADDED']);
  });

  it('does not judge silence in the sweep right after this process stalled', async () => {
    const conn = new MemoryConnection();
    const identity = fakeIdentity();
    await registry.hello(conn, identity);
    registry.sweep();
    clock.advance(5_000); // the controller itself was frozen for 5 s
    registry.sweep();
    expect(conn.terminated).toBe(false);
    registry.touch(identity.executorId, conn); // the pong that was waiting in the socket
    clock.advance(100);
    registry.sweep();
    expect(conn.terminated).toBe(false);
    expect(seen).toEqual([]);
  });

  it('keeps a blacklisted executor record through removal, and its state on return', async () => {
    const identity = fakeIdentity();
    await registry.hello(new MemoryConnection(), identity);
    await registry.setExecutorState(identity.executorId, 'BLACKLISTED');
    registry.closed(identity.executorId, new MemoryConnection(), 1000, ''); // not its connection: ignored
    expect(registry.get(identity.executorId)?.connected).toBe(true);
    const live = registry.get(identity.executorId)!;
    registry.sweep();
    run(3_500);
    expect(live.connected).toBe(false);
    run(7_000);
    await expect.poll(() => seen).toEqual(['disconnected', 'lost']);
    run(50_000);
    await expect.poll(() => seen).toEqual(['disconnected', 'lost', 'removed']);
    expect((await store.getExecutor(identity.executorId))?.executorState).toBe('BLACKLISTED');

    const conn = new MemoryConnection();
    await registry.hello(conn, identity);
    expect(conn.sent[0]).toMatchObject({ type: 'welcome', executorState: 'BLACKLISTED' });
  });

  it('loads persisted executors as disconnected, with the grace period starting at load', async () => {
    const identity = fakeIdentity();
    await registry.hello(new MemoryConnection(), identity);
    await registry.stop();
    clock.advance(3_600_000);
    const reloaded = new LiveExecutorRegistry({
      store, ledger: new ResourceLedger(), events, clock, logger: silentLogger,
      snapshotIntervalMs: 1_000, lostAfterMs: 10_000, removedAfterMs: 60_000,
    });
    await reloaded.load();
    const live = reloaded.get(identity.executorId)!;
    expect(live.connected).toBe(false);
    expect(live.record.lastSeen).toBe(clock.now());
    let lost = false;
    reloaded.on('lost', () => { lost = true; });
    reloaded.sweep();
    clock.advance(9_000);
    reloaded.sweep();
    expect(lost).toBe(false);
    clock.advance(1_000);
    reloaded.sweep();
    await expect.poll(() => lost).toBe(true);
    await reloaded.stop();
  });
});
