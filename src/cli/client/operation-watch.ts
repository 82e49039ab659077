/**
 * Submitting operations and following them to their end (`--wait`, `ops watch`).
 *
 * Watch loop, per operation:
 *
 *   poll GET /operations/{id} ──▶ render progress ──▶ terminal? ──yes──▶ return record
 *        ▲                                              │no
 *        └──────────── pause (poll interval) ◀──────────┘
 *   poll fails with no leader / unreachable ──▶ re-find the leader, retry for up to 60 s
 *                                               (a restart or failover), then give up (exit 3/6)
 *   Ctrl-C ──▶ stdin is a TTY? ──no──▶ exit 130, the operation keeps running
 *                  │yes
 *                  ▼
 *         "abort it? [y]es gracefully / [f]orce / [N]o"
 *           y/f ──▶ POST /operations/abort, keep watching until it ends (CANCELLED → exit 9)
 *           n   ──▶ exit 130, the operation keeps running
 *           Ctrl-C again ──▶ exit 130
 *
 * Progress goes to stderr (operation-progress.ts: a line that fits the terminal when stderr is a
 * TTY, plain lines otherwise) so stdout carries only the outcome.
 */
import { createInterface } from 'node:readline/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { AbortMode, OperationRecord } from '../../api/operation-types.ts';
import type { CommandContext } from './command-context.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { HttpClient } from './http-client.ts';
import { seg } from './http-client.ts';
import { BarView, LineView, type ProgressView } from './operation-progress.ts';
import { formatSpan, formatTime } from './output-format.ts';

export const TERMINAL_OPERATION_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

/** How often the watch loop polls; tests shorten it through the environment. */
const POLL_MS = Number(process.env.CORRAL_CLI_POLL_MS) > 0 ? Number(process.env.CORRAL_CLI_POLL_MS) : 500;

export interface SubmitRequest {
  path: string;
  body: unknown;
  /** Human text for the acceptance line, e.g. "scale of orders-3 to 3". */
  label: string;
  wait?: boolean;
}

export interface SubmitAnswer {
  appId?: string;
  taskId?: string;
  operationId?: string;
}

/** Submits an operation, prints that it was accepted and, with `wait`, follows it. Returns the exit code. */
export async function submitOperation(ctx: CommandContext, request: SubmitRequest): Promise<{ code: number; answer: SubmitAnswer; record?: OperationRecord }> {
  const answer = (await ctx.client().api<SubmitAnswer>('POST', request.path, { body: request.body })) ?? {};
  ctx.print(`${capitalise(request.label)} accepted${answer.operationId ? ` (operation ${answer.operationId})` : ''}`);
  if (!request.wait) return { code: EXIT.OK, answer };
  if (!answer.operationId) {
    throw new CliError(EXIT.FAILED, 'the controller did not return an operationId, so --wait cannot follow it (a Drove controller?); poll the app or task instead');
  }
  const record = await watchOperation(ctx, answer.operationId);
  return { code: reportOutcome(ctx, record), answer, record };
}

/** Prints the final line of a watched operation and returns 0 only for COMPLETED. */
export function reportOutcome(ctx: CommandContext, record: OperationRecord): number {
  const took = record.finished ? ` after ${formatSpan(record.finished - record.created)}` : '';
  if (record.state === 'COMPLETED') {
    ctx.print(`Operation ${record.operationId} COMPLETED${took}`);
    return EXIT.OK;
  }
  const reason = record.result?.message || [...(record.messages ?? [])].reverse().find((m) => m.error)?.message;
  throw new CliError(EXIT.OPERATION_NOT_COMPLETED, `operation ${record.operationId} ended ${record.state}${took}${reason ? `: ${reason}` : ''}`);
}

/** Reads one operation; an unknown id is NOT_FOUND (the server answers 200 FAILED). */
export async function fetchOperation(client: HttpClient, operationId: string, signal?: AbortSignal): Promise<OperationRecord> {
  return client.api<OperationRecord>('GET', `/operations/${seg(operationId)}`, { signal });
}

export interface AbortResult {
  operationId: string;
  aborted: boolean;
  reason?: string;
}

/** POST /operations/abort; an empty id list means every active operation. */
export async function abortOperations(client: HttpClient, operationIds: string[], mode: AbortMode, deadline?: string): Promise<AbortResult[]> {
  const body: Record<string, unknown> = { operationIds, mode };
  if (deadline) body.deadline = deadline;
  const data = await client.api<{ results?: AbortResult[] }>('POST', '/operations/abort', { body });
  return data?.results ?? [];
}

/** Follows an operation until it is terminal, rendering progress; handles Ctrl-C as above. */
export async function watchOperation(ctx: CommandContext, operationId: string): Promise<OperationRecord> {
  const client = ctx.client();
  const newView = (): ProgressView => (process.stderr.isTTY ? new BarView(ctx.clock) : new LineView(ctx.clock));
  let view = newView();
  let pollAbort = new AbortController();
  let interrupted = false;
  let prompting = false;
  const onSigint = () => {
    if (prompting || interrupted) {
      view.stop();
      process.stderr.write(`\ncorral: interrupted; ${operationId} keeps running\n`);
      process.exit(EXIT.INTERRUPTED);
    }
    interrupted = true;
    pollAbort.abort();
  };
  process.on('SIGINT', onSigint);
  let shownMessages = 0;
  try {
    let lostSince: number | undefined;
    for (;;) {
      try {
        const record = await fetchOperation(client, operationId, pollAbort.signal);
        if (lostSince !== undefined) view.log(`reconnected to the leader after ${formatSpan(ctx.clock.now() - lostSince)}`);
        lostSince = undefined;
        for (const message of (record.messages ?? []).slice(shownMessages)) {
          view.log(`${formatTime(message.time)} ${message.error ? 'ERROR ' : ''}${message.message}`);
        }
        shownMessages = Math.max(shownMessages, record.messages?.length ?? 0);
        view.update(record);
        if (TERMINAL_OPERATION_STATES.has(record.state)) return record;
        await delay(POLL_MS, undefined, { signal: pollAbort.signal });
      } catch (error) {
        if (interrupted) {
          // handled below
        } else if (isTransient(error) && (lostSince === undefined || ctx.clock.now() - lostSince < RECONNECT_MS)) {
          // A controller restart or failover: operations survive it, so keep watching.
          if (lostSince === undefined) view.log(`lost the controller (${(error as CliError).message}); retrying for up to ${formatSpan(RECONNECT_MS)}…`);
          lostSince ??= ctx.clock.now();
          client.resetLeader();
          await delay(Math.max(POLL_MS, 1000), undefined, { signal: pollAbort.signal }).catch(() => undefined);
        } else {
          throw error;
        }
      }
      if (interrupted) {
        view.stop();
        prompting = true;
        const choice = await askAbort(operationId);
        prompting = false;
        if (choice === 'no') {
          throw new CliError(EXIT.INTERRUPTED, `stopped watching; ${operationId} keeps running (watch it again: corral ops watch ${operationId}; abort it: corral ops abort ${operationId})`);
        }
        const [result] = await abortOperations(client, [operationId], choice);
        ctx.note(result?.aborted === false
          ? `abort of ${operationId} refused: ${result.reason ?? 'no reason given'}`
          : `abort (${choice.toLowerCase()}) of ${operationId} requested; waiting for it to stop…`);
        interrupted = false;
        pollAbort = new AbortController();
        view = newView();
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
    view.stop();
  }
}

/** How long the watch keeps retrying while no leader answers (failover takes seconds). */
const RECONNECT_MS = 60_000;

function isTransient(error: unknown): boolean {
  return error instanceof CliError && (error.exitCode === EXIT.UNREACHABLE || error.exitCode === EXIT.NOT_LEADER);
}

/** Asks on the terminal whether to abort; without a terminal the answer is "no". */
async function askAbort(operationId: string): Promise<AbortMode | 'no'> {
  if (!process.stdin.isTTY) return 'no';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(`\nStop waiting. Abort operation ${operationId}? [y]es gracefully / [f]orce / [N]o, leave it running: `), closed]);
    const a = answer.trim().toLowerCase();
    if (a === 'y' || a === 'yes' || a === 'g') return 'GRACEFUL';
    if (a === 'f' || a === 'force') return 'FORCE';
    return 'no';
  } finally {
    rl.close();
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
