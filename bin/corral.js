#!/usr/bin/env node
// corral is written in TypeScript and run directly by Node >= 24 (type stripping), so there is
// no build step: this file only hands over to the CLI entry point. The on-disk compile cache
// roughly halves start-up for the many short CLI invocations.
//
// Started by an older Node (a machine's own Node 20 or 22: `node bin/corral.js`, or a PATH
// without node_modules/.bin first), it runs itself again under the node@24 the project carries
// as a dev dependency instead of failing on the first `.ts` import.
import module from 'node:module';

if (Number(process.versions.node.split('.')[0]) < 24) {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const carried = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(carried)) {
    process.stderr.write(`corral: needs Node 24 or newer (this is ${process.version}); run "npm install" in the corral directory to get the node@24 it carries\n`);
    process.exit(1);
  }
  const child = spawn(carried, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the child by itself (same process group): passing SIGINT on too
  // would deliver it twice. Signals sent to this process alone are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
} else {
  tuneController();
  module.enableCompileCache?.();
  await import('../src/cli/main.ts');
}

// A controller is a long-lived server that holds a memory budget (docs/scale.md, "Memory"): under
// load V8 grows its young generation to 64 MB per semi-space on a large machine, grows its old
// generation up to four times what is live (and keeps the pages), and glibc keeps one malloc
// arena per thread, which together more than doubled its resident memory without holding more
// data. `corral controller` therefore replaces itself (same process id, so signals and
// supervisors see one process) with a Node started with a bounded young generation, an old
// generation grown by a quarter over what is live (`bench:memory`: 476 → 297 MB holding 100,000
// tasks and 10,000 instances, for ~5–10 % more CPU in placement), and two arenas.
// CORRAL_NODE_TUNING=0, or the same settings given by hand, leave it as started.
function tuneController() {
  const env = process.env;
  if (process.argv[2] !== 'controller' || env.CORRAL_NODE_TUNING === '0' || env.CORRAL_NODE_TUNED === '1') return;
  if (typeof process.execve !== 'function') return;
  const given = [...process.execArgv, env.NODE_OPTIONS ?? ''].join(' ');
  const flags = [
    ...(given.includes('semi-space-size') ? [] : ['--max-semi-space-size=16']),
    ...(given.includes('heap-growing-percent') ? [] : ['--heap-growing-percent=25']),
  ];
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], {
    ...env, CORRAL_NODE_TUNED: '1', MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? '2',
  });
}
