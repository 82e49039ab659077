/**
 * One attempt of a check mode (docs/api.md §6.9): HTTP against `localhost:<hostPort>` of the named
 * port, or CMD through the driver (`sh -c` unless `shellDisabled`, then split on single
 * spaces). Simulated workloads (mock driver) answer every mode through `exec`.
 */
import type { CheckModeSpec } from '../../api/spec-types.ts';
import { durationMillis } from '../../common/durations.ts';
import type { PortBinding, WorkloadExec } from '../drivers/driver.ts';
import { httpCall } from './http-call.ts';

/** What a probe runs against: the workload's `exec`, and the host ports and environment prestart gave it. */
export interface ProbeTarget {
  workload: WorkloadExec;
  ports: readonly PortBinding[];
  env: Readonly<Record<string, string>>;
}

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** The argv a CMD mode runs. */
export function commandOf(mode: { command: string; shellDisabled: boolean }): string[] {
  return mode.shellDisabled ? mode.command.split(' ').filter(Boolean) : ['sh', '-c', mode.command];
}

export async function probe(mode: CheckModeSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  if (mode.type === 'CMD' || target.workload.simulated) {
    const argv = mode.type === 'CMD' ? commandOf(mode) : ['http-check'];
    const result = await target.workload.exec(argv, timeoutMs, target.env);
    const output = result.output.trim().slice(0, 300);
    return result.exitCode === 0
      ? { ok: true, message: 'command exited 0' }
      : { ok: false, message: `command exited ${result.exitCode}${output ? `: ${output}` : ''}` };
  }
  const port = target.ports.find((p) => p.name === mode.portName);
  if (!port) return { ok: false, message: `no port named ${mode.portName} is exposed` };
  try {
    const response = await httpCall({
      protocol: mode.protocol ?? 'HTTP',
      hostname: 'localhost',
      port: port.hostPort,
      path: mode.path,
      verb: mode.verb,
      payload: mode.payload,
      connectTimeoutMs: mode.connectionTimeout ? Math.min(durationMillis(mode.connectionTimeout), timeoutMs) : timeoutMs,
      timeoutMs,
      insecure: mode.insecure,
      maxBodyBytes: 64 * 1024,
      signal,
    });
    const ok = mode.successCodes.includes(response.status);
    return { ok, message: `${mode.verb} ${mode.path} answered ${response.status}${ok ? '' : ` (expected one of ${mode.successCodes.join(', ')})`}` };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
