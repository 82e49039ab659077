import { createHash, randomUUID } from 'node:crypto';

/** Names, versions, sourceAppName and taskId: `[A-Za-z0-9_-]*`, non-empty (docs/api.md §1.9). */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Longest name, version, sourceAppName or taskId accepted. Every such id must stay addressable
 * in a URL path segment: an appId (`{name}-{version}`) is at most `MAX_APP_ID_LENGTH`, which is
 * what the HTTP server allows a path parameter to be (docs/security.md, "Identifiers").
 */
export const MAX_IDENTIFIER_LENGTH = 128;
/** `{name}-{version}` of two maximal identifiers: the longest id a route parameter carries. */
export const MAX_APP_ID_LENGTH = 2 * MAX_IDENTIFIER_LENGTH + 1;

export function isIdentifier(value: string): boolean {
  return IDENTIFIER_PATTERN.test(value);
}

export function newAppInstanceId(): string {
  return `AI-${randomUUID()}`;
}

/** Local-service instance id (Drove: `SI-` + UUID v4). */
export function newLocalServiceInstanceId(): string {
  return `SI-${randomUUID()}`;
}

export function newTaskInstanceId(): string {
  return `TI-${randomUUID()}`;
}

export function newEventId(): string {
  return randomUUID();
}

export function newOperationId(): string {
  return `OP-${randomUUID()}`;
}

export function appIdOf(name: string, version: string): string {
  return `${name}-${version}`;
}

export function internalTaskId(sourceAppName: string, taskId: string): string {
  return `${sourceAppName}-${taskId}`;
}

/**
 * Executor id as Drove derives it: Java `UUID.nameUUIDFromBytes("{hostname}:{port}")`,
 * i.e. an MD5-based (version 3) UUID of those bytes with no namespace (which is why the
 * `uuid` package's namespaced v3 does not fit), so an executor keeps its id across restarts.
 */
export function executorIdOf(hostname: string, port: number): string {
  const bytes = createHash('md5').update(`${hostname}:${port}`, 'utf8').digest();
  bytes[6] = (bytes[6] & 0x0f) | 0x30;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
