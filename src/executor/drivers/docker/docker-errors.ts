/**
 * Named errors of the docker driver. Each carries a stable `code`; the message is meant for
 * people (it ends up in instance/task history as the reason a workload failed), so it names
 * the image, container, path or port at fault and never carries a stack trace.
 */

export type DockerDriverErrorCode =
  | 'ENGINE_UNAVAILABLE'
  | 'INVALID_SPEC'
  | 'IMAGE_PULL_FAILED'
  | 'IMAGE_PULL_TIMEOUT'
  | 'CONTAINER_CREATE_FAILED'
  | 'CONTAINER_START_FAILED'
  | 'CONTAINER_STOP_FAILED'
  | 'CONTAINER_REMOVE_FAILED'
  | 'EXEC_FAILED'
  | 'REAPER_NOT_CONFIGURED';

export class DockerDriverError extends Error {
  readonly code: DockerDriverErrorCode;
  constructor(code: DockerDriverErrorCode, message: string) {
    super(message);
    this.name = 'DockerDriverError';
    this.code = code;
  }
}

/** The shape docker-modem gives HTTP errors from the engine. */
interface EngineError {
  statusCode?: number;
  json?: { message?: string; cause?: string } | null;
  message?: string;
  code?: string;
}

/** HTTP status of an engine error, if it was one. */
export function engineStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as EngineError).statusCode : undefined;
}

/**
 * The engine's own words for an error, without docker-modem's "(HTTP code 500) server error -"
 * prefix, so messages read like the CLI's.
 */
export function engineMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as EngineError;
  const fromJson = e.json?.message;
  if (typeof fromJson === 'string' && fromJson.trim()) return fromJson.trim();
  const text = e.message ?? String(error);
  return text.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

export function isNotFound(error: unknown): boolean {
  return engineStatus(error) === 404;
}
