/** Resolves a spec's `userSpec` (names or numeric ids) to uid/gid via /etc/passwd and /etc/group. */
import { readFile } from 'node:fs/promises';
import type { UserSpec } from '../../../api/spec-types.ts';
import { CommandNotRunnableError } from './command-resolver.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  name: string;
  home?: string;
}

async function readTable(file: string): Promise<string[][]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line && !line.startsWith('#')).map((line) => line.split(':'));
  } catch {
    return [];
  }
}

const NUMERIC = /^\d+$/;

export async function resolveUser(spec: UserSpec): Promise<ResolvedUser> {
  const passwd = await readTable('/etc/passwd');
  const entry = NUMERIC.test(spec.user) ? passwd.find((row) => row[2] === spec.user) : passwd.find((row) => row[0] === spec.user);
  if (!entry && !NUMERIC.test(spec.user)) throw new CommandNotRunnableError(`userSpec: no such user "${spec.user}" on this executor`);
  const uid = entry ? Number(entry[2]) : Number(spec.user);
  let gid = entry ? Number(entry[3]) : uid;
  if (spec.group !== undefined) {
    if (NUMERIC.test(spec.group)) gid = Number(spec.group);
    else {
      const group = (await readTable('/etc/group')).find((row) => row[0] === spec.group);
      if (!group) throw new CommandNotRunnableError(`userSpec: no such group "${spec.group}" on this executor`);
      gid = Number(group[2]);
    }
  }
  if (process.getuid && process.getuid() !== 0 && process.getuid() !== uid) {
    throw new CommandNotRunnableError(`userSpec: cannot run as "${spec.user}": the executor is not running as root`);
  }
  return { uid, gid, name: entry?.[0] ?? spec.user, home: entry?.[5] };
}
