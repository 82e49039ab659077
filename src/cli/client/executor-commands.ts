/** `corral executor …`: executors, what runs on them, blacklisting (docs/api.md §4.4–4.6). */
import type { Command } from 'commander';
import type { InstanceInfo } from '../../api/app-types.ts';
import type { ExecutorNodeData, ExecutorSummary } from '../../api/cluster-types.ts';
import type { TaskInfo } from '../../api/task-types.ts';
import { INSTANCE_COLUMNS } from './instance-commands.ts';
import { addOutputOptions, addSortOptions, runAction, type CommandContext } from './command-context.ts';
import { EXIT } from './exit-codes.ts';
import { seg } from './http-client.ts';
import { firstMissing, missingError } from './missing-objects.ts';
import { formatMap, formatMemoryMb, formatTime, renderKeyValues, type Column } from './output-format.ts';
import { TASK_COLUMNS } from './tasks-commands.ts';

export const EXECUTOR_COLUMNS: Column<ExecutorSummary>[] = [
  { header: 'Id', value: (e) => e.executorId },
  { header: 'Host', value: (e) => e.hostname },
  { header: 'Port', value: (e) => e.port },
  { header: 'Transport', value: (e) => e.transportType },
  { header: 'Free Cores', value: (e) => e.freeCores },
  { header: 'Used Cores', value: (e) => e.usedCores },
  { header: 'Free Memory', value: (e) => e.freeMemory, format: (v) => formatMemoryMb(v as number) },
  { header: 'Used Memory', value: (e) => e.usedMemory, format: (v) => formatMemoryMb(v as number) },
  { header: 'Tags', value: (e) => (e.tags ?? []).join(',') },
  { header: 'State', value: (e) => e.state },
];

const EXECUTOR_INSTANCE_COLUMNS: Column<InstanceInfo>[] = [{ header: 'App Id', value: (i) => i.appId }, ...INSTANCE_COLUMNS];

/** Counts of the cores/MB in NUMA-keyed maps. */
function numaCount(map: Record<string, number[] | number> | undefined): number {
  let total = 0;
  for (const v of Object.values(map ?? {})) total += Array.isArray(v) ? v.length : v;
  return total;
}

function formatCpus(cpus: number[]): string {
  return cpus.join(',');
}

function enforcementText(e: NonNullable<ExecutorNodeData['host']>['enforcement']): string {
  if (e.process) return `PROCESS workloads in cgroups (${e.cgroups}); DOCKER by the engine`;
  if (e.disabledByOperator) return 'PROCESS workloads NOT confined (--no-enforce); DOCKER by the engine';
  return `PROCESS workloads refused: ${e.problem ?? 'no writable cgroups'}; DOCKER by the engine`;
}

export function executorInfoText(e: ExecutorNodeData): string {
  const freeCores = numaCount(e.state?.cpus?.freeCores);
  const usedCores = numaCount(e.state?.cpus?.usedCores);
  const freeMemory = numaCount(e.state?.memory?.freeMemory);
  const usedMemory = numaCount(e.state?.memory?.usedMemory);
  return renderKeyValues([
    ['Executor Id', e.state?.executorId],
    ['Name', e.name],
    ['Host', `${e.hostname}:${e.port} (${e.transportType})`],
    ['State', e.executorState],
    ['Blacklisted', e.blacklisted],
    ['Connected', e.connected],
    ['Cores', `${usedCores} used, ${freeCores} free`],
    ['Memory', `${formatMemoryMb(usedMemory)} used, ${formatMemoryMb(freeMemory)} free`],
    ['Tags', (e.tags ?? []).join(', ')],
    ['Labels', e.labels ? formatMap(e.labels) : undefined],
    ['Rack', e.rack],
    ['Drivers', e.drivers?.join(', ')],
    ['NUMA Nodes', e.host?.numaNodes.map((n) => `${n.id}: CPUs ${formatCpus(n.cpus)}, ${formatMemoryMb(n.memoryMB)}`).join('; ')],
    ['OS Cores', e.host?.osCores.length ? formatCpus(e.host.osCores) : undefined],
    ['Pinning', e.host ? (e.host.pinning === 'pinned' ? 'each workload on its booked cores' : `shared (${e.host.sharedBecause ?? 'cores counted, not pinned'})`) : undefined],
    ['Enforcement', e.host ? enforcementText(e.host.enforcement) : undefined],
    ['Core Holders', e.coreHolders?.length ? e.coreHolders.map((h) => `${h.numaNode}:${h.core}=${h.taskId ? `${h.sourceAppName}/${h.taskId}` : (h.appId ?? h.instanceId)}`).join(', ') : undefined],
    ['Instances', e.instances?.length ?? 0],
    ['Tasks', e.tasks?.length ?? 0],
    ['Updated', formatTime(e.updated)],
  ]);
}

export async function getExecutor(ctx: CommandContext, executorId: string): Promise<ExecutorNodeData> {
  return ctx.client().api<ExecutorNodeData>('GET', `/cluster/executors/${seg(executorId)}`);
}

interface BlacklistResponse {
  successful?: string[];
  failed?: string[];
  approxCompletionTimeMs?: number;
  message?: string;
}

export function registerExecutorCommands(program: Command): Command {
  const executor = program.command('executor').description('executors: list, info, what runs where, blacklisting');

  addSortOptions(addOutputOptions(executor.command('list').description('all executors (connected first, then recently removed)')))
    .action(runAction(async (ctx, _args, opts) => {
      const list = (await ctx.client().api<ExecutorSummary[]>('GET', '/cluster/executors')) ?? [];
      if (ctx.structured) return ctx.printData(list);
      ctx.printTable(list, EXECUTOR_COLUMNS, opts, 'No executors have registered (corral executor --controller URL … starts one)');
    }));

  addOutputOptions(executor.command('info').description('details of one executor').argument('<executorId>'))
    .action(runAction(async (ctx, [executorId]) => {
      const data = await getExecutor(ctx, executorId);
      if (ctx.structured) return ctx.printData(data);
      ctx.print(executorInfoText(data));
    }));

  addSortOptions(addOutputOptions(executor.command('appinstances').description('app instances on one executor').argument('<executorId>')))
    .action(runAction(async (ctx, [executorId], opts) => {
      const instances = (await getExecutor(ctx, executorId)).instances ?? [];
      if (ctx.structured) return ctx.printData(instances);
      ctx.printTable(instances, EXECUTOR_INSTANCE_COLUMNS, opts, `No app instances on ${executorId}`);
    }));

  addSortOptions(addOutputOptions(executor.command('tasks').description('tasks on one executor').argument('<executorId>')))
    .action(runAction(async (ctx, [executorId], opts) => {
      const tasks: TaskInfo[] = (await getExecutor(ctx, executorId)).tasks ?? [];
      if (ctx.structured) return ctx.printData(tasks);
      ctx.printTable(tasks, TASK_COLUMNS, opts, `No tasks on ${executorId}`);
    }));

  for (const [name, description] of [
    ['blacklist', 'stop placing work on executors and move their app instances elsewhere'],
    ['unblacklist', 'let blacklisted executors take work again'],
  ] as const) {
    addOutputOptions(executor.command(name).description(description).argument('<executorIds...>'))
      .action(runAction(async (ctx, [ids]) => {
        const executorIds = ids as unknown as string[];
        const data = (await ctx.client().api<BlacklistResponse>('POST', `/cluster/executors/${name}`, { query: { id: executorIds } })) ?? {};
        if (ctx.structured) ctx.printData(data);
        else {
          if (data.message) ctx.print(data.message);
          if (data.successful?.length) ctx.print(`${name === 'blacklist' ? 'Blacklisted' : 'Unblacklisted'}: ${data.successful.join(', ')}`);
          if (data.failed?.length) ctx.print(`Failed: ${data.failed.join(', ')}`);
        }
        if (!data.failed?.length) return EXIT.OK;
        const missing = await firstMissing(ctx, data.failed.map((executorId) => ({ kind: 'executor', executorId })));
        if (missing) throw await missingError(ctx, missing);
        return EXIT.FAILED;
      }));
  }

  return executor;
}
