/**
 * Finding corral's containers on the engine from their labels alone: what a restarted executor
 * can recover (`listManaged`) and what nobody knows any more (`reapOrphans`).
 */
import type Docker from 'dockerode';
import type { Logger } from '../../../common/logger.ts';
import type { DriverHandle } from '../driver.ts';
import { LABELS, type ContainerRecord } from './container-config.ts';
import { engineMessage, isNotFound } from './docker-errors.ts';

/** A corral container found on the engine by its labels. */
export interface ManagedContainer {
  instanceId: string;
  kind: 'task' | 'instance';
  ownerId: string;
  running: boolean;
  handle: DriverHandle;
}

/** The recovery record stored in the `corral.spec` label, if it is there and sound. */
export function parseRecord(labels: Record<string, string>): ContainerRecord | undefined {
  try {
    const record = JSON.parse(labels[LABELS.spec] ?? '') as ContainerRecord;
    return typeof record.instanceId === 'string' && typeof record.logDir === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** A record rebuilt from a persisted handle, for containers whose labels lack one. */
export function recordFromHandle(handle: DriverHandle): ContainerRecord | undefined {
  const s = handle.state;
  if (typeof s.instanceId !== 'string' || typeof s.logDir !== 'string') return undefined;
  return { kind: 'instance', instanceId: s.instanceId, ownerId: '', image: String(s.image ?? ''), workDir: String(s.workDir ?? ''), logDir: s.logDir, ports: [] };
}

function labelFilter(executorId: string) {
  return { label: [`${LABELS.managed}=true`, `${LABELS.executorId}=${executorId}`] };
}

export async function listManagedContainers(
  docker: Docker,
  executorId: string,
  handleFor: (containerId: string, record: ContainerRecord) => DriverHandle,
): Promise<ManagedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: labelFilter(executorId) });
  const found: ManagedContainer[] = [];
  for (const summary of list) {
    const record = parseRecord(summary.Labels ?? {});
    if (!record) continue;
    found.push({ instanceId: record.instanceId, kind: record.kind, ownerId: record.ownerId, running: summary.State === 'running', handle: handleFor(summary.Id, record) });
  }
  return found;
}

/**
 * Removes (forcibly) this executor's containers whose instance id is not in `known`; calls
 * `beforeRemove` first so log following stops cleanly. Returns the instance ids removed.
 */
export async function reapOrphanContainers(
  docker: Docker,
  executorId: string,
  known: Set<string>,
  logger: Logger,
  beforeRemove: (containerId: string) => Promise<void>,
): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: labelFilter(executorId) });
  const reaped: string[] = [];
  for (const summary of list) {
    const instanceId = summary.Labels?.[LABELS.instanceId] ?? '';
    if (known.has(instanceId)) continue;
    await beforeRemove(summary.Id);
    try {
      await docker.getContainer(summary.Id).remove({ force: true, v: true });
    } catch (error) {
      if (!isNotFound(error)) {
        logger.warn({ instanceId, containerId: summary.Id.slice(0, 12), reason: engineMessage(error) }, 'could not reap orphaned container');
        continue;
      }
    }
    logger.info({ instanceId, containerId: summary.Id.slice(0, 12) }, 'orphaned container reaped');
    reaped.push(instanceId);
  }
  return reaped;
}
