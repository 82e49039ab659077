/** `corral apps …`: application reads and operations (docs/api.md §2). */
import type { Command } from 'commander';
import type { AppSummary } from '../../api/app-types.ts';
import { MAX_INSTANCES } from '../../api/validation/instance-limits.ts';
import {
  addOperationOptions, addOutputOptions, addSortOptions, intOption, opSpecOf, readSpecFile, runAction, type CommandContext,
} from './command-context.ts';
import { seg } from './http-client.ts';
import { submitOperation } from './operation-watch.ts';
import { formatMap, formatMemoryMb, formatTime, renderKeyValues, type Column } from './output-format.ts';

const APPS_OPERATIONS = '/applications/operations';

export const APP_COLUMNS: Column<AppSummary>[] = [
  { header: 'Id', value: (a) => a.id },
  { header: 'Name', value: (a) => a.name },
  { header: 'State', value: (a) => a.state },
  { header: 'Total CPU', value: (a) => a.totalCPUs },
  { header: 'Total Memory', value: (a) => a.totalMemory, format: (v) => formatMemoryMb(v as number) },
  { header: 'Required', value: (a) => a.requiredInstances },
  { header: 'Healthy', value: (a) => a.healthyInstances },
  { header: 'Created', value: (a) => a.created, format: (v) => formatTime(v as number) },
  { header: 'Updated', value: (a) => a.updated, format: (v) => formatTime(v as number) },
  { header: 'Tags', value: (a) => formatMap(a.tags), wide: true },
];

/** Fetches all apps as a list (the API answers a map keyed by appId). */
export async function listApps(ctx: CommandContext): Promise<AppSummary[]> {
  const data = await ctx.client().api<Record<string, AppSummary>>('GET', '/applications');
  return Object.values(data ?? {});
}

export function appSummaryText(app: AppSummary): string {
  return renderKeyValues([
    ['Id', app.id],
    ['Name', app.name],
    ['State', app.state],
    ['Required Instances', app.requiredInstances],
    ['Healthy Instances', app.healthyInstances],
    ['Total CPUs', app.totalCPUs],
    ['Total Memory', formatMemoryMb(app.totalMemory)],
    ['Tags', formatMap(app.tags)],
    ['Created', formatTime(app.created)],
    ['Updated', formatTime(app.updated)],
  ]);
}

export function registerAppsCommands(program: Command): Command {
  const apps = program.command('apps').description('applications: list, inspect, create, deploy, scale, suspend, restart, destroy');

  addSortOptions(addOutputOptions(apps.command('list').description('list all applications')))
    .action(runAction(async (ctx, _args, opts) => {
      const list = await listApps(ctx);
      if (ctx.structured) return ctx.printData(list);
      ctx.printTable(list, APP_COLUMNS, opts, 'No applications (corral apps create SPEC_FILE adds one)');
    }));

  addOutputOptions(apps.command('summary').description('summary of one application').argument('<appId>'))
    .action(runAction(async (ctx, [appId]) => {
      const app = await ctx.client().api<AppSummary>('GET', `/applications/${seg(appId)}`);
      if (ctx.structured) return ctx.printData(app);
      ctx.print(appSummaryText(app));
    }));

  addOutputOptions(apps.command('spec').description('the application spec as submitted (secrets masked), as JSON (-o yaml: YAML)').argument('<appId>'))
    .action(runAction(async (ctx, [appId]) => {
      ctx.printData(await ctx.client().api('GET', `/applications/${seg(appId)}/spec`));
    }));

  addOperationOptions(apps.command('create').description('create an application from a JSON or YAML spec file ("-" = stdin)').argument('<specFile>'))
    .option('--instances <n>', `instances to start right away (default 0, at most ${MAX_INSTANCES})`, intOption('--instances', 0, MAX_INSTANCES))
    .action(runAction(async (ctx, [specFile], opts) => {
      const spec = readSpecFile(specFile);
      const body: Record<string, unknown> = { type: 'CREATE', spec, opSpec: opSpecOf(opts) };
      if (opts.instances !== undefined) body.instances = opts.instances;
      const label = `creation of app ${typeof spec.name === 'string' && typeof spec.version === 'string' ? `${spec.name}-${spec.version}` : `from ${specFile}`}`;
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(apps.command('destroy').description('destroy an application (it must be scaled to 0 first)').argument('<appId>'))
    .action(runAction(async (ctx, [appId], opts) => {
      const body = { type: 'DESTROY', appId, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label: `destruction of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(apps.command('deploy').description('start <instances> new instances of an application').argument('<appId>').argument('<instances>', `how many new instances (an app has at most ${MAX_INSTANCES})`, intOption('instances', 0, MAX_INSTANCES)))
    .action(runAction(async (ctx, [appId, instances], opts) => {
      const body = { type: 'START_INSTANCES', appId, instances: Number(instances), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label: `deployment of ${instances} new instance(s) of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(apps.command('scale').description('scale an application to exactly <instances> instances').argument('<appId>').argument('<instances>', `target instance count (at most ${MAX_INSTANCES})`, intOption('instances', 0, MAX_INSTANCES)))
    .action(runAction(async (ctx, [appId, instances], opts) => {
      const body = { type: 'SCALE', appId, requiredInstances: Number(instances), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label: `scale of ${appId} to ${instances}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(apps.command('suspend').description('stop all instances of an application (scale to 0)').argument('<appId>'))
    .action(runAction(async (ctx, [appId], opts) => {
      const body = { type: 'SUSPEND', appId, opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label: `suspension of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  addOperationOptions(apps.command('restart').description('rolling restart: replace every healthy instance').argument('<appId>'))
    .option('--stop-first', 'stop each old instance before starting its replacement')
    .action(runAction(async (ctx, [appId], opts) => {
      const body = { type: 'REPLACE_INSTANCES', appId, instanceIds: [], stopFirst: Boolean(opts.stopFirst), opSpec: opSpecOf(opts) };
      return (await submitOperation(ctx, { path: APPS_OPERATIONS, body, label: `restart of ${appId}`, wait: Boolean(opts.wait) })).code;
    }));

  apps.command('cancelop').description('cancel the operation running on an application (takes effect after the current step)').argument('<appId>')
    .action(runAction(async (ctx, [appId]) => {
      await ctx.client().api('POST', `${APPS_OPERATIONS}/${seg(appId)}/cancel`);
      ctx.print(`Cancel of the current operation on ${appId} requested`);
    }));

  return apps;
}
