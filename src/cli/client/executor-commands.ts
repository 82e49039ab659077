/** `corral executor …`: executors, what runs on them, blacklisting (API.md §4.4–4.6). */
import type { Command } from 'commander';
import type { InstanceInfo } from '../../api/app-types.ts';
import type { ExecutorNodeData, ExecutorSummary } from '../../api/cluster-types.ts';
import type { TaskInfo } from '../../api/task-types.ts';
import { INSTANCE_COLUMNS } from './appinstances-commands.ts';
import { addJsonOption, addSortOptions, runAction, type CommandContext } from './command-context.ts';
import { EXIT } from './exit-codes.ts';
import { seg } from './http-client.ts';
import { formatMap, formatMemoryMb, formatTime, renderKeyValues, renderTable, type Column } from './output-format.ts';
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

  addSortOptions(addJsonOption(executor.command('list').description('all executors (connected first, then recently removed)')))
    .action(runAction(async (ctx, _args, opts) => {
      const list = (await ctx.client().api<ExecutorSummary[]>('GET', '/cluster/executors')) ?? [];
      if (opts.json) return ctx.printJson(list);
      ctx.print(renderTable(list, EXECUTOR_COLUMNS, { sort: opts.sort as number | undefined, reverse: Boolean(opts.reverse) }));
    }));

  addJsonOption(executor.command('info').description('details of one executor').argument('<executorId>'))
    .action(runAction(async (ctx, [executorId], opts) => {
      const data = await getExecutor(ctx, executorId);
      if (opts.json) return ctx.printJson(data);
      ctx.print(executorInfoText(data));
    }));

  addSortOptions(addJsonOption(executor.command('appinstances').description('app instances on one executor').argument('<executorId>')))
    .action(runAction(async (ctx, [executorId], opts) => {
      const instances = (await getExecutor(ctx, executorId)).instances ?? [];
      if (opts.json) return ctx.printJson(instances);
      ctx.print(renderTable(instances, EXECUTOR_INSTANCE_COLUMNS, { sort: opts.sort as number | undefined, reverse: Boolean(opts.reverse) }));
    }));

  addSortOptions(addJsonOption(executor.command('tasks').description('tasks on one executor').argument('<executorId>')))
    .action(runAction(async (ctx, [executorId], opts) => {
      const tasks: TaskInfo[] = (await getExecutor(ctx, executorId)).tasks ?? [];
      if (opts.json) return ctx.printJson(tasks);
      ctx.print(renderTable(tasks, TASK_COLUMNS, { sort: opts.sort as number | undefined, reverse: Boolean(opts.reverse) }));
    }));

  for (const [name, description] of [
    ['blacklist', 'stop placing work on executors and move their app instances elsewhere'],
    ['unblacklist', 'let blacklisted executors take work again'],
  ] as const) {
    addJsonOption(executor.command(name).description(description).argument('<executorIds...>'))
      .action(runAction(async (ctx, [ids], opts) => {
        const executorIds = ids as unknown as string[];
        const data = (await ctx.client().api<BlacklistResponse>('POST', `/cluster/executors/${name}`, { query: { id: executorIds } })) ?? {};
        if (opts.json) ctx.printJson(data);
        else {
          if (data.message) ctx.print(data.message);
          if (data.successful?.length) ctx.print(`${name === 'blacklist' ? 'Blacklisted' : 'Unblacklisted'}: ${data.successful.join(', ')}`);
          if (data.failed?.length) ctx.print(`Failed: ${data.failed.join(', ')}`);
        }
        return data.failed?.length ? EXIT.FAILED : EXIT.OK;
      }));
  }

  return executor;
}
