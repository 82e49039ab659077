/** Prestart hook (last): PROVISIONING — the driver readies the workload (image pull for docker). */
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-types.ts';

export const driverPrepareHook: PrestartHook = {
  name: 'driver-prepare',
  async prestart({ workload, signal }: PrestartRequest): Promise<PrestartResponse> {
    workload.setState('PROVISIONING');
    await workload.driver.prepare(workload.startSpec(), signal);
    return { done: true };
  },
};
