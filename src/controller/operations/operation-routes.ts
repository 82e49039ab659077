/**
 * Operations as jobs (corral, issue 5): list and read operation records (application and task
 * operations alike), and abort them. `POST /apis/v1/operations` (no suffix) is the deprecated
 * application submit path and is registered by the applications module.
 */
import type { FastifyInstance } from 'fastify';
import type { OperationState } from '../../api/operation-types.ts';
import { parseOperationAbort } from '../../api/validation/index.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError } from '../../common/errors.ts';
import type { ControllerContext } from '../context.ts';
import { queryInteger, queryString } from '../http/query-params.ts';
import type { OperationAborts } from './operation-abort.ts';
import type { OperationEngine } from './operation-engine.ts';
import { FINISHED_OPERATION_STATES, renderOperation } from './operation-record.ts';

const STATE_FILTERS: Record<string, OperationState[]> = {
  ACTIVE: ['QUEUED', 'RUNNING', 'CANCELLING'],
  FINISHED: [...FINISHED_OPERATION_STATES],
};
/** Types an operation record can have: the wire types of apps and tasks plus the internal ones. */
const OPERATION_TYPES = [
  'CREATE', 'START_INSTANCES', 'SCALE', 'SUSPEND', 'STOP_INSTANCES', 'REPLACE_INSTANCES', 'DESTROY', 'RECOVER',
  'BLACKLIST_MOVE', 'KILL',
];
const DEFAULT_PAGE = 100;
const MAX_PAGE = 10_000;

type Query = Record<string, string | string[] | undefined>;

export function registerOperationRoutes(app: FastifyInstance, ctx: ControllerContext, engine: OperationEngine, aborts: OperationAborts): void {
  app.get('/apis/v1/operations', { config: { roles: 'ANY' } }, async (request) => {
    const query = request.query as Query;
    const state = queryString(query, 'state');
    if (state !== undefined && !STATE_FILTERS[state]) throw new CommandValidationError(`state must be ACTIVE or FINISHED, got "${state}"`);
    const type = queryString(query, 'type');
    if (type !== undefined && !OPERATION_TYPES.includes(type)) {
      throw new CommandValidationError(`type must be one of ${OPERATION_TYPES.join(', ')} (upper-case), got "${type}"`);
    }
    const from = queryInteger(query, 'from', 0, { min: 0 });
    const size = queryInteger(query, 'size', DEFAULT_PAGE, { min: 0, max: MAX_PAGE });
    if (size === 0) return success([]);
    const records = await ctx.store.listOperations({
      states: state ? STATE_FILTERS[state] : undefined,
      appId: queryString(query, 'appId'),
      type,
      offset: from,
      limit: size,
    });
    // Active application operations are fresher in memory (their checkpoints are written coalesced).
    return success(records.map((r) => renderOperation(engine.get(r.operationId)?.record ?? r)));
  });

  app.get<{ Params: { operationId: string } }>('/apis/v1/operations/:operationId', { config: { roles: 'ANY' } }, async (request) => {
    const { operationId } = request.params;
    const record = engine.get(operationId)?.record ?? await ctx.store.getOperation(operationId);
    if (!record) throw new LookupFailedError(`No operation found with id ${operationId}`);
    return success(renderOperation(record));
  });

  app.post('/apis/v1/operations/abort', { config: { roles: 'RW' } }, async (request) => {
    const abort = parseOperationAbort(request.body);
    const results = await aborts.abort(abort, request.principal.username);
    return success({ results });
  });
}
