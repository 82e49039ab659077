/**
 * Whether the engine can pin containers to cores (cpusets): asked of the engine once, and given
 * up on for good when the engine refuses a pinned container.
 */
import type Docker from 'dockerode';
import type { Logger } from '../../../common/logger.ts';
import type { WorkloadStartSpec } from '../driver.ts';
import { engineMessage } from './docker-errors.ts';

export class CpusetSupport {
  /** undefined = not probed yet. */
  private supported: boolean | undefined;
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  async usable(docker: Docker, engine: string): Promise<boolean> {
    if (this.supported === undefined) {
      try {
        const info = (await docker.info()) as { CpuSet?: boolean };
        // Docker reports CpuSet; Podman's compat API leaves it out (and supports it).
        this.supported = info.CpuSet !== false;
        if (!this.supported) this.logger.warn({ engine }, 'engine cannot pin cpus (no cpuset); containers run unpinned');
      } catch {
        return true;
      }
    }
    return this.supported;
  }

  /** A pinned start was refused: this one container, or every one from now on, runs unpinned. */
  noteFailure(spec: WorkloadStartSpec, error: unknown): void {
    const message = engineMessage(error);
    if (/not available/i.test(message)) {
      // The executor advertised cores this host does not have (sim/dev layouts): this one runs unpinned.
      this.logger.warn({ instanceId: spec.instanceId, cores: spec.allocation.cores, reason: message }, 'allocated cores are not on this host; container runs unpinned');
    } else {
      this.supported = false;
      this.logger.warn({ reason: message }, 'engine refused cpu pinning; containers run unpinned from now on');
    }
  }
}
