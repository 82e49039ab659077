/**
 * The container-shaped parts shared by ApplicationSpec and TaskSpec (docs/api.md §6.4, §6.5, §6.7,
 * §6.11–§6.15): ports, volumes, resources, logging, exposure, devices, user and args.
 */
import { z } from 'zod';
import type {
  DeviceSpec, ExposureSpec, LoggingSpec, MountedVolume, PortSpec, ResourceRequirement, UserSpec,
} from '../spec-types.ts';
import { parseLogSize } from '../log-size.ts';
import { COMMAND, enumOf, flag, identifier, intAtLeast, intIn, stringList, stringMap, text } from './field-schema.ts';

/** A size the executor's log rotation can use, checked at submit rather than at the first start. */
function checkLogSize(size: string, ctx: z.core.$RefinementCtx<string>): void {
  const parsed = parseLogSize(size);
  if (typeof parsed !== 'number') ctx.addIssue({ code: 'custom', message: parsed.error, params: COMMAND });
}

/** Drove's model limit on the number of `args` elements (the joined length is a controller check). */
export const MAX_ARGS = 2048;
export const MAX_LOG_FILES = 100;

const portSchema = z.object({
  name: identifier(),
  port: intIn(1, 65535),
  type: enumOf(['HTTP', 'HTTPS', 'TCP', 'UDP']),
}) satisfies z.ZodType<PortSpec>;

/**
 * `exposedPorts`: non-empty, names unique (corral; Drove answers 500 on duplicates). The
 * uniqueness check reads the raw elements so it is reported alongside per-port problems.
 */
export const exposedPortsSchema = z.array(portSchema).min(1).superRefine(
  (ports, ctx) => {
    if (!Array.isArray(ports)) return;
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const port of ports as unknown[]) {
      const name = (port as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') continue;
      if (seen.has(name)) duplicates.add(name);
      seen.add(name);
    }
    if (duplicates.size > 0) {
      ctx.addIssue({ code: 'custom', message: `must not contain duplicate port names: [${[...duplicates].join(', ')}]`, params: COMMAND });
    }
  },
  { when: () => true },
);

export const volumeSchema = z.object({
  pathInContainer: text(),
  pathOnHost: text(),
  mode: enumOf(['READ_WRITE', 'READ_ONLY']),
}) satisfies z.ZodType<MountedVolume>;

/**
 * [corral] The smallest memory a workload may book: every workload runs under a hard limit of
 * what it booked, and below 6 MB neither a container engine (Docker refuses it) nor a shell
 * starts. docs/api.md §6.7.
 */
export const MIN_MEMORY_MB = 6;

export const resourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('CPU'), count: intAtLeast(1) }),
  z.object({ type: z.literal('MEMORY'), sizeInMB: intAtLeast(MIN_MEMORY_MB) }),
]) satisfies z.ZodType<ResourceRequirement>;

/** `resources`: required and non-empty (whether CPU and MEMORY are both there is a controller check). */
export const resourcesSchema = z.array(resourceSchema).min(1);

export const loggingSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('LOCAL'), maxSize: text().superRefine(checkLogSize), maxFiles: intIn(1, MAX_LOG_FILES), compress: flag(false) }),
  z.object({ type: z.literal('RSYSLOG'), server: text(), tagPrefix: z.string().optional(), tagSuffix: z.string().optional() }),
]) satisfies z.ZodType<LoggingSpec>;

export const exposureSchema = z.object({
  vhost: text(),
  portName: text(),
  mode: enumOf(['ALL', 'ONE']).default('ALL'),
}) satisfies z.ZodType<ExposureSpec>;

export const deviceSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('DIRECT'),
    pathOnHost: text(),
    pathInContainer: z.string().optional(),
    permissions: enumOf(['READ_ONLY', 'WRITE_ONLY', 'MKNOD_ONLY', 'ALL', 'READ_WRITE']).default('ALL'),
  }),
  z.object({
    type: z.literal('DETAILED'),
    driver: z.string().optional(),
    count: z.int().optional(),
    deviceIds: stringList().optional(),
    capabilities: z.array(stringList()).optional(),
    options: stringMap().optional(),
  }),
]) satisfies z.ZodType<DeviceSpec>;

export const userSchema = z.object({
  user: text(),
  group: z.string().optional(),
}) satisfies z.ZodType<UserSpec>;

/** `args`: at most 2048 elements (Drove's model limit). */
export const argsSchema = stringList().max(MAX_ARGS);
