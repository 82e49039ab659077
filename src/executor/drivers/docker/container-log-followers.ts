/**
 * The driver's log followers, one per container it started or recovered: each copies the
 * container's output into its log directory until the container is destroyed or the executor
 * shuts down.
 */
import type Docker from 'dockerode';
import type { Logger } from '../../../common/logger.ts';
import { ContainerLogFollower } from './container-log-follower.ts';

/** How long wait()/destroy() give the log follower to copy a finished container's last lines. */
const LOG_DRAIN_MS = 5_000;
/** How long the engine gets to end a finished container's log stream by itself. */
const LOG_STREAM_GRACE_MS = 500;

export class ContainerLogFollowers {
  private readonly followers = new Map<string, ContainerLogFollower>();
  private readonly logger: Logger;
  /** How often each follower saves its log cursor (undefined: the follower's default). */
  private readonly flushIntervalMs: number | undefined;

  constructor(logger: Logger, flushIntervalMs: number | undefined) {
    this.logger = logger;
    this.flushIntervalMs = flushIntervalMs;
  }

  /** Starts following a container's logs, unless they are followed already. */
  follow(docker: Docker, containerId: string, logDir: string): void {
    const current = this.followers.get(containerId);
    if (current) return;
    const follower = new ContainerLogFollower({ docker, containerId, logDir, logger: this.logger, flushIntervalMs: this.flushIntervalMs });
    this.followers.set(containerId, follower);
    follower.start();
  }

  /** Waits (a bounded time) for the last lines of a container that has exited. */
  async drain(containerId: string): Promise<void> {
    const follower = this.followers.get(containerId);
    if (!follower) return;
    follower.containerExited(LOG_STREAM_GRACE_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), LOG_DRAIN_MS)));
    const outcome = await Promise.race([follower.done, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ containerId: containerId.slice(0, 12) }, `log copy did not finish within ${LOG_DRAIN_MS} ms of the container's exit`);
  }

  /** Stops following one container (it is being removed). */
  async release(containerId: string): Promise<void> {
    const follower = this.followers.get(containerId);
    this.followers.delete(containerId);
    await follower?.stop();
  }

  /** Stops following every container (executor shutdown); the containers keep running. */
  async releaseAll(): Promise<void> {
    const followers = [...this.followers.values()];
    this.followers.clear();
    await Promise.all(followers.map((f) => f.stop()));
  }
}
