/**
 * `corral describe …`: everything about one object in one screen (kubectl-style): the object,
 * what runs under it, its operations and recent events. `--json` prints the same as one object.
 */
import type { Command } from 'commander';
import type { AppSummary, InstanceInfo } from '../../api/app-types.ts';
import type { ClusterEvent, ClusterSummary, ExecutorSummary } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskInfo } from '../../api/task-types.ts';
import { APP_COLUMNS, appSummaryText, listApps } from './apps-commands.ts';
import { instanceInfoText } from './appinstances-commands.ts';
import { INSTANCE_COLUMNS } from './instance-commands.ts';
import { clusterSummaryText } from './cluster-commands.ts';
import { formatEvent } from './cluster-events.ts';
import { addOutputOptions, runAction, type CommandContext } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { EXECUTOR_COLUMNS, executorInfoText, getExecutor } from './executor-commands.ts';
import { seg } from './http-client.ts';
import { appInstanceLogTarget, listLogFiles, taskLogTarget } from './log-files.ts';
import { OPERATION_COLUMNS } from './ops-commands.ts';
import { formatTime, renderTable, section, visibleColumns, type Column } from './output-format.ts';
import { TASK_COLUMNS, getTask, taskInfoText } from './tasks-commands.ts';

const EVENTS_SHOWN = 10;

/**
 * Runs an optional lookup: a controller without that endpoint (Drove, an older corral) or a
 * target whose logs are gone yields `undefined` instead of failing the whole description.
 */
async function optional<T>(lookup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof CliError && (error.exitCode === EXIT.FAILED || error.exitCode === EXIT.NOT_FOUND)) return undefined;
    throw error;
  }
}

async function eventsWhere(ctx: CommandContext, match: (e: ClusterEvent) => boolean): Promise<ClusterEvent[] | undefined> {
  const all = await optional(() => ctx.client().api<ClusterEvent[]>('GET', '/cluster/events', { query: { lastSyncTime: 0, size: 1024 } }));
  return all?.filter(match).slice(0, EVENTS_SHOWN).reverse();
}

function eventsSection(events: ClusterEvent[] | undefined): string {
  return section('Recent Events', events === undefined ? 'not available' : events.map(formatEvent).join('\n'));
}

/** A table section of a description (`<none>` when empty), with the wide columns for `-o wide`. */
function tableSection<T>(ctx: CommandContext, title: string, rows: readonly T[] | undefined, columns: readonly Column<T>[], sort?: number): string {
  if (rows === undefined) return section(title, 'not available');
  return section(title, rows.length ? renderTable(rows, visibleColumns(columns, ctx.format), { sort }) : '');
}

function workloadEventsSection(events: TaskInfo['events']): string {
  const rows = (events ?? []).map((e) => [formatTime(e.time), `${e.type}${e.hook ? ` [${e.hook}]` : ''}${e.error ? ' ERROR' : ''}`, e.message] as const);
  const width = Math.max(0, ...rows.map(([, what]) => what.length));
  return section('Events', rows.map(([time, what, message]) => `${time}  ${what.padEnd(width)}  ${message}`).join('\n'));
}

function emit(ctx: CommandContext, data: Record<string, unknown>, text: string[]): void {
  if (ctx.structured) ctx.printData(data);
  else ctx.print(text.join('\n\n'));
}

export function registerDescribeCommands(program: Command): Command {
  const describe = program.command('describe').description('everything about one cluster, executor, app, instance or task');

  addOutputOptions(describe.command('cluster').description('summary, executors, applications and recent events'))
    .action(runAction(async (ctx) => {
      const [summary, executors, apps, events] = await Promise.all([
        ctx.client().api<ClusterSummary>('GET', '/cluster'),
        ctx.client().api<ExecutorSummary[]>('GET', '/cluster/executors'),
        listApps(ctx),
        eventsWhere(ctx, () => true),
      ]);
      emit(ctx, { summary, executors, applications: apps, events }, [
        section('Cluster', clusterSummaryText(summary)),
        tableSection(ctx, 'Executors', executors ?? [], EXECUTOR_COLUMNS),
        tableSection(ctx, 'Applications', apps, APP_COLUMNS, 0),
        eventsSection(events),
      ]);
    }));

  addOutputOptions(describe.command('executor').description('an executor with its instances and tasks').argument('<executorId>'))
    .action(runAction(async (ctx, [executorId]) => {
      const executor = await getExecutor(ctx, executorId);
      const events = await eventsWhere(ctx, (e) => e.metadata?.EXECUTOR_ID === executor.state?.executorId);
      emit(ctx, { executor, events }, [
        section('Executor', executorInfoText(executor)),
        tableSection(ctx, 'Instances', executor.instances ?? [], INSTANCE_COLUMNS),
        tableSection(ctx, 'Tasks', executor.tasks ?? [], TASK_COLUMNS),
        eventsSection(events),
      ]);
    }));

  addOutputOptions(describe.command('app').description('an app with its spec, instances, operations and events').argument('<appId>'))
    .action(runAction(async (ctx, [appId]) => {
      const summary = await ctx.client().api<AppSummary>('GET', `/applications/${seg(appId)}`);
      const [spec, instances, oldInstances, operations, events] = await Promise.all([
        optional(() => ctx.client().api<Record<string, unknown>>('GET', `/applications/${seg(appId)}/spec`)),
        ctx.client().api<InstanceInfo[]>('GET', `/applications/${seg(appId)}/instances`),
        ctx.client().api<InstanceInfo[]>('GET', `/applications/${seg(appId)}/instances/old`, { query: { start: 0, size: 5 } }),
        optional(() => ctx.client().api<OperationRecord[]>('GET', '/operations', { query: { appId, size: 10 } })),
        eventsWhere(ctx, (e) => e.metadata?.APP_ID === appId),
      ]);
      emit(ctx, { summary, spec, instances, oldInstances, operations, events }, [
        section('Application', appSummaryText(summary)),
        section('Spec', spec ? specHighlights(spec) : 'not available'),
        tableSection(ctx, 'Instances', instances ?? [], INSTANCE_COLUMNS),
        tableSection(ctx, 'Old Instances (latest 5)', oldInstances ?? [], INSTANCE_COLUMNS),
        tableSection(ctx, 'Operations', operations, OPERATION_COLUMNS),
        eventsSection(events),
      ]);
    }));

  addOutputOptions(describe.command('instance').description('an app instance with its log files and events').argument('<appId>').argument('<instanceId>'))
    .action(runAction(async (ctx, [appId, instanceId]) => {
      const instance = await ctx.client().api<InstanceInfo & { events?: TaskInfo['events'] }>('GET', `/applications/${seg(appId)}/instances/${seg(instanceId)}`);
      const [logFiles, events] = await Promise.all([
        optional(() => listLogFiles(ctx, appInstanceLogTarget(appId, instanceId))),
        eventsWhere(ctx, (e) => e.metadata?.INSTANCE_ID === instanceId),
      ]);
      emit(ctx, { instance, logFiles, events }, [
        section('Instance', instanceInfoText(instance)),
        ...(instance.events ? [workloadEventsSection(instance.events)] : []),
        section('Log Files', logFiles === undefined ? 'not available' : logFiles.join('\n')),
        eventsSection(events),
      ]);
    }));

  addOutputOptions(describe.command('task').description('a task with its result, lifecycle events, subtasks and operations').argument('<sourceAppName>').argument('<taskId>'))
    .action(runAction(async (ctx, [sourceAppName, taskId]) => {
      const task = await getTask(ctx, sourceAppName, taskId);
      const [logFiles, events] = await Promise.all([
        optional(() => listLogFiles(ctx, taskLogTarget(sourceAppName, taskId))),
        eventsWhere(ctx, (e) => e.type === 'TASK_STATE_CHANGE' && e.metadata?.APP_NAME === sourceAppName && e.metadata?.TASK_ID === taskId),
      ]);
      const messages = task.result?.details?.messageList ?? [];
      emit(ctx, { task, logFiles, events }, [
        section('Task', taskInfoText(task)),
        workloadEventsSection(task.events),
        ...(task.result ? [section('Result', [`${task.result.status}: ${task.result.message}${task.result.reason ? ` (${task.result.reason})` : ''}`, ...messages.map((m) => `${formatTime(m.ts)}  ${m.error ? 'ERROR ' : ''}${m.contextType} ${m.context}: ${m.message}`)].join('\n'))] : []),
        section('Log Files', logFiles === undefined ? 'not available' : logFiles.join('\n')),
        eventsSection(events),
      ]);
    }));

  return describe;
}

/** The spec fields people look for first; the full spec is `apps spec`. */
function specHighlights(spec: Record<string, unknown>): string {
  const lines: string[] = [];
  const executable = spec.executable as { type?: string; url?: string; command?: string } | undefined;
  if (executable) lines.push(`Executable:  ${executable.type ?? 'DOCKER'} ${executable.url ?? executable.command ?? ''}`);
  const resources = (spec.resources as Array<{ type: string; count?: number; sizeInMB?: number }> | undefined) ?? [];
  if (resources.length) lines.push(`Resources:   ${resources.map((r) => (r.type === 'CPU' ? `${r.count} CPU` : `${r.sizeInMB} MB`)).join(', ')}`);
  const ports = (spec.exposedPorts as Array<{ name: string; port: number; type: string }> | undefined) ?? [];
  if (ports.length) lines.push(`Ports:       ${ports.map((p) => `${p.name}:${p.port}(${p.type})`).join(', ')}`);
  const placement = spec.placementPolicy as { type?: string } | undefined;
  lines.push(`Placement:   ${placement?.type ?? 'ANY'}`);
  const exposure = spec.exposureSpec as { vhost?: string; portName?: string } | undefined;
  if (exposure) lines.push(`Exposure:    ${exposure.vhost} -> ${exposure.portName}`);
  return lines.join('\n');
}
