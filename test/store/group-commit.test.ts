/** The group commit every batched write goes through (src/controller/store/group-commit.ts). Pure logic: no store needed. */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/controller/store/group-commit.ts';

describe('GroupCommit', () => {
  it('commits the writes of one turn as one batch, in order, and the next turn as the next batch', async () => {
    const batches: number[][] = [];
    const writer = new GroupCommit<number>(async (items) => {
      batches.push(items);
    });
    await Promise.all([writer.write(1), writer.write(2), writer.write(3)]);
    await writer.write(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('rejects every write of a failed batch, and only the items a per-item answer names', async () => {
    const failing = new GroupCommit<number>(async () => {
      throw new Error('disk full');
    });
    const all = await Promise.allSettled([failing.write(1), failing.write(2)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);

    const partial = new GroupCommit<number>(async (items) => items.map((i) => (i === 2 ? new Error(`duplicate ${i}`) : undefined)));
    const answers = await Promise.allSettled([partial.write(1), partial.write(2), partial.write(3)]);
    expect(answers.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((answers[1] as PromiseRejectedResult).reason).toEqual(new Error('duplicate 2'));
  });

  it('keeps one batch in flight: writes made meanwhile form the next one', async () => {
    let release: () => void = () => undefined;
    const batches: number[][] = [];
    const writer = new GroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = writer.write(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [writer.write(2), writer.write(3)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3]]);
    await writer.drain();
  });
});
