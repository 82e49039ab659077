/**
 * What the two instance groups share — `appinstances` (application instances) and `lsinstances`
 * (local-service instances): the instance table, the details page, and the `list` and `info`
 * commands, which differ only in the owner they name and its path.
 */
import type { Command } from 'commander';
import type { InstanceInfo } from '../../api/app-types.ts';
import { addOutputOptions, addSortOptions, runAction } from './command-context.ts';
import { seg } from './http-client.ts';
import {
  allocationTotals, formatMap, formatMemoryMb, usagePairs, formatTime, renderKeyValues, type Column,
} from './output-format.ts';

/** An instance of either kind, without the owner's fields (appId/appName or serviceId/serviceName). */
export type OwnedInstanceInfo = Omit<InstanceInfo, 'appId' | 'appName'>;

/** `name:container->host(TYPE)` per port, as Drove's clients print them. */
export function formatPorts(instance: Pick<InstanceInfo, 'localInfo'>): string {
  const ports = instance.localInfo?.ports ?? {};
  return Object.entries(ports).map(([name, p]) => `${name}:${p.containerPort}->${p.hostPort}(${p.portType})`).join(',');
}

export const INSTANCE_COLUMNS: Column<OwnedInstanceInfo>[] = [
  { header: 'Id', value: (i) => i.instanceId },
  { header: 'State', value: (i) => i.state },
  { header: 'Host', value: (i) => i.localInfo?.hostname ?? '' },
  { header: 'Ports', value: (i) => formatPorts(i) },
  { header: 'CPU', value: (i) => allocationTotals(i.resources).cpus },
  { header: 'Memory', value: (i) => allocationTotals(i.resources).memoryMb, format: (v) => formatMemoryMb(v as number) },
  { header: 'Created', value: (i) => i.created, format: (v) => formatTime(v as number) },
  { header: 'Updated', value: (i) => i.updated, format: (v) => formatTime(v as number) },
  { header: 'Error', value: (i) => i.errorMessage ?? '' },
  { header: 'Executor Id', value: (i) => i.executorId ?? '', wide: true },
];

/** The details of one instance; `owner` are the lines naming what it belongs to (its id, its name). */
export function instanceDetailsText(i: OwnedInstanceInfo, owner: [string, string][]): string {
  const totals = allocationTotals(i.resources);
  return renderKeyValues([
    ['Instance Id', i.instanceId],
    ...owner,
    ['State', i.state],
    ['Executor Id', i.executorId ?? ''],
    ['Host', i.localInfo?.hostname ?? ''],
    ['Ports', formatPorts(i)],
    ['CPUs', totals.cpus],
    ['Memory', formatMemoryMb(totals.memoryMb)],
    ...usagePairs(i.resourceUsage),
    ['Metadata', formatMap(i.metadata)],
    ['Error', i.errorMessage ?? ''],
    ['Created', formatTime(i.created)],
    ['Updated', formatTime(i.updated)],
  ]);
}

/** What the instances belong to, as the `list` and `info` commands need it. */
export interface InstanceOwner<T extends OwnedInstanceInfo> {
  /** The owner's argument, e.g. `<appId>`. */
  argument: string;
  /** e.g. `an app`. */
  noun: string;
  /** The owner's API path, e.g. `/applications/{appId}`; its instances are below it. */
  path: (ownerId: string) => string;
  /** What `list` prints when no instance is active: how to start some. */
  noActiveInstances: (ownerId: string) => string;
  details: (info: T) => string;
}

export function addInstanceListCommand<T extends OwnedInstanceInfo>(group: Command, owner: InstanceOwner<T>): void {
  addSortOptions(addOutputOptions(group.command('list').description(`active instances of ${owner.noun} (--old: stopped/failed ones)`).argument(owner.argument)))
    .option('--old', 'list old (stopped, lost, failed) instances instead')
    .action(runAction(async (ctx, [ownerId], opts) => {
      const path = opts.old ? `${owner.path(ownerId)}/instances/old` : `${owner.path(ownerId)}/instances`;
      const list = (await ctx.client().api<T[]>('GET', path)) ?? [];
      // The controller answers an empty list for an owner that does not exist: ask, so that is exit 7.
      if (list.length === 0) await ctx.client().api('GET', owner.path(ownerId));
      if (ctx.structured) return ctx.printData(list);
      ctx.printTable(list, INSTANCE_COLUMNS, opts, opts.old ? `No old instances of ${ownerId}` : owner.noActiveInstances(ownerId));
    }));
}

export function addInstanceInfoCommand<T extends OwnedInstanceInfo>(group: Command, owner: InstanceOwner<T>): void {
  addOutputOptions(group.command('info').description('details of one instance').argument(owner.argument).argument('<instanceId>'))
    .action(runAction(async (ctx, [ownerId, instanceId]) => {
      const info = await ctx.client().api<T>('GET', `${owner.path(ownerId)}/instances/${seg(instanceId)}`);
      if (ctx.structured) return ctx.printData(info);
      ctx.print(owner.details(info));
    }));
}
