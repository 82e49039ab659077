/**
 * Prestart hook (app instances): a free host port per `exposedPorts` entry, exposed to the
 * workload as `PORT_<containerPort>`; released by the stop phase. Its state keeps the
 * bindings so a restarted executor neither re-allocates nor leaks them.
 */
import type { ApplicationSpec } from '../../../api/app-types.ts';
import type { PortBinding } from '../../drivers/driver.ts';
import { isSimulatedDriver } from '../../drivers/mock/mock-driver.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse, StopHook, StopRequestContext } from '../hook-types.ts';
import type { PortAllocator } from '../port-allocator.ts';

export function createPortsHook(allocator: PortAllocator): PrestartHook & StopHook {
  return {
    name: 'ports',
    async prestart({ workload, previousState }: PrestartRequest): Promise<PrestartResponse> {
      const spec = workload.record.spec as ApplicationSpec;
      let ports: PortBinding[];
      if (previousState.ports) {
        ports = JSON.parse(previousState.ports) as PortBinding[];
        allocator.reserve(ports.map((p) => p.hostPort));
      } else {
        const count = spec.exposedPorts.length;
        const hostPorts = isSimulatedDriver(workload.driver) ? allocator.allocateVirtual(count) : await allocator.allocate(count);
        ports = spec.exposedPorts.map((p, i) => ({ name: p.name, containerPort: p.port, hostPort: hostPorts[i], type: p.type }));
      }
      const env: Record<string, string> = {};
      for (const p of ports) env[`PORT_${p.containerPort}`] = String(p.hostPort);
      return { done: true, ports, env, state: { ports: JSON.stringify(ports) } };
    },
    async stop({ workload }: StopRequestContext): Promise<void> {
      allocator.release(workload.record.prepared.ports.map((p) => p.hostPort));
    },
  };
}
