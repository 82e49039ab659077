/** Conformance part: tasks (keys, atomic batches, filters, pruning). */
import { PRUNE_BATCH } from '../../src/controller/store/store-rows.ts';
import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/api/task-types.ts';
import { RecordNotFoundError, StoreQueryError } from '../../src/controller/store/store-errors.ts';
import { DuplicateRecordError, type Store } from '../../src/controller/store/store.ts';
import { T0, taskRecord } from './store-records.ts';

const keys = (tasks: TaskRecord[]): string[] => tasks.map((t) => `${t.sourceAppName}/${t.taskId}`);

export function tasksConformance(current: () => Store): void {
  describe('tasks', () => {
    it('round-trips a whole record, unicode and optional fields included', async () => {
      const store = current();
      const record = taskRecord({
        parentTaskId: 'parent', subtaskIds: ['a', 'b'], taskResult: { status: 'SUCCESSFUL', exitCode: 0 },
        killRequested: { by: 'admin', mode: 'FORCE', at: T0 + 1 },
      });
      await store.insertTask(record);
      expect(await store.getTask('batch', 't1')).toEqual(record);
      expect(await store.getTask('batch', 'nope')).toBeUndefined();
      expect(await store.getTask('other', 't1')).toBeUndefined();
    });

    it('rejects a duplicate {sourceAppName, taskId} and keeps the original', async () => {
      const store = current();
      await store.insertTask(taskRecord());
      await store.insertTask(taskRecord({ sourceAppName: 'other' }));
      const error = await store.insertTask(taskRecord({ state: 'RUNNING' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateRecordError);
      expect((error as DuplicateRecordError).code).toBe('DUPLICATE_RECORD');
      expect((error as Error).message).toContain('batch/t1');
      expect((await store.getTask('batch', 't1'))?.state).toBe('PENDING');
    });

    it('inserts a batch all or nothing', async () => {
      const store = current();
      await store.insertTask(taskRecord({ taskId: 'exists' }));
      const clash = [taskRecord({ taskId: 'p' }), taskRecord({ taskId: 'c1' }), taskRecord({ taskId: 'exists' })];
      await expect(store.insertTasks(clash)).rejects.toThrow(DuplicateRecordError);
      const selfClash = [taskRecord({ taskId: 'q' }), taskRecord({ taskId: 'q' })];
      await expect(store.insertTasks(selfClash)).rejects.toThrow(DuplicateRecordError);
      expect(keys(await store.listTasks({}))).toEqual(['batch/exists']);

      const big = Array.from({ length: 1201 }, (_, i) => taskRecord({ taskId: `big-${i}`, created: T0 + i }));
      await expect(store.insertTasks([...big, taskRecord({ taskId: 'exists' })])).rejects.toThrow(DuplicateRecordError);
      expect(await store.listTasks({})).toHaveLength(1);
      await store.insertTasks(big);
      await store.insertTasks([]);
      expect(await store.listTasks({})).toHaveLength(1202);
    });

    it('updates one record, moving it between filters', async () => {
      const store = current();
      await store.insertTask(taskRecord({ executorId: 'ex-1' }));
      const updated = taskRecord({ state: 'RUNNING', executorId: 'ex-2', updated: T0 + 5, errorMessage: 'none' });
      await store.updateTask(updated);
      expect(await store.getTask('batch', 't1')).toEqual(updated);
      expect(keys(await store.listTasks({ states: ['RUNNING'], executorId: 'ex-2' }))).toEqual(['batch/t1']);
      expect(await store.listTasks({ executorId: 'ex-1' })).toEqual([]);
      const missing = await store.updateTask(taskRecord({ taskId: 'ghost' })).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(RecordNotFoundError);
      expect((missing as Error).message).toContain('batch/ghost');
      expect(await store.getTask('batch', 'ghost')).toBeUndefined();
    });

    it('updates a batch in one transaction: all or nothing, last write per key wins', async () => {
      const store = current();
      const tasks = Array.from({ length: 1100 }, (_, i) => taskRecord({ taskId: `t${i}`, created: T0 + i }));
      await store.insertTasks(tasks);
      const running = tasks.map((t) => ({ ...t, state: 'RUNNING' as const, updated: T0 + 100 }));
      await store.updateTasks(running);
      expect(await store.listTasks({ states: ['RUNNING'] })).toHaveLength(1100);

      const withGhost = [...tasks.slice(0, 600).map((t) => ({ ...t, state: 'STOPPED' as const })), taskRecord({ taskId: 'ghost' })];
      const error = await store.updateTasks(withGhost).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordNotFoundError);
      expect((error as Error).message).toContain('batch/ghost');
      expect((error as RecordNotFoundError).missing).toEqual(['batch/ghost']);
      expect(await store.listTasks({ states: ['STOPPED'] })).toEqual([]);
      expect(await store.getTask('batch', 'ghost')).toBeUndefined();

      await store.updateTasks([
        { ...tasks[0], state: 'RUN_COMPLETED' }, { ...tasks[1], state: 'STOPPED' }, { ...tasks[0], state: 'DEPROVISIONING' },
      ]);
      expect((await store.getTask('batch', 't0'))?.state).toBe('DEPROVISIONING');
      expect((await store.getTask('batch', 't1'))?.state).toBe('STOPPED');
      await store.updateTasks([]);
    });

    it('lists by state, executor, parent and source app, combined with AND, in creation order', async () => {
      const store = current();
      await store.insertTasks([
        taskRecord({ sourceAppName: 'a', taskId: 'parent', created: T0 + 3, state: 'RUNNING', executorId: undefined }),
        taskRecord({ sourceAppName: 'a', taskId: 'c2', created: T0 + 2, parentTaskId: 'parent', executorId: 'ex-2' }),
        taskRecord({ sourceAppName: 'a', taskId: 'c1', created: T0 + 1, parentTaskId: 'parent', executorId: 'ex-1', state: 'RUNNING' }),
        taskRecord({ sourceAppName: 'b', taskId: 'solo', created: T0, executorId: 'ex-1', state: 'STOPPED' }),
      ]);
      expect(keys(await store.listTasks({}))).toEqual(['b/solo', 'a/c1', 'a/c2', 'a/parent']);
      expect(keys(await store.listTasks({ states: ['RUNNING'] }))).toEqual(['a/c1', 'a/parent']);
      expect(keys(await store.listTasks({ states: ['RUNNING', 'STOPPED'] }))).toEqual(['b/solo', 'a/c1', 'a/parent']);
      expect(keys(await store.listTasks({ states: [] }))).toHaveLength(4);
      // The executor filter finds the executor's unfinished tasks (store.ts TaskQuery): a finished one is kept without it.
      expect(keys(await store.listTasks({ executorId: 'ex-1' }))).toEqual(['a/c1']);
      expect((await store.getTask('b', 'solo'))?.executorId).toBe('ex-1');
      expect(keys(await store.listTasks({ parentTaskId: 'parent' }))).toEqual(['a/c1', 'a/c2']);
      expect(keys(await store.listTasks({ sourceAppName: 'b' }))).toEqual(['b/solo']);
      expect(keys(await store.listTasks({ sourceAppName: 'a', executorId: 'ex-1', states: ['RUNNING'] }))).toEqual(['a/c1']);
      expect(keys(await store.listTasks({ sourceAppName: 'a', executorId: 'ex-1', states: ['PENDING'] }))).toEqual([]);
      expect(await store.getTask('a', 'parent')).not.toHaveProperty('executorId');
    });

    it('deletes one task, saying whether it existed', async () => {
      const store = current();
      await store.insertTasks([taskRecord({ taskId: 'x' }), taskRecord({ taskId: 'y' })]);
      expect(await store.deleteTask('batch', 'x')).toBe(true);
      expect(await store.deleteTask('batch', 'x')).toBe(false);
      expect(keys(await store.listTasks({}))).toEqual(['batch/y']);
      await store.insertTask(taskRecord({ taskId: 'x' }));
    });

    it('prunes only STOPPED and LOST tasks updated strictly before the cut-off', async () => {
      const store = current();
      await store.insertTasks([
        taskRecord({ taskId: 'stopped-old', state: 'STOPPED', updated: T0 - 1 }),
        taskRecord({ taskId: 'lost-old', state: 'LOST', updated: T0 - 100 }),
        taskRecord({ taskId: 'stopped-at-cut', state: 'STOPPED', updated: T0 }),
        taskRecord({ taskId: 'stopped-new', state: 'STOPPED', updated: T0 + 1 }),
        taskRecord({ taskId: 'failed-old', state: 'PROVISIONING_FAILED', updated: T0 - 100 }),
        taskRecord({ taskId: 'running-old', state: 'RUNNING', updated: T0 - 100 }),
        taskRecord({ taskId: 'completed-old', state: 'RUN_COMPLETED', updated: T0 - 100 }),
      ]);
      expect(await store.pruneTasks(T0)).toBe(2);
      expect(await store.pruneTasks(T0)).toBe(0);
      expect(keys(await store.listTasks({})).sort()).toEqual(
        ['batch/completed-old', 'batch/failed-old', 'batch/running-old', 'batch/stopped-at-cut', 'batch/stopped-new'],
      );
      await expect(store.pruneTasks(Number.NaN)).rejects.toThrow(StoreQueryError);
    });

    it('prunes more than one batch (the sweep deletes in batches and yields between them)', async () => {
      const store = current();
      const count = PRUNE_BATCH * 2 + 7;
      await store.insertTasks(Array.from({ length: count }, (_, i) => taskRecord({ taskId: `old-${i}`, state: 'STOPPED', updated: T0 - 1 - (i % 3) })));
      await store.insertTasks([taskRecord({ taskId: 'kept', state: 'STOPPED', updated: T0 })]);
      expect(await store.pruneTasks(T0)).toBe(count);
      expect(keys(await store.listTasks({}))).toEqual(['batch/kept']);
    });

    it('prunes over several batches when STOPPED and LOST tasks interleave in time, and nothing else', async () => {
      const store = current();
      // Each terminal state is read from the index on its own; the batch boundary must still
      // be the oldest across both, so neither state's old rows are left behind or overtaken.
      const count = PRUNE_BATCH * 3 + 11;
      const states = ['STOPPED', 'LOST', 'LOST', 'RUNNING', 'STOPPED'] as const;
      const records = Array.from({ length: count }, (_, i) => taskRecord({ taskId: `t-${i}`, state: states[i % states.length], updated: T0 - count + i }));
      await store.insertTasks(records);
      const terminal = records.filter((r) => r.state !== 'RUNNING').length;
      expect(await store.pruneTasks(T0)).toBe(terminal);
      const left = await store.listTasks({});
      expect(left).toHaveLength(count - terminal);
      expect(left.every((t) => t.state === 'RUNNING')).toBe(true);
    });
  });
}
