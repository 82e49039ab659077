/**
 * Secure defaults of `corral controller` (docs/security.md, "Configuration"). The built-in
 * defaults — the dev cluster secret, users admin/admin and guest/guest — make `corral dev` and a
 * controller on loopback work with no configuration at all; they must never reach a network:
 *
 * - listening beyond loopback, the controller refuses to start without an explicit cluster
 *   secret (file or CORRAL_CLUSTER_SECRET) that is not the dev secret, and, while authentication
 *   is on, without explicit users;
 * - wherever it listens, plain-text passwords in the configuration are a start-up warning, and
 *   so is authentication turned off beyond loopback.
 */
import { isIP } from 'node:net';
import { DEV_CLUSTER_SECRET, type ControllerConfig } from './config.ts';
import { isBcryptHash } from './http/request-auth.ts';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare.startsWith('::ffff:127.');
}

/** Why this configuration must not start (empty: it may); each a line naming the setting. */
export function exposureProblems(config: ControllerConfig, explicit: ReadonlySet<keyof ControllerConfig>): string[] {
  if (isLoopbackHost(config.host)) return [];
  const where = `listening on ${config.host}, beyond loopback`;
  const problems: string[] = [];
  if (!explicit.has('clusterSecret')) {
    problems.push(`clusterSecret: required when ${where}: set it in the file or in CORRAL_CLUSTER_SECRET (anyone who has it can join executors)`);
  } else if (config.clusterSecret === DEV_CLUSTER_SECRET) {
    problems.push(`clusterSecret: the dev secret "${DEV_CLUSTER_SECRET}" is refused when ${where}: choose your own`);
  }
  if (config.authEnabled && !explicit.has('users')) {
    problems.push(`users: required when ${where}: the built-in admin/admin and guest/guest are for corral dev only`);
  }
  return problems;
}

/** What an operator should fix but that does not stop the controller. */
export function configWarnings(config: ControllerConfig, explicit: ReadonlySet<keyof ControllerConfig>): string[] {
  const warnings: string[] = [];
  if (explicit.has('users')) {
    for (const user of config.users.filter((u) => !isBcryptHash(u.password))) {
      warnings.push(`users: the password of "${user.username}" is plain text in the configuration; store a bcrypt hash instead (docs/security.md)`);
    }
  }
  if (!config.authEnabled && !isLoopbackHost(config.host)) {
    warnings.push(`authEnabled: false while listening on ${config.host}: anyone who can reach the port acts as root`);
  }
  return warnings;
}
