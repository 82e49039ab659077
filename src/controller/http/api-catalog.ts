/**
 * The API catalog: one entry per route the controller serves, keyed `METHOD path` (Fastify's
 * `:param` syntax), saying what the OpenAPI document (docs/api.md §4.13) tells about it. Request
 * bodies name the zod-generated schemas of api-schemas.ts; query strings are documentation-only
 * zod objects (query-params.ts reads them). Who may call a route is not repeated here: the
 * document reads it from the route's own `config.roles`.
 *
 * Every route must have an entry (test/controller/openapi.test.ts fails otherwise), so a new
 * route cannot silently be left out of the document. Routes that are not part of the API
 * contract (the executor channel, the documentation page) have a `hidden` entry saying why.
 *
 * The entries live in two sections, catalog-workload-routes.ts and catalog-cluster-routes.ts;
 * what an entry may say is catalog-entry.ts.
 */
import type { CatalogEntry } from './catalog-entry.ts';
import { CLUSTER_ROUTES } from './catalog-cluster-routes.ts';
import { WORKLOAD_ROUTES } from './catalog-workload-routes.ts';

/** The catalog. Keys: `METHOD /path/:param`; a trailing `*` matches every path with that prefix. */
export const API_CATALOG: Record<string, CatalogEntry> = { ...WORKLOAD_ROUTES, ...CLUSTER_ROUTES };

/** The catalog entry of a route, exact key first, then the longest matching prefix key. */
export function catalogEntry(method: string, url: string): CatalogEntry | undefined {
  const key = `${method} ${url}`;
  const exact = API_CATALOG[key];
  if (exact) return exact;
  let best: string | undefined;
  for (const candidate of Object.keys(API_CATALOG)) {
    if (candidate.endsWith('*') && key.startsWith(candidate.slice(0, -1)) && (!best || candidate.length > best.length)) best = candidate;
  }
  return best ? API_CATALOG[best] : undefined;
}
