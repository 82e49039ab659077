#!/usr/bin/env node
// corral is written in TypeScript and run directly by Node >= 24 (type stripping), so there is
// no build step: this file only hands over to the CLI entry point. The on-disk compile cache
// roughly halves start-up for the many short CLI invocations.
import module from 'node:module';

module.enableCompileCache?.();
await import('../src/cli/main.ts');
