#!/usr/bin/env node
// Check that the wasm build computes the same value as the native side.
//
//   node scripts/wasm-determinism.mjs DIST_NODE EXPECTED INPUT_FILE
//
// DIST_NODE is the wasm-bindgen `--target nodejs` output (target/wasm-dist/node, made by
// scripts/build-wasm.sh). Today the value is sha256_hex(INPUT_FILE's text) and EXPECTED comes
// from `sha256sum INPUT_FILE`. To compare a scenario's traceHash instead, change wasmValue()
// (e.g. `JSON.parse(mod.run_builtin(name, seed)).traceHash`) and what scripts/test.sh passes
// as EXPECTED (`cellsim run --json ... | jq -r .traceHash`).
// Exit 0 when the values are equal, 1 otherwise (different, bad usage, or the module fails to load).
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = 'cellsim_web.js';

/** The value the wasm module computes for these arguments. */
function wasmValue(mod, { input }) {
  return mod.sha256_hex(readFileSync(input, 'utf8'));
}

/** Load the wasm-bindgen nodejs module (CommonJS today; ES module if the bindings change). */
async function loadModule(dist) {
  const file = path.resolve(dist, MODULE);
  if (!existsSync(file)) {
    throw new Error(`${file} not found; run scripts/build-wasm.sh`);
  }
  try {
    return createRequire(import.meta.url)(file);
  } catch (err) {
    if (err.code !== 'ERR_REQUIRE_ESM') throw err;
    return await import(pathToFileURL(file).href);
  }
}

async function main(argv) {
  if (argv.length !== 3) {
    console.error('usage: node scripts/wasm-determinism.mjs DIST_NODE EXPECTED INPUT_FILE');
    return 1;
  }
  const [dist, expected, input] = argv;
  let mod;
  try {
    mod = await loadModule(dist);
  } catch (err) {
    console.error(`wasm-determinism: cannot load ${dist}: ${err.message}`);
    return 1;
  }
  const actual = String(wasmValue(mod, { input }));
  console.log(`wasm-determinism: input    ${input} (cellsim-web ${mod.core_version()})`);
  console.log(`wasm-determinism: expected ${expected}`);
  console.log(`wasm-determinism: wasm     ${actual}`);
  if (actual === expected.trim()) {
    console.log('wasm-determinism: ok, identical');
    return 0;
  }
  console.log('wasm-determinism: MISMATCH');
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
