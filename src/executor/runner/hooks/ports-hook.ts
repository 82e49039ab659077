/**
 * Prestart hook (app instances): a free host port per `exposedPorts` entry, exposed to the
 * workload as `PORT_<containerPort>`; released by the stop phase. A host-level local service
 * (docs/localservices.md) publishes each port at its own number instead (hostPort = port). Its state keeps the
 * bindings so a restarted executor neither re-allocates nor leaks them.
 */
import type { PortBinding } from '../../drivers/driver.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse, StopHook, StopHookRequest } from '../hook-phases.ts';
import type { PortAllocator } from '../port-allocator.ts';
import { appSpecOf } from '../../state/workload-record.ts';

export function createPortsHook(allocator: PortAllocator): PrestartHook & StopHook {
  return {
    name: 'ports',
    async prestart({ workload, capabilities, previousState }: Pick<PrestartRequest, 'workload' | 'capabilities' | 'previousState'>): Promise<PrestartResponse> {
      const spec = appSpecOf(workload);
      let ports: PortBinding[];
      if (previousState.ports) {
        ports = JSON.parse(previousState.ports) as PortBinding[];
        allocator.reserve(ports.map((p) => p.hostPort));
      } else if (workload.localService?.hostLevel) {
        allocator.reserve(spec.exposedPorts.map((p) => p.port));
        ports = spec.exposedPorts.map((p) => ({ name: p.name, containerPort: p.port, hostPort: p.port, type: p.type }));
      } else {
        const count = spec.exposedPorts.length;
        const hostPorts = capabilities.simulated ? allocator.allocateVirtual(count) : await allocator.allocate(count);
        ports = spec.exposedPorts.map((p, i) => ({ name: p.name, containerPort: p.port, hostPort: hostPorts[i], type: p.type }));
      }
      const env: Record<string, string> = {};
      for (const p of ports) env[`PORT_${p.containerPort}`] = String(p.hostPort);
      return { done: true, ports, env, state: { ports: JSON.stringify(ports) } };
    },
    async stop({ workload }: Pick<StopHookRequest, 'workload'>): Promise<void> {
      allocator.release(workload.prepared.ports.map((p) => p.hostPort));
    },
  };
}
