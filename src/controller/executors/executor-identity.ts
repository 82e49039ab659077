/**
 * Executor identity (docs/security.md, "Executors"): an executor id is derived from hostname and
 * port, which any holder of the cluster secret can claim. What proves that a hello comes from the
 * executor that had the id before is its identity key — a random secret it created on its first
 * start and keeps in its data dir (`HelloMessage.identityKey`). The controller keeps only the key's
 * digest in the executor record.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../common/logger.ts';
import type { LiveExecutor } from './live-executor.ts';

/** A hello claimed the id of an executor that is still around, without its identity key. */
export class ExecutorIdentityConflictError extends Error {
  readonly code = 'EXECUTOR_IDENTITY_CONFLICT';
}

/** SHA-256 (hex) of an identity key; undefined for a hello that carried none (older executors). */
export function identityDigestOf(key: string | undefined): string | undefined {
  return key === undefined ? undefined : createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Throws ExecutorIdentityConflictError when `current` is bound to another identity and is not
 * LOST: connected, or disconnected for less than the lost grace period (a network blip must not
 * let anyone else in). A LOST executor's id may be taken by a new identity (a rebuilt machine).
 */
export function checkIdentity(current: LiveExecutor, digest: string | undefined, remoteAddress: string, log: Logger): void {
  const bound = current.record.identityDigest;
  if (bound === undefined || bound === digest || current.record.lostAt !== undefined) return;
  const id = current.record.executorId;
  log.warn({ executorId: id, remoteAddress }, 'hello refused: the executor id belongs to another executor that is not lost');
  throw new ExecutorIdentityConflictError(
    `executor id ${id} belongs to another executor (${current.connected ? 'connected' : 'recently seen'}); `
    + 'a second executor on the same host needs its own --port or --hostname');
}
