/**
 * The executor's identity key (docs/security.md, "Executors"): a random secret created on the
 * first start and kept in `<data-dir>/identity.key` (mode 0600). Every hello carries it, so the
 * controller can tell a restart of this executor — same data dir, same key, it re-attaches to its
 * workloads — from a second process that merely claims the same hostname and port.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const FILE = 'identity.key';
const MIN_LENGTH = 32;

const newKey = (): string => randomBytes(32).toString('base64url');

/** Reads the data dir's key, creating it on first use; `memoryOnly` (simulation) keeps a fresh one in memory. */
export async function loadIdentityKey(dataDir: string, memoryOnly = false): Promise<string> {
  if (memoryOnly) return newKey();
  const file = path.join(dataDir, FILE);
  const existing = (await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  })).trim();
  if (existing.length >= MIN_LENGTH) return existing;
  const key = newKey();
  // The data dir is locked by this agent, so no other writer races this one.
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}
