/**
 * A machine whose own Node is older than 24 (the README promises 20 and 22 work): installing
 * stays quiet but for the one warning the README names, and the first commands are quiet and
 * correct. The install itself is checked from package-lock.json (what `npm install` reads for
 * its engine warnings and install-script notices); the commands run for real under the
 * machine's Node when it is older than 24, and under a copy of the test's otherwise.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { BIN, REPO } from './helpers/run-cli.ts';

interface LockPackage {
  version?: string;
  engines?: { node?: string };
  hasInstallScript?: boolean;
  dev?: boolean;
  optional?: boolean;
}

const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string }; allowScripts: Record<string, boolean> };
const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');

/** The oldest releases of each older line the tools install on (eslint 10 and vitest 4 need these). */
const OLDER_NODES = ['20.19.0', '22.13.0'];

describe('installing with Node 20 or 22', () => {
  it('the project itself accepts them (it carries node@24 for running)', () => {
    for (const node of OLDER_NODES) expect(semver.satisfies(node, manifest.engines.node)).toBe(true);
    expect(lock.packages['node_modules/node']?.version).toMatch(/^24\./);
  });

  it('every package accepts them, but for the one warning the README names', () => {
    for (const node of OLDER_NODES) {
      const refusing = Object.entries(lock.packages)
        .filter(([where, p]) => where && p.engines?.node && !semver.satisfies(node, p.engines.node))
        .map(([where, p]) => `${where.replace(/^.*node_modules\//, '')}@${p.version}`);
      if (node.startsWith('20.')) {
        expect(refusing).toEqual(['cookie@2.0.2']);
        expect(readme).toContain('`EBADENGINE` warning for `cookie@2.0.2`');
      } else {
        expect(refusing).toEqual([]);
      }
    }
  });

  it('every package with an install script is allowed or denied in allowScripts, so npm prints no notice', () => {
    const withScripts = Object.entries(lock.packages).filter(([where, p]) => where && p.hasInstallScript).map(([where]) => where.replace(/^.*node_modules\//, ''));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(Object.keys(manifest.allowScripts)).toContain(name);
  });
});

describe('the first commands on an older Node', () => {
  // The machine's own Node, when older than 24 (this machine's is 20); else there is nothing older to try.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((candidate) => spawnSync(candidate, ['--version']).status === 0);
  const systemVersion = systemNode ? spawnSync(systemNode, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
  const older = systemNode && Number(systemVersion.slice(1).split('.')[0]) < 24;

  it.runIf(older)(`npx corral and node bin/corral.js are quiet and correct under ${systemVersion || 'an older Node'}`, () => {
    const env = { ...process.env, PATH: `${path.dirname(systemNode!)}:${process.env.PATH}`, npm_config_update_notifier: 'false' };
    const npx = spawnSync('npx', ['--offline', 'corral', '--version'], { cwd: REPO, encoding: 'utf8', env });
    expect([npx.status, npx.stdout, npx.stderr]).toEqual([0, '0.1.0\n', '']);
    // Run directly by the older Node, bin/corral.js hands over to the carried node@24.
    const direct = spawnSync(systemNode!, [BIN, 'completion', 'tcsh'], { cwd: REPO, encoding: 'utf8', env });
    expect([direct.status, direct.stderr]).toEqual([2, 'corral: no completion for shell "tcsh"; choose bash, zsh or fish\n']);
  });
});
