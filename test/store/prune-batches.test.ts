/**
 * Retention sweeps delete in batches sized by their time (src/controller/store/store-rows.ts
 * pruneInBatches): a statement that holds the event loop too long makes the next batch smaller,
 * quick ones make it larger, and every row is deleted whatever the sizes. The "store" here is a
 * sorted array whose deletes burn real CPU in proportion to the rows they delete, as SQLite's do.
 */
import { describe, expect, it } from 'vitest';
import { PRUNE_BATCH, pruneInBatches } from '../../src/controller/store/store-rows.ts';

function table(rows: number, msPerRow: number) {
  const keys = Array.from({ length: rows }, (_, i) => i);
  const limits: number[] = [];
  const statementMs: number[] = [];
  return {
    limits, statementMs,
    left: () => keys.length,
    boundary: async (limit: number) => {
      limits.push(limit);
      return keys.length === 0 ? undefined : keys[Math.min(limit, keys.length) - 1];
    },
    remove: async (upTo: number) => {
      const started = performance.now();
      const n = keys.findIndex((key) => key > upTo);
      const removed = keys.splice(0, n === -1 ? keys.length : n).length;
      while (performance.now() - started < removed * msPerRow) { /* the statement's own time */ }
      statementMs.push(performance.now() - started);
      return removed;
    },
  };
}

describe('pruneInBatches', () => {
  it('shrinks batches whose statements take long, and still deletes every row', async () => {
    const slow = table(10_000, 0.05); // the first batch of 2,000 takes ~100 ms
    expect(await pruneInBatches(slow.boundary, slow.remove)).toBe(10_000);
    expect(slow.left()).toBe(0);
    expect(slow.limits[0]).toBe(PRUNE_BATCH);
    expect(slow.limits[1]).toBeLessThan(PRUNE_BATCH / 2);
    // After the first, statements stay near the 10 ms aim (slack for a busy machine).
    expect(Math.max(...slow.statementMs.slice(1))).toBeLessThan(80);
  });

  it('grows batches whose statements are quick', async () => {
    const quick = table(200_000, 0);
    expect(await pruneInBatches(quick.boundary, quick.remove)).toBe(200_000);
    expect(Math.max(...quick.limits)).toBeGreaterThan(PRUNE_BATCH * 4);
  });
});
