/**
 * Child process of test/controller/memory-return.test.ts: grows V8's old generation by ~80 MB,
 * drops it, lets two ordinary full collections run (V8 keeps the freed pages in its pool, still
 * resident), then runs the controller's memory-reducing collector. Prints the resident sizes as
 * one JSON line, and whether `gc` was left on the global object.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { memoryReducingCollector, residentMb } from '../../src/controller/memory-return.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const collect = memoryReducingCollector();
const gcLeftGlobal = typeof (globalThis as { gc?: unknown }).gc === 'function';
v8.setFlagsFromString('--expose-gc');
const ordinaryGc = vm.runInNewContext('gc') as (options: object) => void;
v8.setFlagsFromString('--no-expose-gc');

let held: unknown[][] = [];
for (let i = 0; i < 40; i++) held.push(Array.from({ length: 20_000 }, (_, j) => ({ i, j, s: `v${i}-${j}` })));
await sleep(100);
const peak = residentMb();
held = [];
ordinaryGc({ type: 'major' });
ordinaryGc({ type: 'major' });
await sleep(1_000);
const afterOrdinary = residentMb();
collect();
await sleep(1_000);
console.log(JSON.stringify({ peak, afterOrdinary, afterReducing: residentMb(), gcLeftGlobal, held: held.length }));
