/**
 * Unknown ids: one exit code (7, NOT_FOUND) and one kind of message everywhere, saying what does
 * exist. The controller says "not found" in several ways — `App web-2 not found` (200 FAILED),
 * `Command validation failure: No state found for app: web-2` (400, for every app operation),
 * `Either task does not exist or has already finished`, an empty instance list — so rather than
 * parse those, the CLI asks: when a command that names objects fails, it looks each named object
 * up (from the command's argument names: `<appId>`, `<instanceId>`, `<sourceAppName> <taskId>`,
 * `<operationId>`, `<executorId>`) and, if one is missing, reports that one.
 */
import type { Command } from 'commander';
import type { CommandContext } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { seg } from './http-client.ts';

/** An object a command names on its command line. */
export type Subject =
  | { kind: 'app'; appId: string }
  | { kind: 'instance'; appId: string; instanceId: string }
  | { kind: 'task'; sourceAppName: string; taskId: string }
  | { kind: 'operation'; operationId: string }
  | { kind: 'executor'; executorId: string };

/** At most this many ids are listed in a hint; more are counted. */
const LISTED = 6;

/** The objects named by a command's arguments, in the order they should be checked. */
export function subjectsOf(command: Command): Subject[] {
  const names = command.registeredArguments.map((a) => a.name());
  const values = command.processedArgs as unknown[];
  const value = (name: string): string[] => {
    const v = values[names.indexOf(name)];
    return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
  };
  const subjects: Subject[] = [];
  const [appId] = value('appId');
  if (appId !== undefined) {
    subjects.push({ kind: 'app', appId });
    for (const instanceId of [...value('instanceId'), ...value('instanceIds')]) subjects.push({ kind: 'instance', appId, instanceId });
  }
  const [sourceAppName] = value('sourceAppName');
  if (sourceAppName !== undefined) {
    for (const taskId of [...value('taskId'), ...value('taskIds')]) subjects.push({ kind: 'task', sourceAppName, taskId });
  }
  for (const operationId of [...value('operationId'), ...value('operationIds')]) subjects.push({ kind: 'operation', operationId });
  for (const executorId of [...value('executorId'), ...value('executorIds')]) subjects.push({ kind: 'executor', executorId });
  return subjects;
}

function lookupPath(subject: Subject): string {
  switch (subject.kind) {
    case 'app': return `/applications/${seg(subject.appId)}`;
    case 'instance': return `/applications/${seg(subject.appId)}/instances/${seg(subject.instanceId)}`;
    case 'task': return `/tasks/${seg(subject.sourceAppName)}/instances/${seg(subject.taskId)}`;
    case 'operation': return `/operations/${seg(subject.operationId)}`;
    case 'executor': return `/cluster/executors/${seg(subject.executorId)}`;
  }
}

/** True if it exists, false if the controller says it does not, undefined if it cannot tell. */
async function exists(ctx: CommandContext, subject: Subject): Promise<boolean | undefined> {
  try {
    await ctx.client().api('GET', lookupPath(subject));
    return true;
  } catch (error) {
    return error instanceof CliError && error.exitCode === EXIT.NOT_FOUND ? false : undefined;
  }
}

/** `web-1, web-2 (corral apps list)`, or how many there are when the list is long. */
async function existingIds(ctx: CommandContext, path: string, idOf: (item: Record<string, unknown>) => unknown): Promise<string[] | undefined> {
  try {
    const data = await ctx.client().api<unknown>('GET', path);
    const items = Array.isArray(data) ? data : Object.values((data ?? {}) as Record<string, unknown>);
    return items.map((item) => String(idOf(item as Record<string, unknown>))).sort();
  } catch {
    return undefined;
  }
}

function listing(ids: string[] | undefined, plural: string, command: string, none: string): string {
  if (ids === undefined) return `see ${command}`;
  if (ids.length === 0) return none;
  if (ids.length > LISTED) return `${ids.length} ${plural} exist: ${command}`;
  return `the ${plural} are ${ids.join(', ')} (${command})`;
}

/** The NOT_FOUND error for a missing object: what is missing, and what exists instead. */
export async function missingError(ctx: CommandContext, subject: Subject): Promise<CliError> {
  switch (subject.kind) {
    case 'app': {
      const ids = await existingIds(ctx, '/applications', (a) => a.id);
      return new CliError(EXIT.NOT_FOUND, `no app ${subject.appId}; ${listing(ids, 'apps', 'corral apps list', 'there are no apps yet (corral apps create SPEC_FILE adds one)')}`);
    }
    case 'instance':
      return new CliError(EXIT.NOT_FOUND, `no instance ${subject.instanceId} of app ${subject.appId}; see corral appinstances list ${subject.appId} (--old for stopped ones)`);
    case 'task':
      return new CliError(EXIT.NOT_FOUND, `no task ${subject.sourceAppName}/${subject.taskId}; see corral tasks list (active tasks) or corral cluster events --type TASK_STATE_CHANGE`);
    case 'operation':
      return new CliError(EXIT.NOT_FOUND, `no operation ${subject.operationId}; see corral ops list`);
    case 'executor': {
      const ids = await existingIds(ctx, '/cluster/executors', (e) => e.executorId);
      return new CliError(EXIT.NOT_FOUND, `no executor ${subject.executorId}; ${listing(ids, 'executors', 'corral executor list', 'no executor has registered')}`);
    }
  }
}

/** The first of `subjects` the controller says does not exist, if any. */
export async function firstMissing(ctx: CommandContext, subjects: readonly Subject[]): Promise<Subject | undefined> {
  for (const subject of subjects) {
    const found = await exists(ctx, subject);
    if (found === false) return subject;
    // An app that is missing makes its instances missing too; one that exists says nothing of them.
    if (found === undefined) return undefined;
  }
  return undefined;
}

/**
 * For a failed command: if an object it names does not exist, the NOT_FOUND error for it;
 * otherwise the original error. Only rejections (exit 1) and not-found answers (exit 7) are
 * looked into; an unreachable controller or a refused login says nothing about the ids.
 */
export async function explainMissing(ctx: CommandContext, command: Command, error: unknown): Promise<unknown> {
  if (!(error instanceof CliError) || (error.exitCode !== EXIT.FAILED && error.exitCode !== EXIT.NOT_FOUND)) return error;
  const missing = await firstMissing(ctx, subjectsOf(command));
  return missing ? missingError(ctx, missing) : error;
}
