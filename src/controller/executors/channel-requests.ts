/**
 * Request/reply over the executor channel: ids, timeouts, and rejection when the executor
 * disconnects before answering.
 */
import { randomUUID } from 'node:crypto';
import type { ReplyMessage } from '../../api/channel-protocol.ts';

/** The executor is not connected (or its connection closed while a request was open). */
export class ExecutorNotConnectedError extends Error {
  readonly code = 'EXECUTOR_NOT_CONNECTED';
  readonly executorId: string;
  constructor(executorId: string, detail = 'is not connected') {
    super(`Executor ${executorId} ${detail}`);
    this.executorId = executorId;
  }
}

/** No reply within the timeout. */
export class ExecutorRequestTimeoutError extends Error {
  readonly code = 'EXECUTOR_REQUEST_TIMEOUT';
  constructor(executorId: string, action: string, timeoutMs: number) {
    super(`Executor ${executorId} did not answer ${action} within ${timeoutMs} ms`);
  }
}

/** The executor answered with `ok: false`; `status` is its HTTP-ish status (400, 404 …). */
export class ExecutorRequestError extends Error {
  readonly code = 'EXECUTOR_REQUEST_FAILED';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

interface OpenRequest {
  executorId: string;
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ChannelRequests {
  private readonly open = new Map<string, OpenRequest>();

  /** Registers a request; `send` transmits it and returns false when that was not possible. */
  start<T>(executorId: string, action: string, timeoutMs: number, send: (requestId: string) => boolean): Promise<T> {
    const requestId = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.open.delete(requestId);
        reject(new ExecutorRequestTimeoutError(executorId, action, timeoutMs));
      }, timeoutMs);
      this.open.set(requestId, { executorId, resolve: resolve as (data: unknown) => void, reject, timer });
      if (!send(requestId)) this.fail(requestId, new ExecutorNotConnectedError(executorId));
    });
  }

  /** Settles the request a reply answers; returns false for an unknown (late) reply. */
  settle(executorId: string, reply: ReplyMessage): boolean {
    const request = this.open.get(reply.requestId);
    if (!request || request.executorId !== executorId) return false;
    this.open.delete(reply.requestId);
    clearTimeout(request.timer);
    if (reply.ok) request.resolve(reply.data);
    else request.reject(new ExecutorRequestError(reply.error ?? 'executor request failed', reply.status ?? 500));
    return true;
  }

  /** Rejects every open request to one executor (its connection is gone). */
  failAll(executorId: string, detail: string): void {
    for (const [id, request] of this.open) {
      if (request.executorId === executorId) this.fail(id, new ExecutorNotConnectedError(executorId, detail));
    }
  }

  private fail(requestId: string, error: Error): void {
    const request = this.open.get(requestId);
    if (!request) return;
    this.open.delete(requestId);
    clearTimeout(request.timer);
    request.reject(error);
  }
}
