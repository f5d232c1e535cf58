#!/usr/bin/env node
// Run one scenario file in the wasm build under Node.js: the core's speed in wasm without the
// page (no rendering, no frame budget), and a way to profile it (`node --cpu-prof`, with a
// module that kept its name section).
//
//   node scripts/wasm-run.mjs DIST_NODE SCENARIO.yaml [SEED]
//
// DIST_NODE is wasm-bindgen's `--target nodejs` output (target/wasm-dist/node, made by
// scripts/build-wasm.sh). Prints the run's wall and CPU time (the CPU time is the steadier
// figure on a busy machine) and its traceHash (which must equal
// `cellsim run SCENARIO.yaml --json`'s). Exit 1 when the scenario does not load.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const [dist, file, seed] = process.argv.slice(2);
if (!dist || !file) {
  console.error('usage: node scripts/wasm-run.mjs DIST_NODE SCENARIO.yaml [SEED]');
  process.exit(2);
}
const mod = createRequire(import.meta.url)(path.resolve(dist, 'cellsim_web.js'));
const text = readFileSync(file, 'utf8');
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let report;
try {
  report = JSON.parse(mod.run_yaml(path.basename(file), text, seed === undefined ? undefined : BigInt(seed)));
} catch (e) {
  console.error(`${file}: ${e.message ?? e}`);
  process.exit(1);
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ scenario: path.basename(file), ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), traceHash: report.traceHash }));
