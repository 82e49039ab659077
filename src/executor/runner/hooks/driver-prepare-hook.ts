/** Prestart hook (last): PROVISIONING — the driver readies the workload (image pull for docker). */
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-phases.ts';

export const driverPrepareHook: PrestartHook = {
  name: 'driver-prepare',
  async prestart({ lifecycle, driver, signal }: Pick<PrestartRequest, 'lifecycle' | 'driver' | 'signal'>): Promise<PrestartResponse> {
    lifecycle.setState('PROVISIONING');
    await driver.prepare(signal);
    return { done: true };
  },
};
