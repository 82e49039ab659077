/**
 * The wire view of a task record: TaskInfo (docs/api.md §3.7) with its always-present fields,
 * as `GET /tasks/{app}/instances/{task}` and the executor details serve it.
 */
import type { TaskInfo, TaskRecord } from './task-types.ts';
import { renderExecutable, renderLoggingSpec } from './validation/index.ts';

/** TaskRecord → TaskInfo. `hostname`, `executable`, `volumes`, `metadata`, `errorMessage` always present. */
export function toTaskInfo(record: TaskRecord): TaskInfo {
  const loggingSpec = renderLoggingSpec(record.spec.logging);
  const info: TaskInfo & { logging?: unknown } = {
    sourceAppName: record.sourceAppName,
    taskId: record.taskId,
    instanceId: record.instanceId,
    executorId: record.executorId,
    hostname: record.hostname,
    executable: renderExecutable(record.spec.executable),
    resources: record.resources,
    volumes: record.spec.volumes ?? [],
    loggingSpec,
    // one well-known client reads `logging` instead of `loggingSpec` (docs/api.md §10 #13)
    logging: loggingSpec,
    env: record.spec.env,
    state: record.state,
    metadata: record.metadata,
    taskResult: record.taskResult,
    errorMessage: record.errorMessage,
    created: record.created,
    updated: record.updated,
    createdBy: record.createdBy,
    terminatedBy: record.terminatedBy,
    parentTaskId: record.parentTaskId,
    subtaskIds: record.subtaskIds,
    result: record.result,
    events: record.events,
  };
  return info;
}
