/**
 * The driver interface every workload runs through (ARCHITECTURE.md, "Executor runner").
 * Implementations: process/ (always available), docker/ (Docker Engine API, also Podman),
 * mock/ (configured run time and exit code, for `corral sim`, tests and benchmarks).
 *
 * A driver knows nothing about tasks vs instances or about the controller; the runner and
 * its hooks do. Every long-running call takes an AbortSignal. Handles are plain JSON
 * (`DriverHandle.state`) so the runner can persist them and a restarted executor can
 * `recover` the workload with them.
 */
import type { Allocation } from '../../api/resource-types.ts';
import type { DeviceSpec, ExecutableType, Executable, LoggingSpec, MountedVolume, PortType, UserSpec } from '../../api/spec-types.ts';

export interface PortBinding {
  name: string;
  containerPort: number;
  hostPort: number;
  type: PortType;
}

export interface WorkloadStartSpec {
  kind: 'task' | 'instance';
  instanceId: string;
  /** appId for instances, sourceAppName for tasks (used in labels and logs). */
  ownerId: string;
  executable: Executable;
  args: string[];
  /** Complete environment for the workload (Drove's injected variables + spec env). */
  env: Record<string, string>;
  /** The workload's own directory on the host (process driver: its working directory). */
  workDir: string;
  /** Directory where `output.log` and its rotated siblings live. */
  logDir: string;
  /** Config files already written under `workDir/configs` keyed by the path the spec asked for. */
  configFiles: { localFilename: string; hostPath: string }[];
  allocation: Allocation;
  ports: PortBinding[];
  volumes: MountedVolume[];
  /** Drove `devices` (§6.13); the docker driver maps them, the process driver refuses them. */
  devices?: DeviceSpec[];
  userSpec?: UserSpec;
  logging?: LoggingSpec;
  /** Extra labels (docker) that let a restarted executor find its workloads. */
  labels: Record<string, string>;
}

export interface DriverHandle {
  driver: ExecutableType;
  /** JSON-serialisable state the driver needs to find the workload again (pid, container id …). */
  state: Record<string, string | number>;
}

export interface ExitResult {
  /** Exit code; -1 when unknown (vanished while the executor was away, or never started). */
  exitCode: number;
  /** Signal name when it was killed by a signal. */
  signal?: string;
  /** Set when the exit status could not be learned honestly. */
  error?: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export interface Driver {
  readonly type: ExecutableType;
  /** Whether this driver can run work on this machine (docker: the engine answers). */
  available(): Promise<boolean>;
  /** PROVISIONING: e.g. pull the image within its pull timeout. Throws with a readable message. */
  prepare(spec: WorkloadStartSpec, signal: AbortSignal): Promise<void>;
  /** STARTING: starts the workload and returns a persisted handle. Throws with a readable message. */
  start(spec: WorkloadStartSpec, signal: AbortSignal): Promise<DriverHandle>;
  /** Resolves when the workload has exited (and its process group / container is gone). */
  wait(handle: DriverHandle, signal: AbortSignal): Promise<ExitResult>;
  /** Graceful stop: SIGTERM (or container stop), wait up to `timeoutMs`, then SIGKILL. Resolves when really gone. */
  stop(handle: DriverHandle, timeoutMs: number): Promise<void>;
  /** Force: SIGKILL now. Resolves when really gone. */
  kill(handle: DriverHandle): Promise<void>;
  /** Releases what the workload held (removes the container, …). Idempotent. */
  destroy(handle: DriverHandle): Promise<void>;
  /** Re-attaches after an executor restart; undefined when the workload is gone without a trace. */
  recover(handle: DriverHandle): Promise<DriverHandle | undefined>;
  /** Runs a command inside the workload's environment (CMD checks, preShutdown hooks). */
  exec(handle: DriverHandle, command: string[], timeoutMs: number, env?: Record<string, string>): Promise<ExecResult>;
}
