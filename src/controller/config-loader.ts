/**
 * Reads the controller configuration file (YAML or JSON — YAML 1.2 parses both) and compiles
 * it once into `ControllerConfig`. Durations use Drove's grammar ("10s", "5 minutes"); unknown
 * keys are rejected so a typo does not silently fall back to a default. Every problem is
 * reported as one line naming the file and the field.
 *
 * File keys are the `ControllerConfig` names, with durations named without their `Ms` suffix:
 * `snapshotInterval`, `executorLostAfter`, `executorRemovedAfter`, `maintenanceGrace`,
 * `taskRetention`, `instanceRetention`, `operationRetention`, `eventRetention`, `killTimeout`,
 * `startAckTimeout`, `requestTimeout`, `leaderLease`, and `defaultOpSpec.timeout`.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { durationMillis, formatDuration, parseDuration, type Duration } from '../common/durations.ts';
import { defaultControllerConfig, type ControllerConfig } from './config.ts';
import type { Role } from '../api/auth-types.ts';

/** The configuration could not be read or is invalid; the message is one readable line. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

const ROLES = [
  'DROVE_EXTERNAL_ROOT', 'DROVE_EXTERNAL_READ_WRITE', 'DROVE_EXTERNAL_MAINTENANCE', 'DROVE_EXTERNAL_READ_ONLY',
  'DROVE_CLUSTER_NODE', 'DROVE_APPLICATION_INSTANCE',
] as const satisfies readonly Role[];

/** File key → ControllerConfig key for every duration setting. */
const DURATION_KEYS = {
  snapshotInterval: 'snapshotIntervalMs',
  executorLostAfter: 'executorLostAfterMs',
  executorRemovedAfter: 'executorRemovedAfterMs',
  maintenanceGrace: 'maintenanceGraceMs',
  taskRetention: 'taskRetentionMs',
  instanceRetention: 'instanceRetentionMs',
  operationRetention: 'operationRetentionMs',
  eventRetention: 'eventRetentionMs',
  killTimeout: 'killTimeoutMs',
  startAckTimeout: 'startAckTimeoutMs',
  requestTimeout: 'requestTimeoutMs',
  leaderLease: 'leaderLeaseMs',
} as const satisfies Record<string, keyof ControllerConfig>;

const POSITIVE_DURATIONS = new Set(['snapshotInterval', 'executorLostAfter', 'executorRemovedAfter', 'killTimeout', 'startAckTimeout', 'requestTimeout', 'leaderLease']);

function durationField(key: string) {
  return z.string({ error: 'must be a duration string such as "10s" or "5 minutes"' }).transform((text, ctx): Duration => {
    const parsed = parseDuration(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    if (POSITIVE_DURATIONS.has(key) && durationMillis(parsed) < 1) {
      ctx.addIssue({ code: 'custom', message: 'must be at least 1 ms' });
      return z.NEVER;
    }
    return parsed;
  });
}

const userSchema = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
  role: z.string().transform((r, ctx) => {
    const upper = r.toUpperCase();
    if (!(ROLES as readonly string[]).includes(upper)) {
      ctx.addIssue({ code: 'custom', message: `unknown role "${r}" (one of ${ROLES.join(', ')})` });
      return z.NEVER;
    }
    return upper as Role;
  }),
});

const fileSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  store: z.string().regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be "sqlite:PATH" or a postgres:// URL').optional(),
  clusterSecret: z.string().min(8, 'must be at least 8 characters').optional(),
  authEnabled: z.boolean().optional(),
  disableReadAuth: z.boolean().optional(),
  users: z.array(userSchema).optional(),
  defaultOpSpec: z.strictObject({
    timeout: durationField('defaultOpSpec.timeout'),
    parallelism: z.number().int().min(1).max(512),
    failureStrategy: z.enum(['STOP', 'ROLLBACK']),
  }).optional(),
  ...Object.fromEntries(Object.keys(DURATION_KEYS).map((k) => [k, durationField(k).optional()])) as Record<keyof typeof DURATION_KEYS, z.ZodOptional<ReturnType<typeof durationField>>>,
  maxOldInstancesPerApp: z.number().int().min(0).optional(),
  allowedMountDirs: z.array(z.string().min(1)).optional(),
  enableRawDeviceAccess: z.boolean().optional(),
  disableCmdlArgs: z.boolean().optional(),
  bodyLimitBytes: z.number().int().min(1024, 'must be at least 1024').max(32 * 1024 * 1024, 'must be at most 32 MiB (a spec travels in one control-channel frame)').optional(),
  controllerFetchMaxBytes: z.number().int().min(1, 'must be at least 1').max(32 * 1024 * 1024, 'must be at most 32 MiB (it travels in one control-channel frame)').optional(),
  storeDurability: z.enum(['FULL', 'PROCESS'], { error: 'must be FULL or PROCESS' }).optional(),
  metricsAuth: z.boolean().optional(),
  allowedOrigins: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) origin such as https://ui.example.com' })).optional(),
  authFailuresPerMinute: z.number().int().min(1).optional(),
  maxEventStreamsPerUser: z.number().int().min(1).optional(),
  maxLogDownloadsPerExecutor: z.number().int().min(1).optional(),
  memoryReturnMb: z.number().int().min(0).optional(),
  advertiseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://ctl-1.example.com:4000' }).optional(),
});

/** Settings copied as they are (durations are converted separately). */
const PLAIN_KEYS = ['host', 'port', 'store', 'clusterSecret', 'authEnabled', 'disableReadAuth', 'users', 'defaultOpSpec',
  'maxOldInstancesPerApp', 'allowedMountDirs', 'enableRawDeviceAccess', 'disableCmdlArgs', 'bodyLimitBytes', 'metricsAuth',
  'allowedOrigins', 'authFailuresPerMinute', 'maxEventStreamsPerUser', 'maxLogDownloadsPerExecutor',
  'memoryReturnMb', 'controllerFetchMaxBytes', 'storeDurability', 'advertiseUrl'] as const;

/** Compiles parsed file content (`source` names the file in messages). */
export function compileControllerConfig(raw: unknown, source: string): ControllerConfig {
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = [...issue.path, ...keys].join('.') || '(top level)';
    const message = issue.code === 'unrecognized_keys' ? 'unknown setting' : issue.message;
    throw new ConfigError(`${source}: ${field}: ${message}`);
  }
  const file = parsed.data;
  const overrides: Partial<ControllerConfig> = {};
  for (const [fileKey, configKey] of Object.entries(DURATION_KEYS)) {
    const value = file[fileKey as keyof typeof DURATION_KEYS];
    if (value) overrides[configKey] = Math.round(durationMillis(value));
  }
  for (const key of PLAIN_KEYS) {
    if (file[key] !== undefined) (overrides as Record<string, unknown>)[key] = file[key];
  }
  const config = defaultControllerConfig(overrides);
  if (config.executorRemovedAfterMs < config.executorLostAfterMs) {
    throw new ConfigError(`${source}: executorRemovedAfter: must not be shorter than executorLostAfter`);
  }
  if (config.leaderLeaseMs < 500) throw new ConfigError(`${source}: leaderLease: must be at least 500ms (it is renewed every third of it)`);
  if (config.authEnabled && config.users.length === 0) {
    throw new ConfigError(`${source}: users: at least one user is needed while authEnabled is true`);
  }
  const names = new Set<string>();
  for (const [i, user] of config.users.entries()) {
    if (names.has(user.username)) throw new ConfigError(`${source}: users.${i}.username: duplicate user "${user.username}"`);
    names.add(user.username);
  }
  return config;
}

/** A compiled config and the settings that were given (in the file or as overrides), not defaulted. */
export interface LoadedControllerConfig {
  config: ControllerConfig;
  explicit: ReadonlySet<keyof ControllerConfig>;
}

/** Reads and compiles a config file; without a file, the defaults. `overrides` (CLI flags) win. */
export async function loadControllerConfig(file: string | undefined, overrides: Partial<ControllerConfig> = {}): Promise<ControllerConfig> {
  return (await readControllerConfig(file, overrides)).config;
}

/** `loadControllerConfig`, also telling which settings were given explicitly (config-safety.ts needs it). */
export async function readControllerConfig(file: string | undefined, overrides: Partial<ControllerConfig> = {}): Promise<LoadedControllerConfig> {
  const given = new Set(Object.keys(overrides) as (keyof ControllerConfig)[]);
  if (!file) return { config: defaultControllerConfig(overrides), explicit: given };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML/JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new ConfigError(`${file}: (top level): must be a mapping of settings`);
  }
  for (const key of Object.keys(raw ?? {})) given.add((DURATION_KEYS as Record<string, keyof ControllerConfig>)[key] ?? key as keyof ControllerConfig);
  return { config: { ...compileControllerConfig(raw, file), ...overrides }, explicit: given };
}

/** The file form of a config (durations as strings): what `loadControllerConfig` reads back. */
export function controllerConfigToFile(config: ControllerConfig): Record<string, unknown> {
  const file: Record<string, unknown> = {};
  const byConfigKey = new Map<string, string>(Object.entries(DURATION_KEYS).map(([f, c]) => [c, f]));
  for (const [key, value] of Object.entries(config)) {
    const fileKey = byConfigKey.get(key);
    if (fileKey) file[fileKey] = `${value}ms`;
    else if (key === 'defaultOpSpec') file[key] = { ...config.defaultOpSpec, timeout: formatDuration(config.defaultOpSpec.timeout) };
    else file[key] = value;
  }
  return file;
}
