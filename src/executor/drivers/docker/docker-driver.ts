/**
 * The docker driver: runs DOCKER workloads as containers through the Docker Engine API
 * (Docker itself or Podman's compatible service), via dockerode.
 *
 *   prepare: image present? ──no──▶ pull within dockerPullTimeout
 *   start:   validate ─▶ create (labels, limits, ports, binds) ─▶ start ─▶ follow logs ─▶ handle
 *   running ──stop(t)/kill──▶ exited ──wait()──▶ real exit code ──destroy()──▶ removed
 *   executor restart: recover(handle) re-attaches (running or exited) and resumes the logs
 *
 * A failed start leaves no container behind. The handle (`state.containerId`, name, paths) is
 * plain JSON; the containers' labels carry the same facts, so `listManaged()` and
 * `reapOrphans()` work from the engine alone.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { durationMillis } from '../../../common/durations.ts';
import { createLogger, type Logger } from '../../../common/logger.ts';
import type { Allocation } from '../../../api/resource-types.ts';
import type { HostPlacement } from '../../host/resource-plan.ts';
import type { Driver, DriverCapabilities, DriverHandle, DriverUsage, ExecResult, ExitResult, WorkloadStartSpec } from '../driver.ts';
import { LABELS, containerRecord, imageOf, validateStartSpec } from './container-config.ts';
import { containerIdOf, exitResult, handleFor } from './container-handle.ts';
import { execInContainer } from './container-exec.ts';
import { containerUsage } from './container-stats.ts';
import { CURSOR_FILE } from './container-log-follower.ts';
import { ContainerLogFollowers } from './container-log-followers.ts';
import { createAndStartContainer } from './container-start.ts';
import { CpusetSupport } from './cpuset-support.ts';
import { createDockerClient, isLocalEndpoint, resolveDockerEndpoint, type DockerEndpoint } from './docker-endpoint.ts';
import { abortError, pause } from '../../abortable-wait.ts';
import { DockerDriverError, engineMessage, engineStatus, isNotFound } from './docker-errors.ts';
import { ensureImage } from './image-puller.ts';
import { listManagedContainers, parseRecord, reapOrphanContainers, recordFromHandle, type ManagedContainer } from './container-inventory.ts';

export { LABELS } from './container-config.ts';
export { DockerDriverError } from './docker-errors.ts';
export type { ManagedContainer } from './container-inventory.ts';

export interface DockerDriverOptions {
  /** Engine location (DOCKER_HOST grammar). Default: DOCKER_HOST, docker.sock, podman.sock. */
  dockerHost?: string;
  /** Labels containers `corral.executor-id`; required by `reapOrphans` and `listManaged`. */
  executorId?: string;
  /** Keep images after destroy (default true); false removes the image with its container. */
  cacheImages?: boolean;
  logger?: Logger;
  /** How long `available()` waits for the engine (default 2000 ms). */
  pingTimeoutMs?: number;
  /** How often the log cursor is saved (default 500 ms). */
  logCursorFlushMs?: number;
  /** Where an allocation lands on this host (the executor's resource plan); default: its own cores and node. */
  placement?: (allocation: Allocation) => HostPlacement;
}

/** Drove's fallback when an executable carries no pull timeout. */
const DEFAULT_PULL_TIMEOUT_MS = 15 * 60_000;
/** Pause before asking an engine that did not answer (or a container still running) again. */
const ENGINE_RETRY_MS = 1_000;

export class DockerDriver implements Driver {
  readonly type = 'DOCKER' as const;
  readonly capabilities: DriverCapabilities = Object.freeze({
    simulated: false,
    durableExit: false, // `destroy` removes the container, and its exit code with it
    createsDirectories: false,
    // Not yet: such a start is failed, and its container reaped at the first welcome after it is forgotten.
    adopt: false,
    cleanUp: false,
    reapOrphans: true,
    stats: true,
    // CpusetCpus + CpusetMems when the engine supports cpusets (else unpinned, logged); Memory = MemorySwap.
    enforces: Object.freeze({ cores: true, memory: true }),
  });
  private readonly options: DockerDriverOptions;
  private readonly logger: Logger;
  private endpoint: DockerEndpoint;
  private docker: Docker;
  private readonly followers: ContainerLogFollowers;
  private readonly cpusets: CpusetSupport;

  constructor(options: DockerDriverOptions = {}) {
    this.options = options;
    this.logger = options.logger ?? createLogger('docker-driver');
    this.endpoint = resolveDockerEndpoint({ dockerHost: options.dockerHost });
    this.docker = createDockerClient(this.endpoint);
    this.followers = new ContainerLogFollowers(this.logger, options.logCursorFlushMs);
    this.cpusets = new CpusetSupport(this.logger);
  }

  /** Where this driver talks to the engine. */
  get engineLocation(): string {
    return this.endpoint.description;
  }

  async available(): Promise<boolean> {
    if (await this.ping()) return true;
    // The socket may have appeared since (e.g. the Podman service started after us).
    if (!this.options.dockerHost && !process.env.DOCKER_HOST) {
      const endpoint = resolveDockerEndpoint();
      if (endpoint.description !== this.endpoint.description) {
        this.endpoint = endpoint;
        this.docker = createDockerClient(endpoint);
        return this.ping();
      }
    }
    return false;
  }

  private async ping(): Promise<boolean> {
    try {
      // dockerode's ping takes an abortSignal; its type definitions do not say so.
      const ping = this.docker.ping.bind(this.docker) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
      await ping({ abortSignal: AbortSignal.timeout(this.options.pingTimeoutMs ?? 2_000) });
      return true;
    } catch (error) {
      this.logger.debug({ err: error, engine: this.endpoint.description }, 'docker engine does not answer');
      return false;
    }
  }

  async prepare(spec: WorkloadStartSpec, signal: AbortSignal): Promise<void> {
    const image = imageOf(spec);
    const budget = spec.executable.type === 'DOCKER' && spec.executable.dockerPullTimeout ? durationMillis(spec.executable.dockerPullTimeout) : 0;
    try {
      await ensureImage(this.docker, image, budget > 0 ? budget : DEFAULT_PULL_TIMEOUT_MS, signal, this.logger);
    } catch (error) {
      if (error instanceof DockerDriverError || signal.aborted) throw error;
      throw new DockerDriverError('IMAGE_PULL_FAILED', `could not look up image ${image} on ${this.endpoint.description}: ${engineMessage(error)}`);
    }
  }

  async start(spec: WorkloadStartSpec, signal: AbortSignal): Promise<DriverHandle> {
    await validateStartSpec(spec);
    if (signal.aborted) throw abortError(signal);
    const pin = spec.allocation.cores.length > 0 && (await this.cpusets.usable(this.docker, this.endpoint.description));
    let container: Docker.Container;
    try {
      container = await this.createAndStart(spec, pin);
    } catch (error) {
      if (pin && /cpuset|cpus/i.test(engineMessage(error))) {
        this.cpusets.noteFailure(spec, error);
        container = await this.createAndStart(spec, false);
      } else {
        throw error;
      }
    }
    if (signal.aborted) {
      await container.remove({ force: true }).catch(() => undefined);
      throw abortError(signal);
    }
    const handle = handleFor(container.id, containerRecord(spec));
    this.followers.follow(this.docker, container.id, spec.logDir);
    this.logger.info({ instanceId: spec.instanceId, containerId: container.id.slice(0, 12), pinned: pin }, 'container started');
    return handle;
  }

  private createAndStart(spec: WorkloadStartSpec, pinCpus: boolean): Promise<Docker.Container> {
    const build = { executorId: this.options.executorId, pinCpus, placement: this.options.placement?.(spec.allocation) };
    return createAndStartContainer(this.docker, spec, build, this.logger);
  }

  async wait(handle: DriverHandle, signal: AbortSignal): Promise<ExitResult> {
    const id = containerIdOf(handle);
    const container = this.docker.getContainer(id);
    for (;;) {
      try {
        await container.wait({ abortSignal: signal });
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        if (!isNotFound(error)) this.logger.debug({ err: error, containerId: id }, 'container wait failed; inspecting instead');
      }
      let info: Docker.ContainerInspectInfo;
      try {
        info = await container.inspect();
      } catch (error) {
        if (isNotFound(error)) return { exitCode: -1, error: `container ${id.slice(0, 12)} disappeared before its exit code could be read` };
        // The engine is not answering (e.g. the Podman service restarts): the container may
        // well be running still, so keep waiting rather than report an exit that did not happen.
        this.logger.warn({ containerId: id.slice(0, 12), reason: engineMessage(error) }, 'engine unreachable while waiting for a container; retrying');
        await pause(ENGINE_RETRY_MS, signal);
        continue;
      }
      if (info.State.Running) {
        await pause(ENGINE_RETRY_MS, signal);
        continue;
      }
      await this.followers.drain(id);
      if (info.State.OOMKilled) {
        this.logger.warn({ containerId: id.slice(0, 12) }, 'container was killed for exceeding its memory limit');
        return { ...exitResult(info.State.ExitCode), oom: { limitMb: Math.round((info.HostConfig.Memory ?? 0) / 1048576) } };
      }
      return exitResult(info.State.ExitCode);
    }
  }

  async stop(handle: DriverHandle, timeoutMs: number): Promise<void> {
    const id = containerIdOf(handle);
    const seconds = Math.max(0, Math.ceil(timeoutMs / 1000));
    try {
      await this.docker.getContainer(id).stop({ t: seconds });
    } catch (error) {
      // 304: already stopped; 404: already gone.
      if (![304, 404].includes(engineStatus(error) ?? 0)) throw new DockerDriverError('CONTAINER_STOP_FAILED', `could not stop container ${id.slice(0, 12)}: ${engineMessage(error)}`);
    }
    await this.untilStopped(id);
  }

  async kill(handle: DriverHandle): Promise<void> {
    const id = containerIdOf(handle);
    try {
      await this.docker.getContainer(id).kill({ signal: 'SIGKILL' });
    } catch (error) {
      // 404: gone; 409: not running (Docker), 500 "can only kill running containers" (Podman).
      const status = engineStatus(error) ?? 0;
      if (!(status === 404 || status === 409 || /not running|can only kill running/i.test(engineMessage(error)))) {
        throw new DockerDriverError('CONTAINER_STOP_FAILED', `could not kill container ${id.slice(0, 12)}: ${engineMessage(error)}`);
      }
    }
    await this.untilStopped(id);
  }

  private async untilStopped(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).wait();
    } catch (error) {
      if (!isNotFound(error)) this.logger.debug({ err: error, containerId: id }, 'wait after stop failed');
    }
  }

  async destroy(handle: DriverHandle): Promise<void> {
    const id = containerIdOf(handle);
    // An exited container's last lines are still worth copying; a running one is about to go anyway.
    const running = await this.docker.getContainer(id).inspect().then((info) => info.State.Running, () => false);
    if (!running) await this.followers.drain(id);
    await this.followers.release(id);
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (!isNotFound(error)) throw new DockerDriverError('CONTAINER_REMOVE_FAILED', `could not remove container ${id.slice(0, 12)}: ${engineMessage(error)}`);
    }
    if (typeof handle.state.logDir === 'string') await rm(join(handle.state.logDir, CURSOR_FILE), { force: true });
    if (this.options.cacheImages === false && typeof handle.state.image === 'string') await this.removeImage(handle.state.image);
  }

  private async removeImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).remove();
      this.logger.info({ image }, 'image removed (image caching is off)');
    } catch (error) {
      // 404: already gone; 409 / "in use": other containers still use it, keep it.
      if (!isNotFound(error)) this.logger.info({ image, reason: engineMessage(error) }, 'image kept');
    }
  }

  async recover(handle: DriverHandle): Promise<DriverHandle | undefined> {
    const candidates = [handle.state.containerId, handle.state.name].filter((v): v is string => typeof v === 'string' && v !== '');
    for (const ref of candidates) {
      let info: Docker.ContainerInspectInfo;
      try {
        info = await this.docker.getContainer(ref).inspect();
      } catch (error) {
        if (isNotFound(error)) continue;
        throw new DockerDriverError('ENGINE_UNAVAILABLE', `could not look up container ${ref} on ${this.endpoint.description}: ${engineMessage(error)}`);
      }
      const labels = info.Config.Labels ?? {};
      if (handle.state.instanceId && labels[LABELS.instanceId] && labels[LABELS.instanceId] !== handle.state.instanceId) continue;
      const record = parseRecord(labels) ?? recordFromHandle(handle);
      if (!record) continue;
      this.followers.follow(this.docker, info.Id, record.logDir);
      this.logger.info({ instanceId: record.instanceId, containerId: info.Id.slice(0, 12), running: info.State.Running }, 'container recovered');
      return handleFor(info.Id, record);
    }
    return undefined;
  }

  async exec(handle: DriverHandle, command: string[], timeoutMs: number, env?: Record<string, string>): Promise<ExecResult> {
    return execInContainer({ docker: this.docker, containerId: containerIdOf(handle), command, timeoutMs, env, canSignalPids: isLocalEndpoint(this.endpoint) });
  }

  /** Every container labelled for this executor, with a handle `recover` accepts. */
  async listManaged(): Promise<ManagedContainer[]> {
    return listManagedContainers(this.docker, this.requireExecutorId('listManaged'), handleFor);
  }

  /** The engine's one-shot stats of the container (`capabilities.stats`); undefined when it is gone. */
  async stats(handle: DriverHandle): Promise<DriverUsage | undefined> {
    return containerUsage(this.docker.getContainer(containerIdOf(handle))).catch(() => undefined);
  }

  /**
   * Removes containers labelled for this executor whose instance id is not in `knownInstanceIds`
   * (what the agent and the controller know). Returns the instance ids removed.
   */
  async reapOrphans(knownInstanceIds: Set<string>): Promise<string[]> {
    return reapOrphanContainers(this.docker, this.requireExecutorId('reapOrphans'), knownInstanceIds, this.logger, (containerId) => this.followers.release(containerId));
  }

  /** Stops following logs (executor shutdown); containers keep running and can be recovered. */
  async close(): Promise<void> {
    await this.followers.releaseAll();
  }

  private requireExecutorId(operation: string): string {
    if (!this.options.executorId) {
      throw new DockerDriverError('REAPER_NOT_CONFIGURED', `${operation} needs the driver's executorId option (containers are matched by their corral.executor-id label)`);
    }
    return this.options.executorId;
  }
}
/** The runner loads the docker driver lazily through this factory. */
export function createDockerDriver(options?: DockerDriverOptions): DockerDriver {
  return new DockerDriver(options);
}
