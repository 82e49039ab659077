/** The docker driver's persisted handle and exit results. */
import { constants as osConstants } from 'node:os';
import type { DriverHandle, ExitResult } from '../driver.ts';
import { containerName, type ContainerRecord } from './container-config.ts';
import { DockerDriverError } from './docker-errors.ts';

const SIGNAL_NAMES = new Map<number, string>(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

/** Plain JSON the runner persists: enough to find the container and its log directory again. */
export function handleFor(containerId: string, record: ContainerRecord): DriverHandle {
  return {
    driver: 'DOCKER',
    state: {
      containerId,
      name: containerName(record.instanceId),
      instanceId: record.instanceId,
      image: record.image,
      workDir: record.workDir,
      logDir: record.logDir,
    },
  };
}

export function containerIdOf(handle: DriverHandle): string {
  const id = handle.state.containerId;
  if (typeof id !== 'string' || id === '') throw new DockerDriverError('INVALID_SPEC', 'docker handle has no containerId');
  return id;
}

/** Docker reports death by signal N as exit code 128+N. */
export function exitResult(exitCode: number): ExitResult {
  const signal = exitCode > 128 ? SIGNAL_NAMES.get(exitCode - 128) : undefined;
  return signal ? { exitCode, signal } : { exitCode };
}
