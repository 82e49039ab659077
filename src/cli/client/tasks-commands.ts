/** `corral tasks …`: one-shot tasks, their logs, kill and abort (docs/api.md §3, §5; corral's abort). */
import { Option, type Command } from 'commander';
import type { TaskInfo } from '../../api/task-types.ts';
import {
  addOperationOptions, addOutputOptions, addSortOptions, durationOption, opSpecOf, readSpecFile, runAction,
  type CommandContext,
} from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { seg } from './http-client.ts';
import { addLogCommands } from './log-commands.ts';
import { taskLogTarget } from './log-files.ts';
import { firstMissing, missingError } from './missing-objects.ts';
import { submitOperation } from './operation-watch.ts';
import { allocationTotals, formatMemoryMb, usagePairs, formatTime, renderKeyValues, type Column } from './output-format.ts';

export function taskResultText(t: Pick<TaskInfo, 'taskResult'>): string {
  return t.taskResult ? `${t.taskResult.status} (exit ${t.taskResult.exitCode})` : '';
}

/** `DOCKER registry/image:tag` or `PROCESS /bin/cmd`, from the wire form of the executable. */
export function executableText(executable: unknown): string {
  if (!executable || typeof executable !== 'object') return '';
  const e = executable as { type?: string; url?: string; command?: string };
  return [e.type ?? '', e.url ?? e.command ?? ''].filter(Boolean).join(' ');
}

export const TASK_COLUMNS: Column<TaskInfo>[] = [
  { header: 'Source App', value: (t) => t.sourceAppName },
  { header: 'Task Id', value: (t) => t.taskId },
  { header: 'State', value: (t) => t.state },
  { header: 'Result', value: (t) => taskResultText(t) },
  { header: 'Host', value: (t) => t.hostname ?? '' },
  { header: 'CPU', value: (t) => allocationTotals(t.resources).cpus },
  { header: 'Memory', value: (t) => allocationTotals(t.resources).memoryMb, format: (v) => formatMemoryMb(v as number) },
  { header: 'Created', value: (t) => t.created, format: (v) => formatTime(v as number) },
  { header: 'Updated', value: (t) => t.updated, format: (v) => formatTime(v as number) },
  { header: 'Instance Id', value: (t) => t.instanceId, wide: true },
  { header: 'Executor Id', value: (t) => t.executorId ?? '', wide: true },
  { header: 'Executable', value: (t) => executableText(t.executable), wide: true },
];

export function taskInfoText(t: TaskInfo): string {
  const totals = allocationTotals(t.resources);
  return renderKeyValues([
    ['Source App', t.sourceAppName],
    ['Task Id', t.taskId],
    ['Instance Id', t.instanceId],
    ['State', t.state],
    ['Result', taskResultText(t)],
    ['Executable', executableText(t.executable)],
    ['Executor Id', t.executorId ?? ''],
    ['Host', t.hostname ?? ''],
    ['CPUs', totals.cpus],
    ['Memory', formatMemoryMb(totals.memoryMb)],
    ...usagePairs(t.resourceUsage),
    ['Error', t.errorMessage ?? ''],
    ['Created By', t.createdBy],
    ['Terminated By', t.terminatedBy],
    ['Parent Task', t.parentTaskId],
    ['Subtasks', t.subtaskIds?.join(', ')],
    ['Created', formatTime(t.created)],
    ['Updated', formatTime(t.updated)],
  ]);
}

export async function getTask(ctx: CommandContext, sourceAppName: string, taskId: string): Promise<TaskInfo> {
  return ctx.client().api<TaskInfo>('GET', `/tasks/${seg(sourceAppName)}/instances/${seg(taskId)}`);
}

interface TaskAbortResult {
  sourceAppName: string;
  taskId: string;
  aborted: boolean;
  reason?: string;
}

export function registerTasksCommands(program: Command): Command {
  const tasks = program.command('tasks').description('tasks: create, kill, abort, list, show, logs, tail, download');

  addOperationOptions(tasks.command('create').description('create (and start) a task from a JSON or YAML spec file ("-" = stdin)').argument('<specFile>'), { parallelism: false })
    .action(runAction(async (ctx, [specFile], opts) => {
      const spec = readSpecFile(specFile);
      const body = { type: 'CREATE', spec, opSpec: opSpecOf(opts) };
      const pair = typeof spec.sourceAppName === 'string' && typeof spec.taskId === 'string' ? `${spec.sourceAppName}/${spec.taskId}` : undefined;
      const outcome = await submitOperation(ctx, { path: '/tasks/operations', body, label: `task ${pair ?? `from ${specFile}`}`, wait: Boolean(opts.wait) });
      if (opts.wait && pair) {
        const task = await getTask(ctx, String(spec.sourceAppName), String(spec.taskId));
        ctx.print(`Task ${pair}: ${task.state}${task.taskResult ? `, result ${taskResultText(task)}` : ''}`);
      }
      return outcome.code;
    }));

  addOperationOptions(tasks.command('kill').description('kill a running task').argument('<sourceAppName>').argument('<taskId>'), { parallelism: false })
    .action(runAction(async (ctx, [sourceAppName, taskId], opts) => {
      const body = { type: 'KILL', sourceAppName, taskId, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: '/tasks/operations', body, label: `kill of task ${sourceAppName}/${taskId}`, wait: Boolean(opts.wait) })).code;
    }));

  tasks.command('abort').description('abort tasks: gracefully (signal, wait, then kill) or --force (kill now)').argument('<sourceAppName>').argument('<taskIds...>')
    .option('--force', 'kill at once instead of stopping gracefully')
    .addOption(new Option('--deadline <duration>', 'graceful abort becomes forced after this long, e.g. 30s').argParser(durationOption('--deadline')))
    .action(runAction(async (ctx, [sourceAppName, taskIds], opts) => {
      const ids = taskIds as unknown as string[];
      if (opts.force && opts.deadline) throw new CliError(EXIT.USAGE, '--deadline applies to graceful aborts only; drop it or drop --force');
      const body: Record<string, unknown> = { tasks: ids.map((taskId) => ({ sourceAppName, taskId })), mode: opts.force ? 'FORCE' : 'GRACEFUL' };
      if (opts.deadline) body.deadline = opts.deadline;
      const data = await ctx.client().api<{ results?: TaskAbortResult[] }>('POST', '/tasks/abort', { body });
      const results = data?.results ?? [];
      for (const r of results) ctx.print(`${r.sourceAppName}/${r.taskId}: ${r.aborted ? 'abort requested' : `not aborted${r.reason ? ` (${r.reason})` : ''}`}`);
      const refused = results.filter((r) => !r.aborted);
      if (refused.length === 0) return EXIT.OK;
      const missing = await firstMissing(ctx, refused.map((r) => ({ kind: 'task', sourceAppName: r.sourceAppName, taskId: r.taskId })));
      if (missing) throw await missingError(ctx, missing);
      return EXIT.FAILED;
    }));

  addSortOptions(addOutputOptions(tasks.command('list').description('active tasks (finished ones: tasks show)')))
    .option('-a, --app <sourceAppName...>', 'only tasks of these source apps')
    .action(runAction(async (ctx, _args, opts) => {
      let list = (await ctx.client().api<TaskInfo[]>('GET', '/tasks')) ?? [];
      const apps = opts.app as string[] | undefined;
      if (apps?.length) list = list.filter((t) => apps.includes(t.sourceAppName));
      if (ctx.structured) return ctx.printData(list);
      ctx.printTable(list, TASK_COLUMNS, opts, `No active tasks${apps?.length ? ` of ${apps.join(', ')}` : ''} (finished ones: corral tasks show SOURCE_APP TASK_ID)`);
    }));

  addOutputOptions(tasks.command('show').description('details of one task, active or finished').argument('<sourceAppName>').argument('<taskId>'))
    .action(runAction(async (ctx, [sourceAppName, taskId]) => {
      const task = await getTask(ctx, sourceAppName, taskId);
      if (ctx.structured) return ctx.printData(task);
      ctx.print(taskInfoText(task));
    }));

  addLogCommands(tasks, { noun: 'a task', args: ['<sourceAppName>', '<taskId>'], target: taskLogTarget });

  return tasks;
}
