/**
 * Group commit of task record updates (store/group-commit.ts): a burst of state reports in one
 * turn of the event loop costs one `updateTasks` transaction instead of one commit per report.
 */
import type { TaskRecord } from '../../api/task-types.ts';
import { GroupCommit } from '../store/group-commit.ts';
import type { Store } from '../store/store.ts';
import { taskKey } from './task-view.ts';

export class TaskWriter extends GroupCommit<TaskRecord> {
  /** `windowMs`: how long a write may wait for company (0 = the next turn of the event loop). */
  constructor(store: Store, windowMs = 0) {
    super((records) => store.updateTasks(records), (record) => taskKey(record.sourceAppName, record.taskId), windowMs);
  }
}
