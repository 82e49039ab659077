/** The spec handed to the driver: a workload record's spec plus what its prestart hooks produced. */
import type { ApplicationSpec } from '../../api/app-types.ts';
import type { TaskSpec } from '../../api/task-types.ts';
import type { WorkloadStartSpec } from '../drivers/driver.ts';
import type { WorkloadRecord } from '../state/workload-record.ts';
import { appIdOf } from '../state/workload-record.ts';
import type { WorkloadPaths } from '../state/workload-store.ts';

export function startSpecOf(record: WorkloadRecord, paths: WorkloadPaths, executorId: string): WorkloadStartSpec {
  const spec = record.spec as TaskSpec & ApplicationSpec;
  const ownerId = record.kind === 'task' ? spec.sourceAppName : appIdOf(record);
  return {
    kind: record.kind,
    instanceId: record.instanceId,
    ownerId,
    executable: spec.executable,
    args: spec.args ?? [],
    env: record.prepared.env,
    workDir: paths.taskDir,
    logDir: paths.logDir,
    configFiles: record.prepared.configFiles,
    allocation: record.allocation,
    ports: record.prepared.ports,
    volumes: spec.volumes ?? [],
    devices: spec.devices ?? [],
    userSpec: spec.userSpec,
    logging: spec.logging,
    labels: {
      'corral.instance-id': record.instanceId,
      'corral.kind': record.kind,
      'corral.owner': ownerId,
      'corral.executor-id': executorId,
    },
  };
}
