/** `corral cluster …`: ping, summary, leader, endpoints, events, maintenance (docs/api.md §4). */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ALL_EVENT_TYPES, type ClusterEvent, type ClusterStateData, type ClusterSummary } from '../../api/cluster-types.ts';
import { addOutputOptions, addSortOptions, intOption, runAction } from './command-context.ts';
import { followEvents, formatEvent, recentEvents } from './cluster-events.ts';
import { formatMemoryMb, formatTime, renderData, renderKeyValues, type Column } from './output-format.ts';

interface ExposedHost {
  host: string;
  port: number;
  portType: string;
}

export interface ExposedAppInfo {
  appName: string;
  appId: string;
  vhost: string;
  tags?: Record<string, string>;
  hosts: ExposedHost[];
}

interface EndpointRow {
  vhost: string;
  appId: string;
  appName: string;
  host?: ExposedHost;
}

const ENDPOINT_COLUMNS: Column<EndpointRow>[] = [
  { header: 'VHost', value: (r) => r.vhost },
  { header: 'App Id', value: (r) => r.appId },
  { header: 'Host', value: (r) => r.host?.host ?? '' },
  { header: 'Port', value: (r) => r.host?.port },
  { header: 'Type', value: (r) => r.host?.portType ?? '' },
  { header: 'App Name', value: (r) => r.appName, wide: true },
];

/** `--type` values: case-insensitive, and only types that exist (an unknown one would match nothing, silently). */
function eventType(value: string, previous: string[] = []): string[] {
  const type = value.toUpperCase();
  if (!ALL_EVENT_TYPES.has(type)) throw new InvalidArgumentError(`unknown event type "${value}"; known: ${[...ALL_EVENT_TYPES].join(', ')}`);
  return [...previous, type];
}

export function clusterSummaryText(s: ClusterSummary): string {
  const pct = (used: number, total: number) => `${Math.round((100 * used) / Math.max(total, 1))}%`;
  return renderKeyValues([
    ['Leader', s.leader],
    ['State', s.state],
    ['Executors', s.numExecutors],
    ['Applications', `${s.numApplications} (${s.numActiveApplications} active)`],
    ['Active Tasks', s.numActiveTasks],
    ['Cores', `${s.usedCores} used / ${s.totalCores} total, ${s.freeCores} free (${pct(s.usedCores, s.totalCores)} used)`],
    ['Memory', `${formatMemoryMb(s.usedMemory)} used / ${formatMemoryMb(s.totalMemory)} total, ${formatMemoryMb(s.freeMemory)} free (${pct(s.usedMemory, s.totalMemory)} used)`],
  ]);
}

export function registerClusterCommands(program: Command): Command {
  const cluster = program.command('cluster').description('cluster: ping, summary, leader, endpoints, events, maintenance mode');

  cluster.command('ping').description('check that the endpoint(s) include a leader controller that answers')
    .action(runAction(async (ctx) => {
      const started = performance.now();
      await ctx.client().api('GET', '/ping');
      ctx.print(`Cluster ping successful (leader ${await ctx.client().findLeader()}, ${Math.round(performance.now() - started)} ms)`);
    }));

  addOutputOptions(cluster.command('summary').description('cluster state, executors, applications and resources'))
    .action(runAction(async (ctx) => {
      const summary = await ctx.client().api<ClusterSummary>('GET', '/cluster');
      if (ctx.structured) return ctx.printData(summary);
      ctx.print(clusterSummaryText(summary));
    }));

  addOutputOptions(cluster.command('leader').description('the leader controller\'s address'))
    .action(runAction(async (ctx) => {
      const summary = await ctx.client().api<ClusterSummary>('GET', '/cluster');
      if (ctx.structured) return ctx.printData({ leader: summary.leader });
      ctx.print(summary.leader);
    }));

  addSortOptions(addOutputOptions(cluster.command('endpoints').description('exposed apps and their healthy hosts (the gateway view)')))
    .option('--vhost <vhost>', 'only this virtual host')
    .action(runAction(async (ctx, _args, opts) => {
      let apps = (await ctx.client().api<ExposedAppInfo[]>('GET', '/endpoints')) ?? [];
      if (opts.vhost) apps = apps.filter((a) => a.vhost === opts.vhost);
      if (ctx.structured) return ctx.printData(apps);
      const rows: EndpointRow[] = apps.flatMap((a) => (a.hosts.length
        ? a.hosts.map((host) => ({ vhost: a.vhost, appId: a.appId, appName: a.appName, host }))
        : [{ vhost: a.vhost, appId: a.appId, appName: a.appName }]));
      ctx.printTable(rows, ENDPOINT_COLUMNS, opts, `No exposed apps${opts.vhost ? ` with vhost ${String(opts.vhost)}` : ''} (an app spec's exposureSpec exposes one)`);
    }));

  addOutputOptions(cluster.command('events').description('recent cluster events, oldest first; --follow streams new ones'))
    .option('-f, --follow', 'keep printing new events as they happen (Ctrl-C stops)')
    .addOption(new Option('--type <type...>', 'only events of these types, e.g. APP_STATE_CHANGE TASK_STATE_CHANGE').argParser(eventType))
    .addOption(new Option('-n, --count <n>', 'how many recent events to show').argParser(intOption('--count', 0, 1_000_000)).default(20))
    .action(runAction(async (ctx, _args, opts) => {
      const types = opts.type ? new Set(opts.type as string[]) : undefined;
      const count = Number(opts.count);
      const recent = await recentEvents(ctx, types, count);
      // Following, each event is printed as it comes: JSON one object per line, YAML one document each.
      const show = (event: ClusterEvent) => ctx.print(ctx.format === 'json' ? JSON.stringify(event) : ctx.format === 'yaml' ? `---\n${renderData(event, 'yaml')}` : formatEvent(event));
      if (!opts.follow) {
        if (ctx.structured) return ctx.printData(recent);
        if (recent.length === 0 && count > 0) ctx.note(`No${types ? ` ${[...types].join(', ')}` : ''} events yet`);
        for (const event of recent) show(event);
        return;
      }
      for (const event of recent) show(event);
      await followEvents(ctx, { types, shown: recent, onEvent: show });
    }));

  for (const [name, action, description] of [
    ['maintenance-on', 'set', 'put the cluster in maintenance mode (operations are refused, workloads keep running)'],
    ['maintenance-off', 'unset', 'leave maintenance mode (operations stay blocked for a short grace period)'],
  ] as const) {
    addOutputOptions(cluster.command(name).description(description))
      .action(runAction(async (ctx) => {
        const data = await ctx.client().api<ClusterStateData>('POST', `/cluster/maintenance/${action}`);
        if (ctx.structured) return ctx.printData(data);
        ctx.print(`Cluster state: ${data.state} (since ${formatTime(data.updated)})`);
      }));
  }

  return cluster;
}
