/**
 * PROVISIONING for docker workloads: use the image if the engine has it, else pull it within
 * the spec's `dockerPullTimeout`. Errors name the image and the engine's reason.
 */
import type Docker from 'dockerode';
import { longTimeoutSignal } from '../../../common/long-timer.ts';
import type { Logger } from '../../../common/logger.ts';
import { abortError } from '../../abortable-wait.ts';
import { DockerDriverError, engineMessage, isNotFound } from './docker-errors.ts';

/** One line of the engine's pull progress stream. */
interface PullEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

export async function imagePresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function formatMillis(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} seconds` : `${ms} ms`;
}

/**
 * Makes `image` present on the engine. Rejects with IMAGE_PULL_TIMEOUT after `timeoutMs`,
 * IMAGE_PULL_FAILED when the engine reports an error, or an AbortError when `signal` aborts.
 */
export async function ensureImage(docker: Docker, image: string, timeoutMs: number, signal: AbortSignal, logger: Logger): Promise<void> {
  if (signal.aborted) throw abortError(signal);
  if (await imagePresent(docker, image)) {
    logger.debug({ image }, 'image present, no pull needed');
    return;
  }
  // Not AbortSignal.timeout: a dockerPullTimeout past 24.8 days would fire at once.
  const pullDeadline = longTimeoutSignal(Math.max(1, timeoutMs), () => new Error('pull timed out'));
  const timeout = pullDeadline.signal;
  const combined = AbortSignal.any([signal, timeout]);
  const started = performance.now();
  logger.info({ image, timeoutMs }, 'pulling image');
  try {
    const stream = (await docker.pull(image, { abortSignal: combined })) as NodeJS.ReadableStream;
    const failure = await followPull(docker, stream, combined);
    if (failure) throw new DockerDriverError('IMAGE_PULL_FAILED', `could not pull image ${image}: ${failure}`);
  } catch (error) {
    if (error instanceof DockerDriverError) throw error;
    if (signal.aborted) throw abortError(signal);
    if (timeout.aborted) {
      throw new DockerDriverError('IMAGE_PULL_TIMEOUT', `pulling image ${image} did not finish within its dockerPullTimeout of ${formatMillis(timeoutMs)}`);
    }
    throw new DockerDriverError('IMAGE_PULL_FAILED', `could not pull image ${image}: ${engineMessage(error)}`);
  } finally {
    pullDeadline.dispose();
  }
  // Some engines end a failed pull without an error event; trust only what is there now.
  if (!(await imagePresent(docker, image))) {
    throw new DockerDriverError('IMAGE_PULL_FAILED', `could not pull image ${image}: the engine finished the pull but has no such image`);
  }
  logger.info({ image, ms: Math.round(performance.now() - started) }, 'image pulled');
}

/** Resolves with the engine's error message (if any) once the progress stream ends. */
function followPull(docker: Docker, stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    const onAbort = () => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(abortError(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        signal.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(failure);
      },
      (event: PullEvent) => {
        const message = event.errorDetail?.message ?? event.error;
        if (message) failure = message;
      },
    );
  });
}
