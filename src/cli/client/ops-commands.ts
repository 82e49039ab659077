/** `corral ops …`: corral's persisted operations (jobs): list, show, watch, abort. */
import { Option, type Command } from 'commander';
import type { OperationRecord, OperationTarget } from '../../api/operation-types.ts';
import { addOutputOptions, addSortOptions, durationOption, intOption, runAction } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { firstMissing, missingError } from './missing-objects.ts';
import { abortOperations, fetchOperation, reportOutcome, watchOperation } from './operation-watch.ts';
import { formatSpan, formatTime, renderKeyValues, section, type Column } from './output-format.ts';

export function targetText(target: OperationTarget | undefined): string {
  if (!target) return '';
  switch (target.kind) {
    case 'app':
      return target.appId;
    case 'localservice':
      return target.serviceId;
    default:
      return `${target.sourceAppName}/${target.taskId}`;
  }
}

function progressText(op: OperationRecord): string {
  const p = op.progress;
  if (!p) return '';
  return `${p.done}/${p.total}${p.failed ? ` (${p.failed} failed)` : ''}${p.inFlight ? ` +${p.inFlight}` : ''}`;
}

export const OPERATION_COLUMNS: Column<OperationRecord>[] = [
  { header: 'Id', value: (o) => o.operationId },
  { header: 'Type', value: (o) => o.type },
  { header: 'Target', value: (o) => targetText(o.target) },
  { header: 'State', value: (o) => o.state },
  { header: 'Progress', value: (o) => progressText(o) },
  { header: 'By', value: (o) => o.createdBy ?? '' },
  { header: 'Created', value: (o) => o.created, format: (v) => formatTime(v as number) },
  { header: 'Took', value: (o) => (o.finished ? o.finished - o.created : undefined), format: (v) => (v === undefined ? '' : formatSpan(v as number)) },
  { header: 'Updated', value: (o) => o.updated, format: (v) => formatTime(v as number), wide: true },
  { header: 'Result', value: (o) => o.result?.message ?? '', wide: true },
];

export function operationText(op: OperationRecord): string {
  const head = renderKeyValues([
    ['Operation Id', op.operationId],
    ['Type', op.type],
    ['Target', `${op.target?.kind ?? ''} ${targetText(op.target)}`.trim()],
    ['State', op.state],
    ['Progress', op.progress ? `${op.progress.done} done, ${op.progress.failed} failed, ${op.progress.inFlight} in flight, of ${op.progress.total}` : ''],
    ['Op Spec', op.opSpec ? `timeout ${typeof op.opSpec.timeout === 'string' ? op.opSpec.timeout : `${op.opSpec.timeout.count} ${op.opSpec.timeout.unit}`}, parallelism ${op.opSpec.parallelism}, ${op.opSpec.failureStrategy}` : undefined],
    ['Created By', op.createdBy],
    ['Created', formatTime(op.created)],
    ['Updated', formatTime(op.updated)],
    ['Finished', op.finished ? `${formatTime(op.finished)} (took ${formatSpan(op.finished - op.created)})` : undefined],
    ['Aborted', op.abortedBy ? `by ${op.abortedBy} (${op.abortMode ?? ''}) at ${formatTime(op.abortedAt)}` : undefined],
    ['Result', op.result ? `${op.result.status}${op.result.message ? `: ${op.result.message}` : ''}` : undefined],
  ]);
  const messages = (op.messages ?? []).map((m) => `${formatTime(m.time)}  ${m.error ? 'ERROR ' : ''}${m.message}`).join('\n');
  return `${head}\n${section('Messages', messages)}`;
}

export function registerOpsCommands(program: Command): Command {
  const ops = program.command('ops').description('operations (jobs): list, show, watch, abort');

  addSortOptions(addOutputOptions(ops.command('list').description('operations, newest first')))
    .addOption(new Option('--state <state>', 'ACTIVE or FINISHED').choices(['ACTIVE', 'FINISHED']))
    .option('--app <appId>', 'only operations on this app')
    .option('--type <type>', 'only this operation type, e.g. SCALE')
    .addOption(new Option('--from <n>', 'skip this many').argParser(intOption('--from', 0)))
    .addOption(new Option('--size <n>', 'at most this many').argParser(intOption('--size', 1)).default(50))
    .action(runAction(async (ctx, _args, opts) => {
      const query = { state: opts.state as string | undefined, appId: opts.app as string | undefined, type: opts.type as string | undefined, from: opts.from as number | undefined, size: opts.size as number };
      const list = (await ctx.client().api<OperationRecord[]>('GET', '/operations', { query })) ?? [];
      if (ctx.structured) return ctx.printData(list);
      const kind = [query.state?.toLowerCase(), query.type].filter(Boolean).join(' ');
      ctx.printTable(list, OPERATION_COLUMNS, opts, `No ${kind ? `${kind} ` : ''}operations${query.appId ? ` on ${query.appId}` : ''}`);
    }));

  addOutputOptions(ops.command('show').description('one operation with its progress, messages and result').argument('<operationId>'))
    .action(runAction(async (ctx, [operationId]) => {
      const op = await fetchOperation(ctx.client(), operationId);
      if (ctx.structured) return ctx.printData(op);
      ctx.print(operationText(op));
    }));

  ops.command('watch').description('follow an operation to its end with live progress; exit 0 only if it COMPLETED').argument('<operationId>')
    .action(runAction(async (ctx, [operationId]) => reportOutcome(ctx, await watchOperation(ctx, operationId))));

  ops.command('abort').description('abort operations: gracefully (finish steps in flight) or --force; no ids = every active one').argument('[operationIds...]')
    .option('--force', 'interrupt steps in flight and kill what they started')
    .addOption(new Option('--deadline <duration>', 'graceful abort becomes forced after this long, e.g. 30s').argParser(durationOption('--deadline')))
    .action(runAction(async (ctx, [ids], opts) => {
      const operationIds = (ids as unknown as string[] | undefined) ?? [];
      if (opts.force && opts.deadline) throw new CliError(EXIT.USAGE, '--deadline applies to graceful aborts only; drop it or drop --force');
      const results = await abortOperations(ctx.client(), operationIds, opts.force ? 'FORCE' : 'GRACEFUL', opts.deadline as string | undefined);
      if (results.length === 0) ctx.print(operationIds.length ? 'Nothing aborted' : 'No active operations to abort');
      for (const r of results) ctx.print(`${r.operationId}: ${r.aborted ? `abort (${opts.force ? 'force' : 'graceful'}) requested` : `not aborted${r.reason ? ` (${r.reason})` : ''}`}`);
      const refused = results.filter((r) => !r.aborted);
      if (refused.length === 0) return EXIT.OK;
      const missing = await firstMissing(ctx, refused.map((r) => ({ kind: 'operation', operationId: r.operationId })));
      if (missing) throw await missingError(ctx, missing);
      return EXIT.FAILED;
    }));

  return ops;
}
