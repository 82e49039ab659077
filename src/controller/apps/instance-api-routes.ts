/**
 * The instance-facing API (docs/api.md §4.10): `GET /apis/v1/internal/instances`, called by an
 * application instance with its own token (`App-Instance-Authorization:
 * $DROVE_APP_INSTANCE_AUTH_TOKEN`) to find its siblings. The token must speak for an instance
 * this controller knows, of that app, on that executor, that has not ended.
 */
import type { FastifyInstance } from 'fastify';
import { ACTIVE_INSTANCE_STATES, RUNNING_INSTANCE_STATES, type InstanceRecord } from '../../api/app-types.ts';
import { success } from '../../common/envelope.ts';
import { CommandValidationError, LookupFailedError } from '../../common/errors.ts';
import { queryBoolean, queryList } from '../http/query-params.ts';
import { TERMINAL_INSTANCE_STATES, type AppModel } from './app-model.ts';
import { instanceInfo } from './app-views.ts';

type Query = Record<string, string | string[] | undefined>;

/** Drove's words, "you" included: clients may match on them. */
export const INVALID_INSTANCE_TOKEN = 'Please send valid token for you app instance. The token value is available in the DROVE_APP_INSTANCE_AUTH_TOKEN environment variable';

export function registerInstanceApiRoutes(app: FastifyInstance, model: AppModel): void {
  app.get('/apis/v1/internal/instances', { config: { roles: 'INSTANCE' } }, async (request) => {
    const query = request.query as Query;
    const states = queryList(query, 'state');
    const unknown = states.filter((s) => !ACTIVE_INSTANCE_STATES.has(s as InstanceRecord['state']));
    if (unknown.length > 0) throw new CommandValidationError(unknown.map((s) => `state has an unknown value "${s}" (use upper-case instance states such as HEALTHY)`));
    const forApp = queryBoolean(query, 'forApp', false);

    const caller = request.principal.instance;
    const own = caller ? model.instance(caller.instanceId) : undefined;
    if (!caller || !own || own.appId !== caller.appId || own.executorId !== caller.executorId || TERMINAL_INSTANCE_STATES.has(own.state)) {
      throw new LookupFailedError(INVALID_INSTANCE_TOKEN);
    }
    const wanted = states.length > 0 ? new Set(states) : RUNNING_INSTANCE_STATES;
    const appIds = forApp ? model.listApps().filter((a) => a.spec.name === own.appName).map((a) => a.appId) : [own.appId];
    const list = appIds.flatMap((appId) => model.instances(appId)).filter((i) => wanted.has(i.state));
    list.sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
    return success(list.map(instanceInfo));
  });
}
