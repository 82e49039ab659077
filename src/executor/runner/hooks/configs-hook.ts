/**
 * Prestart hook 3: config files (docs/api.md §6.6), written at `localFilename` taken relative to the
 * task directory. INLINE is decoded; EXECUTOR_LOCAL_FILE copied from the host;
 * EXECUTOR_HTTP_FETCH fetched with its HTTPCallSpec; CONTROLLER_HTTP_FETCH must arrive already
 * resolved (as INLINE) from the controller.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigSpec } from '../../../api/spec-types.ts';
import { httpCall, httpCallSpecOptions } from '../../checks/http-call.ts';
import type { ConfigFile } from '../../state/driver-state.ts';
import type { PrestartHook, PrestartRequest, PrestartResponse } from '../hook-phases.ts';
import { resolveInTaskDir } from './task-path.ts';

async function materialise(config: ConfigSpec, target: string, signal: AbortSignal): Promise<void> {
  switch (config.type) {
    case 'INLINE':
      await writeFile(target, Buffer.from(config.data, 'base64'));
      return;
    case 'EXECUTOR_LOCAL_FILE':
      try {
        await copyFile(config.filePathOnHost, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
        throw new Error(`config ${config.localFilename}: cannot copy ${config.filePathOnHost} from the executor host: ${reason}`, { cause: error });
      }
      return;
    case 'EXECUTOR_HTTP_FETCH': {
      const options = httpCallSpecOptions(config.http, signal);
      const response = await httpCall(options).catch((error: Error) => {
        throw new Error(`config ${config.localFilename}: fetch failed: ${error.message}`, { cause: error });
      });
      const accepted = config.http.successCodes?.length ? config.http.successCodes : [200];
      if (!accepted.includes(response.status)) {
        throw new Error(`config ${config.localFilename}: ${options.verb} ${options.hostname}:${options.port}${options.path} answered ${response.status} (expected ${accepted.join(', ')})`);
      }
      await writeFile(target, response.body);
      return;
    }
    case 'CONTROLLER_HTTP_FETCH':
      throw new Error(`config ${config.localFilename}: CONTROLLER_HTTP_FETCH must be resolved by the controller before the start message`);
  }
}

export const configsHook: PrestartHook = {
  name: 'configs',
  async prestart({ workload, paths, events, signal }: Pick<PrestartRequest, 'workload' | 'paths' | 'events' | 'signal'>): Promise<PrestartResponse> {
    const configs = workload.spec.configs ?? [];
    const configFiles: ConfigFile[] = [];
    for (const config of configs) {
      signal.throwIfAborted();
      const target = resolveInTaskDir(paths.taskDir, config.localFilename, `config ${config.type}`);
      if (typeof target !== 'string') throw new Error(target.error);
      await mkdir(path.dirname(target), { recursive: true });
      await materialise(config, target, signal);
      configFiles.push({ localFilename: config.localFilename, hostPath: target });
    }
    if (configs.length > 0) events.event('Configs', `Wrote ${configs.length} config file(s) into the task directory`);
    return { done: true, configFiles };
  },
};
