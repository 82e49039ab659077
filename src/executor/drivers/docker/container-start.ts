/**
 * Creating and starting one container for a workload: a leftover of an interrupted earlier
 * attempt with the instance's name is replaced, and a failed start leaves no container behind.
 */
import type Docker from 'dockerode';
import type { Logger } from '../../../common/logger.ts';
import type { WorkloadStartSpec } from '../driver.ts';
import { buildCreateOptions, imageOf, type BuildOptions } from './container-config.ts';
import { refuseDroppedDeviceRequests } from './container-devices.ts';
import { DockerDriverError, engineMessage, engineStatus, isNotFound } from './docker-errors.ts';

/** Creates and starts; on any failure removes what it created and throws a readable error. */
export async function createAndStartContainer(docker: Docker, spec: WorkloadStartSpec, build: BuildOptions, logger: Logger): Promise<Docker.Container> {
  const options = buildCreateOptions(spec, build);
  let container: Docker.Container;
  try {
    container = await docker.createContainer(options);
  } catch (error) {
    if (!isNameConflict(error)) throw createError(spec, error);
    // Left over by an interrupted earlier attempt of this very instance: replace it.
    logger.warn({ instanceId: spec.instanceId, name: options.name }, 'removing a leftover container with this instance\'s name');
    await docker.getContainer(options.name!).remove({ force: true }).catch(() => undefined);
    try {
      container = await docker.createContainer(options);
    } catch (retryError) {
      throw createError(spec, retryError);
    }
  }
  try {
    await refuseDroppedDeviceRequests(container, options, spec.instanceId);
    await container.start();
    return container;
  } catch (error) {
    await container.remove({ force: true }).catch((removeError: unknown) => {
      logger.warn({ err: removeError, containerId: container.id }, 'could not remove a container that failed to start');
    });
    if (error instanceof DockerDriverError) throw error;
    const message = engineMessage(error);
    if (build.pinCpus && /cpuset|cpus/i.test(message)) throw error;
    if (/address already in use|port is already allocated/i.test(message)) {
      const ports = spec.ports.map((p) => `${p.hostPort} (${p.name})`).join(', ');
      throw new DockerDriverError('CONTAINER_START_FAILED', `could not start container for ${spec.instanceId}: a host port is already in use [host ports ${ports}]: ${message}`);
    }
    throw new DockerDriverError('CONTAINER_START_FAILED', `could not start container for ${spec.instanceId} from image ${imageOf(spec)}: ${message}`);
  }
}

function createError(spec: WorkloadStartSpec, error: unknown): Error {
  const message = engineMessage(error);
  if (/cpuset|cpus/i.test(message)) return error as Error;
  if (isNotFound(error)) {
    return new DockerDriverError('CONTAINER_CREATE_FAILED', `could not create container for ${spec.instanceId}: image ${imageOf(spec)} is not on this executor (was it prepared?): ${message}`);
  }
  return new DockerDriverError('CONTAINER_CREATE_FAILED', `could not create container for ${spec.instanceId} from image ${imageOf(spec)}: ${message}`);
}

function isNameConflict(error: unknown): boolean {
  return engineStatus(error) === 409 || /name .* is already in use/i.test(engineMessage(error));
}
