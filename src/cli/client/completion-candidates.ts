/**
 * `corral __complete KIND [CONTEXT]` (hidden): the ids the completion scripts offer, one per
 * line, fetched from the cluster with the connection options typed before the command. It never
 * fails loudly: no cluster configured, an unreachable one or a slow one (over COMPLETION_TIMEOUT_MS)
 * all print nothing and exit 0, so a Tab never prints an error into the command line.
 */
import type { Command } from 'commander';
import type { AppSummary, InstanceInfo } from '../../api/app-types.ts';
import type { ExecutorSummary } from '../../api/cluster-types.ts';
import type { OperationRecord } from '../../api/operation-types.ts';
import type { TaskInfo } from '../../api/task-types.ts';
import { resolveConnection } from './cluster-config.ts';
import { globalOptions } from './command-context.ts';
import { HttpClient, seg } from './http-client.ts';

/** A Tab should answer at once or not at all. */
const COMPLETION_TIMEOUT_MS = 3000;

/** The candidates for one kind of argument; `context` is the app id (instances) or source app (tasks). */
export async function completionCandidates(client: HttpClient, kind: string, context?: string): Promise<string[]> {
  switch (kind) {
    case 'app':
      return Object.keys((await client.api<Record<string, AppSummary>>('GET', '/applications')) ?? {});
    case 'instance':
      if (!context) return [];
      return ((await client.api<InstanceInfo[]>('GET', `/applications/${seg(context)}/instances`)) ?? []).map((i) => i.instanceId);
    case 'source':
      return [...new Set(((await client.api<TaskInfo[]>('GET', '/tasks')) ?? []).map((t) => t.sourceAppName))];
    case 'task':
      return ((await client.api<TaskInfo[]>('GET', '/tasks')) ?? []).filter((t) => !context || t.sourceAppName === context).map((t) => t.taskId);
    case 'operation':
      // Active ones first: they are what `ops watch` and `ops abort` are for.
      return ((await client.api<OperationRecord[]>('GET', '/operations', { query: { size: 100 } })) ?? [])
        .sort((a, b) => Number(Boolean(a.finished)) - Number(Boolean(b.finished)))
        .map((o) => o.operationId);
    case 'executor':
      return ((await client.api<ExecutorSummary[]>('GET', '/cluster/executors')) ?? []).map((e) => e.executorId);
    default:
      return [];
  }
}

export function registerCompletionCandidates(program: Command): void {
  program.command('__complete', { hidden: true })
    .description('ids for shell completion (used by the completion scripts)')
    .argument('<kind>').argument('[context]')
    .action(async (kind: string, context: string | undefined, _opts: unknown, command: Command) => {
      const timer = setTimeout(() => process.exit(0), COMPLETION_TIMEOUT_MS);
      try {
        const client = new HttpClient(resolveConnection(globalOptions(command)));
        const ids = await completionCandidates(client, kind, context || undefined);
        if (ids.length) process.stdout.write(`${ids.sort().join('\n')}\n`);
      } catch {
        // Nothing to offer: see the file comment.
      }
      clearTimeout(timer);
    });
}
