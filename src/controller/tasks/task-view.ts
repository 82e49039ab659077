/**
 * How a task record looks from outside: the TASK_STATE_CHANGE event metadata (docs/api.md
 * §4.8.4; the wire TaskInfo is src/api/task-info.ts). Also the small identity helpers the task
 * files share.
 */
import type { TaskRecord, TaskState } from '../../api/task-types.ts';
import { TERMINAL_TASK_STATES } from '../../api/task-types.ts';
import type { Executable } from '../../api/spec-types.ts';

/** In-memory key of a task: the client's pair. */
export function taskKey(sourceAppName: string, taskId: string): string {
  return `${sourceAppName}/${taskId}`;
}

/** Every state that is not terminal (the active ones plus PROVISIONING_FAILED, RUN_FAILED, UNKNOWN). */
export const NON_TERMINAL_TASK_STATES: TaskState[] = [
  'PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'RUNNING', 'RUN_COMPLETED', 'RUN_FAILED', 'DEPROVISIONING', 'UNKNOWN',
];

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

/** What the EXECUTABLE event key shows: the image for DOCKER, the command for PROCESS. */
export function executableLabel(executable: Executable): string {
  return executable.type === 'DOCKER' ? executable.url : executable.command;
}

/** TASK_STATE_CHANGE metadata (§4.8.4); keys that do not apply are left out. */
export function taskEventMetadata(record: TaskRecord): Record<string, string | number> {
  const metadata: Record<string, string | number> = {
    APP_NAME: record.sourceAppName,
    TASK_ID: record.taskId,
    INSTANCE_ID: record.instanceId,
    EXECUTABLE: executableLabel(record.spec.executable),
    CURRENT_STATE: record.state,
    CREATED: record.created,
  };
  if (record.executorId) metadata.EXECUTOR_ID = record.executorId;
  if (record.hostname) metadata.EXECUTOR_HOST = record.hostname;
  if (record.errorMessage) metadata.ERROR = record.errorMessage;
  if (record.taskResult) {
    metadata.RESULT_STATUS = record.taskResult.status;
    metadata.RESULT_EXIT_CODE = record.taskResult.exitCode;
  }
  return metadata;
}

/** Subtask id for a fanned-out task on a node: `{taskId}-{node name}` reduced to `[A-Za-z0-9_-]`. */
export function subtaskIdFor(taskId: string, nodeName: string): string {
  return `${taskId}-${nodeName.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
