/**
 * Operations as jobs (docs/operations.md): list and read operation records of every kind, and
 * abort them. `POST /apis/v1/operations` (no suffix) is the deprecated application submit path
 * and is registered by the applications module.
 */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_OPERATION_STATES, FINISHED_OPERATION_STATES, type OperationState } from '../../api/operation-types.ts';
import { parseOperationAbort } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError } from '../../common/errors.ts';
import type { Store } from '../store/store.ts';
import { queryInteger, queryString } from '../http/query-params.ts';
import type { OperationAborts } from './operation-aborts.ts';
import type { OperationEngine } from './operation-engine.ts';
import { renderOperation } from './operation-record.ts';

const STATE_FILTERS: Record<string, readonly OperationState[]> = {
  ACTIVE: ACTIVE_OPERATION_STATES,
  FINISHED: FINISHED_OPERATION_STATES,
};
const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;

type Query = Record<string, string | string[] | undefined>;

export interface OperationRouteDeps {
  store: Store;
  engine: OperationEngine;
  aborts: OperationAborts;
  /** Operation types a `type` filter may name (every registered kind's, plus internal ones). */
  types(): string[];
}

export function registerOperationRoutes(app: FastifyInstance, deps: OperationRouteDeps): void {
  const { store, engine, aborts } = deps;

  app.get('/apis/v1/operations', { config: { roles: 'ANY' } }, async (request) => {
    const query = request.query as Query;
    const state = queryString(query, 'state');
    if (state !== undefined && !STATE_FILTERS[state]) throw new CommandValidationError(`state must be ACTIVE or FINISHED, got "${state}"`);
    const type = queryString(query, 'type');
    const types = deps.types();
    if (type !== undefined && !types.includes(type)) {
      throw new CommandValidationError(`type must be one of ${types.join(', ')} (upper-case), got "${type}"`);
    }
    const from = queryInteger(query, 'from', 0, { min: 0 });
    const size = queryInteger(query, 'size', DEFAULT_PAGE, { min: 0, max: MAX_PAGE });
    if (size === 0) return success([]);
    const records = await store.listOperations({
      states: state ? [...STATE_FILTERS[state]] : undefined,
      appId: queryString(query, 'appId'),
      type,
      offset: from,
      limit: size,
    });
    // Active operations are fresher in memory (their progress is written coalesced).
    return success(records.map((r) => renderOperation(engine.get(r.operationId)?.record ?? r)));
  });

  app.get<{ Params: { operationId: string } }>('/apis/v1/operations/:operationId', { config: { roles: 'ANY' } }, async (request) => {
    const { operationId } = request.params;
    const record = engine.get(operationId)?.record ?? await store.getOperation(operationId);
    if (!record) throw new LookupFailedError(`No operation found with id ${operationId}`);
    return success(renderOperation(record));
  });

  app.post('/apis/v1/operations/abort', { config: { roles: 'RW' } }, async (request) => {
    const abort = parseOperationAbort(request.body);
    const results = await aborts.abort(abort, request.principal.username);
    return success({ results });
  });
}
