/**
 * The abort API (docs/operations.md, "Abort"; Contrail's abort job, docs/sources.md#contrail):
 * abort a list of operations — or every active one when the list is empty — GRACEFUL (nothing
 * new starts; with a deadline after which it becomes FORCE) or FORCE (work in flight interrupted,
 * what it started killed). Every kind is aborted the same way, through the engine, which records
 * the abort and hands it to the kind's aborter.
 */
import type { OperationAbortRequest } from '../../api/validation/index.ts';
import { ACTIVE_OPERATION_STATES, isActiveOperationState } from '../../api/operation-types.ts';
import type { Clock } from '../../common/clock.ts';
import { durationMillis } from '../../common/durations.ts';
import type { Store } from '../store/store.ts';
import type { AbortAnswer, OperationEngine } from './operation-engine.ts';

export class OperationAborts {
  private readonly engine: OperationEngine;
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(deps: { engine: OperationEngine; store: Store; clock: Clock }) {
    this.engine = deps.engine;
    this.store = deps.store;
    this.clock = deps.clock;
  }

  async abort(request: OperationAbortRequest, by: string): Promise<AbortAnswer[]> {
    const deadline = request.mode === 'GRACEFUL' && request.deadline ? this.clock.now() + durationMillis(request.deadline) : undefined;
    const ids = request.operationIds.length > 0 ? request.operationIds : await this.activeIds();
    const answers: AbortAnswer[] = [];
    for (const operationId of ids) {
      if (this.engine.get(operationId)) {
        answers.push(await this.engine.cancel(operationId, { kind: 'abort', by, mode: request.mode, deadline }));
        continue;
      }
      const record = await this.store.getOperation(operationId);
      if (!record) answers.push({ operationId, aborted: false, reason: `No operation found with id ${operationId}` });
      else if (!isActiveOperationState(record.state)) {
        answers.push({ operationId, aborted: false, reason: `Operation ${operationId} has already finished (${record.state})` });
      } else {
        answers.push({ operationId, aborted: false, reason: `Operation ${operationId} is not running on this controller (no ${record.target.kind} module)` });
      }
    }
    return answers;
  }

  private async activeIds(): Promise<string[]> {
    const active = await this.store.listOperations({ states: [...ACTIVE_OPERATION_STATES] });
    const ids = new Set(active.map((r) => r.operationId));
    for (const op of this.engine.list()) ids.add(op.operationId);
    return [...ids];
  }
}
