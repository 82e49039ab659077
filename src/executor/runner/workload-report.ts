/** What the controller is told about a workload: its record as the channel's task or instance report (src/api/channel-protocol.ts). */
import type { InstanceReport, TaskReport } from '../../api/channel-protocol.ts';
import type { InstanceState } from '../../api/app-types.ts';
import type { TaskState } from '../../api/task-types.ts';
import type { WorkloadRecord } from '../state/workload-record.ts';
import { appIdOf, appSpecOf, taskSpecOf } from '../state/workload-record.ts';

export function reportOf(record: WorkloadRecord): TaskReport | InstanceReport {
  return record.kind === 'task' ? taskReportOf(record) : instanceReportOf(record);
}

export function taskReportOf(record: WorkloadRecord): TaskReport {
  const spec = taskSpecOf(record);
  const report: TaskReport = {
    instanceId: record.instanceId,
    sourceAppName: spec.sourceAppName,
    taskId: spec.taskId,
    state: record.state as TaskState,
    errorMessage: record.errorMessage,
    events: [...record.events],
    updated: record.updated,
  };
  if (record.taskResult) report.taskResult = { ...record.taskResult };
  return report;
}

export function instanceReportOf(record: WorkloadRecord): InstanceReport {
  const spec = appSpecOf(record);
  const report: InstanceReport = {
    instanceId: record.instanceId,
    appId: appIdOf(record),
    appName: spec.name,
    state: record.state as InstanceState,
    errorMessage: record.errorMessage,
    events: [...record.events],
    updated: record.updated,
  };
  if (record.localInfo) report.localInfo = record.localInfo;
  if (record.localService) report.localService = true;
  return report;
}
