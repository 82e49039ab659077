/**
 * Prestart hook 1: validates what the controller's validation cannot know (this executor's
 * drivers) and re-checks what would otherwise fail late (config paths, logging policy, ports),
 * so a bad spec fails at once with a readable reason.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import type { CheckModeSpec } from '../../../api/spec-types.ts';
import { compileLogPolicy } from '../../logs/log-policy.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-phases.ts';
import { resolveInTaskDir } from './task-path.ts';

function checkPortNames(spec: Readonly<ApplicationSpec>, modes: { what: string; mode: CheckModeSpec }[], problems: string[]): void {
  const names = new Set(spec.exposedPorts.map((p) => p.name));
  for (const { what, mode } of modes) {
    if (mode.type === 'HTTP' && !names.has(mode.portName)) {
      problems.push(`Invalid port name for ${what}: ${mode.portName}. Available ports: [${[...names].join(', ')}]`);
    }
  }
}

export const validateHook: PrestartHook = {
  name: 'validate',
  async prestart({ workload, paths }: Pick<PrestartRequest, 'workload' | 'paths'>): Promise<PrestartResponse> {
    const spec = workload.spec;
    const problems: string[] = [];
    const executable = spec.executable;
    if (executable.type === 'PROCESS' && (typeof executable.command !== 'string' || !executable.command.trim())) {
      problems.push('executable.command is required for PROCESS executables');
    }
    if (executable.type === 'DOCKER' && (typeof executable.url !== 'string' || !executable.url.trim())) {
      problems.push('executable.url is required for DOCKER executables');
    }
    if (spec.args !== undefined && (!Array.isArray(spec.args) || spec.args.some((a) => typeof a !== 'string'))) {
      problems.push('args must be a list of strings');
    }
    for (const config of spec.configs ?? []) {
      const target = resolveInTaskDir(paths.taskDir, config.localFilename, `config ${config.type}`);
      if (typeof target !== 'string') problems.push(target.error);
      if (config.type === 'INLINE' && typeof config.data !== 'string') problems.push(`config ${config.localFilename}: INLINE data must be base64 text`);
    }
    const policy = compileLogPolicy(spec.logging);
    if ('error' in policy) problems.push(policy.error);
    if (workload.kind === 'instance') {
      const app = spec as ApplicationSpec;
      if (!Array.isArray(app.exposedPorts)) problems.push('exposedPorts must be a list');
      else {
        checkPortNames(app, [
          { what: 'health check', mode: app.healthcheck.mode },
          { what: 'readiness check', mode: app.readiness.mode },
          ...(app.preShutdown?.hooks ?? []).map((mode) => ({ what: 'preShutdown hook', mode })),
        ], problems);
      }
    }
    if (problems.length > 0) throw new Error(`Invalid spec: ${problems.join('; ')}`);
    return { done: true };
  },
};
