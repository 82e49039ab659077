/**
 * The parts of a persisted workload record that drivers read or produce: the handle that finds
 * the workload again, how it exited, its host ports and config files. Defined here, with the
 * record, because they are written to disk and read back by later executors; the driver
 * interface (drivers/driver.ts) re-exports them rather than owning them, so the state module
 * depends on no driver (src/executor/README.md, "Layout").
 */
import type { ExecutableType, PortType } from '../../api/spec-types.ts';

/** A driver's handle on a workload, as persisted. */
export interface DriverHandle {
  driver: ExecutableType;
  /** JSON-serialisable state the driver needs to find the workload again (pid, container id …). */
  state: Record<string, string | number>;
}

/** How a workload ended. */
export interface ExitResult {
  /** Exit code; -1 when unknown (vanished while the executor was away, or never started). */
  exitCode: number;
  /** Signal name when it was killed by a signal. */
  signal?: string;
  /** Set when the exit status could not be learned honestly. */
  error?: string;
  /** The kernel's OOM killer ended it (or a process of it) for exceeding its memory limit. */
  oom?: { limitMb: number };
}

/** A host port given to one of an app instance's exposed ports. */
export interface PortBinding {
  name: string;
  containerPort: number;
  hostPort: number;
  type: PortType;
}

/** A config file the configs hook wrote into the task directory. */
export interface ConfigFile {
  /** The path the spec asked for (in the container, or inside the task directory for host processes). */
  localFilename: string;
  hostPath: string;
}
