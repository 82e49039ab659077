/**
 * `startTask` messages leave once per turn of the event loop, one frame per executor: under
 * load several CREATEs finish in the same turn (four on average in the task benchmark), and
 * every frame cost a socket write here and a read and a parse on the executor. Executors that
 * did not announce `startTasks` in their hello get one `startTask` frame each, at once.
 *
 *   send ─▶ executor announced startTasks? ─no──▶ `startTask` now
 *                 │ yes
 *                 ▼
 *           queued per executor ─(end of the turn)─▶ `startTask` (one queued) or `startTasks`
 *
 * A `startTasks` frame holds at most FRAME_BUDGET_BYTES of starts (by their inline config
 * content, the only large part): starts with big configs travel in frames of their own, so no
 * frame nears the channel's limit.
 */
import type { StartTaskMessage } from '../../api/channel-protocol.ts';
import { FEATURE_START_TASKS } from '../../api/channel-protocol.ts';
import type { ControllerContext } from '../context.ts';

/** How much start content one `startTasks` frame carries at most. */
const FRAME_BUDGET_BYTES = 16 * 1024 * 1024;
/** What a start weighs besides its inline configs (ids, spec, allocation). */
const START_OVERHEAD_BYTES = 4096;

function weight(message: StartTaskMessage): number {
  let bytes = START_OVERHEAD_BYTES;
  for (const config of message.spec.configs ?? []) if (config.type === 'INLINE') bytes += config.data.length;
  return bytes;
}

interface QueuedStart {
  message: StartTaskMessage;
  /** Called once the frame went out, with the executor's connection number at that moment. */
  sent: (connection: number) => void;
}

export class TaskStartSender {
  private readonly ctx: ControllerContext;
  private readonly connectionOf: (executorId: string) => number;
  private readonly queues = new Map<string, QueuedStart[]>();
  private scheduled: NodeJS.Immediate | undefined;

  constructor(ctx: ControllerContext, connectionOf: (executorId: string) => number) {
    this.ctx = ctx;
    this.connectionOf = connectionOf;
  }

  /** Sends now, or at the end of this turn together with the other starts for the executor. */
  send(executorId: string, message: StartTaskMessage, sent: (connection: number) => void): void {
    if (!this.ctx.executors.get(executorId)?.features?.includes(FEATURE_START_TASKS)) {
      const connection = this.connectionOf(executorId);
      if (this.ctx.executors.send(executorId, message)) sent(connection);
      return;
    }
    const queue = this.queues.get(executorId);
    if (queue) queue.push({ message, sent });
    else this.queues.set(executorId, [{ message, sent }]);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends everything queued (end of the turn, and module stop). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const [executorId, queue] of this.queues) {
      const connection = this.connectionOf(executorId);
      for (const frame of frames(queue)) {
        const ok = frame.length === 1
          ? this.ctx.executors.send(executorId, frame[0].message)
          : this.ctx.executors.send(executorId, { type: 'startTasks', tasks: frame.map(({ message: { type: _type, ...start } }) => start) });
        // Not sent (executor away): the snapshot after its reconnect makes the placement send again.
        if (ok) for (const start of frame) start.sent(connection);
      }
    }
    this.queues.clear();
  }
}

/** The queued starts cut into frames of at most FRAME_BUDGET_BYTES (a heavier start goes alone). */
function frames(queue: QueuedStart[]): QueuedStart[][] {
  const result: QueuedStart[][] = [];
  let current: QueuedStart[] = [];
  let bytes = 0;
  for (const start of queue) {
    const size = weight(start.message);
    if (current.length > 0 && bytes + size > FRAME_BUDGET_BYTES) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(start);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
