/**
 * Memory given back after a burst (src/controller/memory-return.ts): the collector, in a real
 * Node process, returns pages V8's ordinary full collections keep resident; and the policy —
 * when to run it — with RSS, heap and clock given by the test (a real controller's RSS cannot be
 * made to grow and settle on cue).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/common/logger.ts';
import { MemoryReturn } from '../../src/controller/memory-return.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('memory-reducing collector', () => {
  it('gives back the pages ordinary full collections keep, and leaves no gc on the global object', async () => {
    const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'test/helpers/pooled-pages-main.ts')], { timeout: 60_000 });
    const figures = JSON.parse(stdout.trim().split('\n').pop()!) as { peak: number; afterOrdinary: number; afterReducing: number; gcLeftGlobal: boolean };
    expect(figures.gcLeftGlobal).toBe(false);
    // ~80 MB of objects were dropped: ordinary collections leave most of it resident …
    expect(figures.afterOrdinary).toBeGreaterThan(figures.peak - 40);
    // … the memory-reducing one gives it back.
    expect(figures.afterReducing).toBeLessThan(figures.afterOrdinary - 40);
  });
});

describe('memory return policy', () => {
  function setUp(options: { thresholdMb?: number; liveMb?: number; collect?: () => void } = {}) {
    let rss = 100;
    let now = 0;
    let collections = 0;
    const policy = new MemoryReturn({
      thresholdMb: options.thresholdMb ?? 64, logger: silentLogger, minGapMs: 120_000, maxLiveHeapMb: 192,
      readRssMb: () => rss, readLiveHeapMb: () => options.liveMb ?? 80, now: () => now,
      collect: options.collect ?? (() => { collections++; rss = 110; }),
    });
    return {
      policy,
      at: (mb: number, ms: number) => { rss = mb; now = ms; return policy.check(); },
      collections: () => collections,
    };
  }

  it('waits for growth to stop, then collects once; not again within the gap', () => {
    const t = setUp();
    expect(t.at(100, 0)).toBe(false);
    expect(t.at(180, 15_000)).toBe(false); // grown 80 MB but still growing
    expect(t.at(260, 30_000)).toBe(false);
    expect(t.at(262, 45_000)).toBe(true); // settled: one collection, RSS back to 110
    expect(t.collections()).toBe(1);
    expect(t.at(200, 60_000)).toBe(false);
    expect(t.at(200, 75_000)).toBe(false); // grown 90 MB over the new floor, settled, but within the gap
    expect(t.at(200, 165_001)).toBe(true);
    expect(t.collections()).toBe(2);
  });

  it('counts growth from the RSS at start, so a burst over before the first look still counts', () => {
    const t = setUp();
    t.policy.start(); // RSS 100 now
    try {
      expect(t.at(250, 10_000)).toBe(false); // grew 150 MB since the start: not settled yet
      expect(t.at(251, 20_000)).toBe(true);
    } finally {
      t.policy.stop();
    }
  });

  it('does nothing below the threshold, with too much live heap, or when turned off', () => {
    const small = setUp();
    small.at(100, 0);
    small.at(150, 15_000);
    expect(small.at(150, 30_000)).toBe(false);
    const big = setUp({ liveMb: 500 });
    big.at(100, 0);
    big.at(300, 15_000);
    expect(big.at(300, 30_000)).toBe(false);
    expect(big.collections()).toBe(0);
    const off = setUp({ thresholdMb: 0 });
    off.policy.start(); // no timer: nothing to stop, nothing runs
    off.policy.stop();
    expect(off.collections()).toBe(0);
  });

  it('stops trying when the collector cannot run', () => {
    let calls = 0;
    const t = setUp({ collect: () => { calls++; throw new Error('no gc here'); } });
    t.at(100, 0);
    t.at(200, 15_000);
    expect(t.at(200, 30_000)).toBe(false);
    expect(t.at(200, 300_000)).toBe(false);
    expect(calls).toBe(1);
  });
});
