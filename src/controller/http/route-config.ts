/**
 * What a route declares about itself in its Fastify `config` (see src/controller/controller-module.ts
 * for the route conventions), and the caller the auth hook puts on every request.
 */
import type { Principal } from '../../api/auth-types.ts';

/** Role groups of docs/api.md §1.5 used on routes; INSTANCE = instance tokens only (§4.10). */
export type RoleGroup = 'ANY' | 'RW' | 'MAINT' | 'LOGS' | 'INSTANCE';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (docs/api.md §1.5). Routes without it are refused (403) for safety. */
    roles?: RoleGroup;
    /** Skip authentication (only `/metrics` and the executor channel, which has its own). */
    public?: boolean;
    /** Also accept an HTML form body (`application/x-www-form-urlencoded`), as Drove's UI sends (task search). */
    formBody?: boolean;
    /**
     * Answered by a follower controller too (docs/ha.md): `GET /apis/v1/cluster`, whose
     * `data.leader` names the leader on every node. Every other route is the leader's.
     */
    followerServes?: boolean;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}
