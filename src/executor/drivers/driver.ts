/**
 * The driver interface every workload runs through (src/executor/README.md, "Layout").
 * Implementations: process/ (always available), docker/ (Docker Engine API, also Podman),
 * mock/ (configured run time and exit code, for `corral sim`, tests and benchmarks).
 *
 * A driver knows nothing about tasks vs instances or about the controller; the runner and
 * its hooks do. Every long-running call takes an AbortSignal. Handles are plain JSON
 * (`DriverHandle.state`) so the runner can persist them and a restarted executor can
 * `recover` the workload with them.
 */
import type { Allocation, ResourceUsage } from '../../api/resource-types.ts';
import type { DeviceSpec, ExecutableType, Executable, LoggingSpec, MountedVolume, UserSpec } from '../../api/spec-types.ts';
import type { ConfigFile, DriverHandle, ExitResult, PortBinding } from '../state/driver-state.ts';

// The persisted shapes are the state module's (see there); drivers produce and consume them.
export type { ConfigFile, DriverHandle, ExitResult, PortBinding };

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
  /** Config files already written into `workDir`, with the path the spec asked for. */
  configFiles: ConfigFile[];
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

export interface ExecResult {
  exitCode: number;
  output: string;
}

/** A driver's `exec` bound to one started workload, as hooks and check probes get it. */
export interface WorkloadExec {
  /** The driver only simulates workloads (`capabilities.simulated`): every check mode is answered by `exec`. */
  readonly simulated: boolean;
  exec(command: string[], timeoutMs: number, env?: Record<string, string>): Promise<ExecResult>;
}

/** `driver.exec` bound to `handle`. */
export function execIn(driver: Driver, handle: DriverHandle): WorkloadExec {
  return {
    simulated: driver.capabilities.simulated,
    exec: (command, timeoutMs, env) => driver.exec(handle, command, timeoutMs, env),
  };
}

/**
 * What a driver can do beyond the shared interface, declared as data (as Nomad's
 * `DriverPlugin.Capabilities()`): the runner, the hooks and the agent branch on these flags and
 * never probe a driver's methods or class. The table of which driver declares what is in
 * src/executor/README.md ("Driver capabilities").
 */
export interface DriverCapabilities {
  /**
   * Nothing real runs (mock): no process, no socket, no container. Hooks skip what only real
   * workloads need (bound host ports, log rotation and shipping, directories of an ephemeral
   * executor), and every check mode — HTTP included — is answered by `exec`.
   */
  readonly simulated: boolean;
  /**
   * The exit status stays readable through `recover` + `wait` even after `destroy` (process: the
   * exit log outlives it; mock: the handle recomputes it), so the runner need not write the
   * exit to disk before cleanup: one journal write less per task.
   */
  readonly durableExit: boolean;
  /**
   * `start` creates the spec's `workDir` and `logDir` itself (process: in its spawn helper, off
   * the executor's event loop), so the task-dir hook creates them only when something must be
   * put there before the start.
   */
  readonly createsDirectories: boolean;
  /**
   * The driver implements `adopt`: it can find a workload started for a spec whose handle was
   * never saved (the executor died between the start and saving the handle). Without it such
   * a start is reported as failed ("its start could not be confirmed").
   */
  readonly adopt: boolean;
  /** The driver implements `cleanUp`: it keeps files for workloads beyond their own directories (process: exit logs). */
  readonly cleanUp: boolean;
  /**
   * The driver implements `reapOrphans`: it can list what it started for this executor from its
   * own inventory (docker: container labels) and remove what nobody knows about.
   */
  readonly reapOrphans: boolean;
  /** The driver implements `stats`: what a running workload uses (process: its cgroup; docker: the engine's stats). */
  readonly stats: boolean;
  /**
   * Which parts of the workload's `Allocation` the driver enforces: docker pins cores when the
   * engine supports cpusets and limits memory; the process driver does both when the executor
   * found writable cgroups (src/executor/host/cgroups/README.md).
   */
  readonly enforces: {
    /** Pins the workload to its allocated cores. */
    readonly cores: boolean;
    /** Limits the workload's memory to its allocated megabytes. */
    readonly memory: boolean;
  };
}

/** A driver that declares no optional ability. */
export const NO_CAPABILITIES: DriverCapabilities = Object.freeze({
  simulated: false, durableExit: false, createsDirectories: false, adopt: false, cleanUp: false, reapOrphans: false, stats: false,
  enforces: Object.freeze({ cores: false, memory: false }),
});

export interface Driver {
  readonly type: ExecutableType;
  /** What this driver can do beyond this interface; the optional methods below exist exactly when declared here. */
  readonly capabilities: DriverCapabilities;
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
  /** Lets go of what the driver holds in this process (timers, connections); workloads keep running. */
  close(): void | Promise<void>;
  /** Declared by `capabilities.adopt`: the workload started for `spec` whose handle was never saved, or undefined when nothing was started. */
  adopt?(spec: WorkloadStartSpec): Promise<DriverHandle | undefined>;
  /** Declared by `capabilities.cleanUp`: removes what no handle in `live` needs and nothing touched for `maxAgeMs`; returns how many. */
  cleanUp?(live: DriverHandle[], maxAgeMs: number, now: number): Promise<number>;
  /** Declared by `capabilities.reapOrphans`: removes workloads this executor started whose instance id is not known; returns those ids. */
  reapOrphans?(knownInstanceIds: Set<string>): Promise<string[]>;
  /** Declared by `capabilities.stats`: what the workload uses now; undefined when it cannot say (gone, unconfined). */
  stats?(handle: DriverHandle): Promise<DriverUsage | undefined>;
}

/** A driver's sample of a workload: the ResourceUsage before the executor adds the CPU rate and time. */
export type DriverUsage = Omit<ResourceUsage, 'cpuPercent' | 'sampledAt'>;

/** The optional operations of a driver, each declared by the capability of the same name. */
export type OptionalDriverOperation = 'adopt' | 'cleanUp' | 'reapOrphans' | 'stats';

/**
 * Whether `driver` declares the optional `operation`: read from its capabilities, never from
 * its methods, so the declaration is the one place that says what a driver can do.
 */
export function offers<K extends OptionalDriverOperation>(driver: Driver, operation: K): driver is Driver & Required<Pick<Driver, K>> {
  return driver.capabilities[operation];
}
