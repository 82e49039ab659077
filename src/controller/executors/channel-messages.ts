/**
 * Validation of executor → controller frames (src/api/channel-protocol.ts). Unknown fields are
 * ignored so a newer executor can talk to an older controller; missing or mistyped required
 * fields make the frame invalid (logged and ignored by the channel, or a refused hello).
 */
import { z } from 'zod';
import type { ExecutorMessage } from '../../api/channel-protocol.ts';
import { MAX_IDENTIFIER_LENGTH } from '../../common/ids.ts';

const TASK_STATES = [
  'PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'RUNNING', 'RUN_COMPLETED',
  'RUN_FAILED', 'DEPROVISIONING', 'STOPPED', 'LOST', 'UNKNOWN',
] as const;
const INSTANCE_STATES = [
  'PENDING', 'PROVISIONING', 'PROVISIONING_FAILED', 'STARTING', 'START_FAILED', 'UNREADY',
  'READINESS_CHECK_FAILED', 'READY', 'HEALTHY', 'UNHEALTHY', 'STOPPING', 'DEPROVISIONING',
  'STOPPED', 'LOST', 'UNKNOWN',
] as const;

const identity = z.object({
  // An executor id is a route parameter (`/cluster/executors/{id}`): as long as ids may be.
  executorId: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
  hostname: z.string().min(1),
  port: z.number().int().min(0).max(65_535),
  transportType: z.enum(['HTTP', 'HTTPS']),
  name: z.string(),
  tags: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
  rack: z.string().optional(),
  rackLabels: z.record(z.string(), z.string()).optional(),
  layout: z.object({
    cores: z.record(z.string(), z.array(z.number().int().min(0))),
    memory: z.record(z.string(), z.number().min(0)),
  }),
  drivers: z.array(z.enum(['DOCKER', 'PROCESS'])),
  version: z.string(),
  // Shown in the executor details as given; never read by placement (the layout is what is booked).
  host: z.looseObject({
    numaNodes: z.array(z.looseObject({ id: z.string(), cpus: z.array(z.number().int().min(0)), memoryMB: z.number().min(0) })),
    isolatedCpus: z.array(z.number().int().min(0)),
    osCores: z.array(z.number().int().min(0)),
    pinning: z.enum(['pinned', 'shared']),
    enforcement: z.looseObject({ cgroups: z.enum(['v1', 'v2', 'none']), process: z.boolean(), disabledByOperator: z.boolean(), problem: z.string().optional() }),
  }).optional(),
});

const workloadEvent = z.looseObject({ time: z.number(), type: z.string(), message: z.string() });

const taskReport = z.looseObject({
  instanceId: z.string().min(1),
  sourceAppName: z.string(),
  taskId: z.string(),
  state: z.enum(TASK_STATES),
  taskResult: z.object({
    status: z.enum(['SUCCESSFUL', 'TIMED_OUT', 'CANCELLED', 'FAILED', 'LOST']),
    exitCode: z.number().int(),
  }).optional(),
  errorMessage: z.string().default(''),
  events: z.array(workloadEvent).default([]),
  updated: z.number(),
});

const instanceReport = z.looseObject({
  instanceId: z.string().min(1),
  appId: z.string(),
  appName: z.string(),
  state: z.enum(INSTANCE_STATES),
  localInfo: z.looseObject({ hostname: z.string(), ports: z.record(z.string(), z.unknown()) }).optional(),
  errorMessage: z.string().default(''),
  events: z.array(workloadEvent).default([]),
  updated: z.number(),
});

const executorMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'), executor: identity, features: z.array(z.string()).optional(),
    identityKey: z.string().min(16).max(1024).optional(),
  }),
  z.object({ type: z.literal('snapshot'), tasks: z.array(taskReport), instances: z.array(instanceReport), time: z.number() }),
  z.object({ type: z.literal('taskUpdate'), task: taskReport }),
  z.object({ type: z.literal('taskUpdates'), tasks: z.array(taskReport) }),
  z.object({ type: z.literal('instanceUpdate'), instance: instanceReport }),
  z.object({ type: z.literal('instanceUpdates'), instances: z.array(instanceReport) }),
  z.object({
    type: z.literal('stats'),
    time: z.number(),
    intervalMs: z.number().int().min(0),
    workloads: z.array(z.object({
      instanceId: z.string().min(1).max(MAX_IDENTIFIER_LENGTH),
      kind: z.enum(['task', 'instance']),
      ownerId: z.string().max(MAX_IDENTIFIER_LENGTH),
      taskId: z.string().max(MAX_IDENTIFIER_LENGTH).optional(),
      usage: z.object({
        cpuSeconds: z.number().min(0), cpuPercent: z.number().min(0), memoryBytes: z.number().min(0), memoryLimitBytes: z.number().min(0),
        oomKills: z.number().min(0), networkRxBytes: z.number().min(0).optional(), networkTxBytes: z.number().min(0).optional(),
        blockReadBytes: z.number().min(0).optional(), blockWriteBytes: z.number().min(0).optional(), sampledAt: z.number(),
      }),
    })).max(100_000),
  }),
  z.object({
    type: z.literal('reply'),
    requestId: z.string(),
    ok: z.boolean(),
    data: z.unknown().optional(),
    error: z.string().optional(),
    status: z.number().int().optional(),
  }),
]);

/** Parses one text frame; returns the message or a one-line reason it was rejected. */
export function parseExecutorFrame(text: string): { message: ExecutorMessage } | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `not JSON: ${(error as Error).message}` };
  }
  const parsed = executorMessage.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(frame)'}: ${i.message}`);
    return { error: issues.slice(0, 5).join('; ') };
  }
  return { message: parsed.data as ExecutorMessage };
}
