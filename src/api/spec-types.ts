/**
 * Parsed specification types shared by apps and tasks (docs/api.md §6). These are the shapes after
 * validation (src/api/validation): enums upper-cased, durations parsed into `Duration`,
 * defaults applied where docs/api.md gives one. `renderSpec` in validation turns them back into
 * wire JSON (durations in long form, secrets masked).
 */
import type { Duration } from '../common/durations.ts';

export type ExecutableType = 'DOCKER' | 'PROCESS';

export interface DockerExecutable {
  type: 'DOCKER';
  url: string;
  dockerPullTimeout: Duration;
}

/** corral addition: run a host binary directly (process driver). */
export interface ProcessExecutable {
  type: 'PROCESS';
  command: string;
}

export type Executable = DockerExecutable | ProcessExecutable;

export type PortType = 'HTTP' | 'HTTPS' | 'TCP' | 'UDP';
export interface PortSpec {
  name: string;
  port: number;
  type: PortType;
}

export type MountMode = 'READ_WRITE' | 'READ_ONLY';
export interface MountedVolume {
  pathInContainer: string;
  pathOnHost: string;
  mode: MountMode;
}

export type HttpVerb = 'GET' | 'POST' | 'PUT';
export type Protocol = 'HTTP' | 'HTTPS';

export interface HttpCallSpec {
  protocol: Protocol;
  hostname: string;
  port: number;
  path: string;
  verb: HttpVerb;
  successCodes: number[];
  payload?: string;
  connectionTimeout: Duration;
  operationTimeout: Duration;
  username?: string;
  password?: string;
  authHeader?: string;
  headers?: Record<string, string>;
  insecure: boolean;
}

export type ConfigSpec =
  | { type: 'INLINE'; localFilename: string; data: string /* base64 */ }
  | { type: 'EXECUTOR_LOCAL_FILE'; localFilename: string; filePathOnHost: string }
  | { type: 'CONTROLLER_HTTP_FETCH'; localFilename: string; http: HttpCallSpec }
  | { type: 'EXECUTOR_HTTP_FETCH'; localFilename: string; http: HttpCallSpec };

export type LoggingSpec =
  | { type: 'LOCAL'; maxSize: string; maxFiles: number; compress: boolean }
  | { type: 'RSYSLOG'; server: string; tagPrefix?: string; tagSuffix?: string };

export type ResourceRequirement = { type: 'CPU'; count: number } | { type: 'MEMORY'; sizeInMB: number };

export type PlacementPolicy =
  | { type: 'ANY' }
  | { type: 'ONE_PER_HOST' }
  | { type: 'MAX_N_PER_HOST'; max: number }
  | { type: 'MATCH_TAG'; tag: string }
  | { type: 'NO_TAG' }
  | { type: 'RULE_BASED'; rule: string; ruleType: 'HOPE' | 'MVEL' }
  | { type: 'COMPOSITE'; policies: PlacementPolicy[]; combiner: 'AND' | 'OR' }
  | { type: 'LOCAL'; hostLevel?: boolean };

export type CheckModeSpec =
  | {
      type: 'HTTP';
      protocol: Protocol;
      portName: string;
      path: string;
      verb: HttpVerb;
      successCodes: number[];
      payload?: string;
      connectionTimeout?: Duration;
      insecure: boolean;
    }
  | { type: 'CMD'; command: string; shellDisabled: boolean };

export interface CheckSpec {
  mode: CheckModeSpec;
  timeout: Duration;
  interval: Duration;
  attempts: number;
  initialDelay?: Duration;
}

export interface PreShutdownSpec {
  hooks: CheckModeSpec[];
  waitBeforeKill?: Duration;
}

export interface ExposureSpec {
  vhost: string;
  portName: string;
  mode: 'ALL' | 'ONE';
}

export type DeviceSpec =
  | { type: 'DIRECT'; pathOnHost: string; pathInContainer?: string; permissions?: string }
  | { type: 'DETAILED'; driver?: string; count?: number; deviceIds?: string[]; capabilities?: string[][]; options?: Record<string, string> };

export interface UserSpec {
  user: string;
  group?: string;
}

export type FailureStrategy = 'STOP' | 'ROLLBACK';

/** ClusterOpSpec (docs/api.md §2.2). */
export interface ClusterOpSpec {
  timeout: Duration;
  parallelism: number;
  failureStrategy: FailureStrategy;
}
