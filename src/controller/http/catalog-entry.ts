/**
 * What the API catalog (api-catalog.ts) says of one route: its place in the OpenAPI document, or
 * why it is left out; and the groups (tags) the document shows routes under.
 */
import type { z } from 'zod';
import type { RoleGroup } from './route-config.ts';
import type { ComponentName } from './api-schemas.ts';

/** Groups of operations in the document, in display order. */
export const API_TAGS = [
  { name: 'Applications', description: 'Drove application operations and reads (docs/api.md §2).' },
  { name: 'Local services', description: 'Drove local services: instancesPerHost instances on every executor (docs/api.md §8).' },
  { name: 'Tasks', description: 'Drove one-shot tasks, plus corral\'s abort and node-filter fan-out (docs/api.md §3).' },
  { name: 'Operations', description: 'corral: every operation is a persisted job that can be listed and aborted (docs/api.md §11).' },
  { name: 'Cluster', description: 'Ping, summary, maintenance mode, node-filter dry run (docs/api.md §4).' },
  { name: 'Executors', description: 'Executor list, details, blacklisting (docs/api.md §4.4–§4.6).' },
  { name: 'Events', description: 'Drove\'s event polling endpoints and corral\'s event stream (docs/api.md §4.8).' },
  { name: 'Endpoints', description: 'Service discovery for gateways (docs/api.md §4.9).' },
  { name: 'Instances', description: 'The API application instances call with their own token (docs/api.md §4.10).' },
  { name: 'Log files', description: 'Log files of tasks, application and local-service instances, outside the envelope (docs/api.md §5).' },
  { name: 'Meta', description: 'This document and the controller\'s metrics (docs/api.md §4.13, §4.14).' },
] as const;

export type ApiTag = (typeof API_TAGS)[number]['name'];

/** What a documented route answers with. */
export type ResponseKind = 'envelope' | 'json' | 'text' | 'file' | 'event-stream';

export interface DocumentedRoute {
  summary: string;
  tag: ApiTag;
  /** Section of docs/api.md that describes the route, e.g. `2.1`. */
  section: string;
  /** corral's addition: Drove has no such route. */
  corral?: boolean;
  deprecated?: boolean;
  /** More than the summary: behaviour a client depends on. */
  description?: string;
  /** Request body (a component of api-schemas.ts). */
  body?: ComponentName;
  /** The body may be left out (an empty body means `{}`). */
  bodyOptional?: boolean;
  /** Query parameters; repeated parameters are arrays. */
  query?: z.ZodObject;
  /** Answers by HTTP status; 401/403 are added for every authenticated route. */
  responses: Record<number, string>;
  /** Default `envelope`. */
  produces?: ResponseKind;
  /** A 400 here is a bare `FAILED` message, not a validation failure with `validationErrors`. */
  plainRefusal?: boolean;
}

export interface HiddenRoute {
  /** Why the route is not in the document. */
  hidden: string;
  /** Role group for routes registered by a plugin that cannot declare one itself. */
  assignRoles?: RoleGroup;
  /** Answer 401 with `WWW-Authenticate: Basic` so a browser asks for credentials. */
  challenge?: boolean;
}

export type CatalogEntry = DocumentedRoute | HiddenRoute;

export function isHidden(entry: CatalogEntry): entry is HiddenRoute {
  return 'hidden' in entry;
}
