/** `corral appinstances …`: instances of an application, their logs, replace and kill (API.md §2.8, §5). */
import type { Command } from 'commander';
import type { InstanceInfo } from '../../api/app-types.ts';
import {
  addJsonOption, addOperationOptions, addSortOptions, opSpecOf, runAction,
} from './command-context.ts';
import { seg } from './http-client.ts';
import { addLogCommands } from './log-commands.ts';
import { appInstanceLogTarget } from './log-files.ts';
import { submitOperation } from './operation-watch.ts';
import {
  allocationTotals, formatMap, formatMemoryMb, formatTime, renderKeyValues, renderTable, type Column,
} from './output-format.ts';

/** `name:container->host(TYPE)` per port, as Drove's clients print them. */
export function formatPorts(instance: Pick<InstanceInfo, 'localInfo'>): string {
  const ports = instance.localInfo?.ports ?? {};
  return Object.entries(ports).map(([name, p]) => `${name}:${p.containerPort}->${p.hostPort}(${p.portType})`).join(',');
}

export const INSTANCE_COLUMNS: Column<InstanceInfo>[] = [
  { header: 'Id', value: (i) => i.instanceId },
  { header: 'State', value: (i) => i.state },
  { header: 'Host', value: (i) => i.localInfo?.hostname ?? '' },
  { header: 'Ports', value: (i) => formatPorts(i) },
  { header: 'CPU', value: (i) => allocationTotals(i.resources).cpus },
  { header: 'Memory', value: (i) => allocationTotals(i.resources).memoryMb, format: (v) => formatMemoryMb(v as number) },
  { header: 'Created', value: (i) => i.created, format: (v) => formatTime(v as number) },
  { header: 'Updated', value: (i) => i.updated, format: (v) => formatTime(v as number) },
  { header: 'Error', value: (i) => i.errorMessage ?? '' },
];

export function instanceInfoText(i: InstanceInfo): string {
  const totals = allocationTotals(i.resources);
  return renderKeyValues([
    ['Instance Id', i.instanceId],
    ['App Id', i.appId],
    ['App Name', i.appName],
    ['State', i.state],
    ['Executor Id', i.executorId ?? ''],
    ['Host', i.localInfo?.hostname ?? ''],
    ['Ports', formatPorts(i)],
    ['CPUs', totals.cpus],
    ['Memory', formatMemoryMb(totals.memoryMb)],
    ['Metadata', formatMap(i.metadata)],
    ['Error', i.errorMessage ?? ''],
    ['Created', formatTime(i.created)],
    ['Updated', formatTime(i.updated)],
  ]);
}

/** Builds the `appinstances` group under `parent` (also mounted, hidden, as `apps appinstances`). */
export function registerAppInstancesCommands(parent: Command, options: { hidden?: boolean } = {}): Command {
  const group = parent.command('appinstances', { hidden: options.hidden })
    .description('application instances: list, info, logs, tail, download, replace, kill');

  addSortOptions(addJsonOption(group.command('list').description('active instances of an app (--old: stopped/failed ones)').argument('<appId>')))
    .option('--old', 'list old (stopped, lost, failed) instances instead')
    .action(runAction(async (ctx, [appId], opts) => {
      const path = opts.old ? `/applications/${seg(appId)}/instances/old` : `/applications/${seg(appId)}/instances`;
      const list = (await ctx.client().api<InstanceInfo[]>('GET', path)) ?? [];
      if (opts.json) return ctx.printJson(list);
      ctx.print(renderTable(list, INSTANCE_COLUMNS, { sort: opts.sort as number | undefined, reverse: Boolean(opts.reverse) }));
    }));

  addJsonOption(group.command('info').description('details of one instance').argument('<appId>').argument('<instanceId>'))
    .action(runAction(async (ctx, [appId, instanceId], opts) => {
      const info = await ctx.client().api<InstanceInfo>('GET', `/applications/${seg(appId)}/instances/${seg(instanceId)}`);
      if (opts.json) return ctx.printJson(info);
      ctx.print(instanceInfoText(info));
    }));

  addLogCommands(group, { noun: 'an instance', args: ['<appId>', '<instanceId>'], target: appInstanceLogTarget });

  addOperationOptions(group.command('replace').description('replace instances with new ones (start new, then stop old)').argument('<appId>').argument('<instanceIds...>'))
    .option('--stop-first', 'stop each old instance before starting its replacement')
    .action(runAction(async (ctx, [appId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'REPLACE_INSTANCES', appId, instanceIds: ids, stopFirst: Boolean(opts.stopFirst), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: '/applications/operations', body, label: `replacement of ${ids.length} instance(s) of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(group.command('kill').description('stop instances; they are not replaced unless --respawn').argument('<appId>').argument('<instanceIds...>'))
    .option('--respawn', 'start replacements for the killed instances (keeps the instance count)')
    .action(runAction(async (ctx, [appId, instanceIds], opts) => {
      const ids = instanceIds as unknown as string[];
      const body = { type: 'STOP_INSTANCES', appId, instanceIds: ids, skipRespawn: !opts.respawn, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: '/applications/operations', body, label: `stop of ${ids.length} instance(s) of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  return group;
}
