#!/usr/bin/env node
// Check that the wasm build computes the same trace hashes as the native CLI.
//
//   node scripts/wasm-determinism.mjs DIST_NODE NAME=HASH...
//
// DIST_NODE is the wasm-bindgen `--target nodejs` output (target/wasm-dist/node, made by
// scripts/build-wasm.sh). Each NAME=HASH pair names a built-in scenario and the traceHash that
// `cellsim run scenarios/NAME.yaml --json` printed natively; the module runs the scenario in
// wasm and must report the same hash. Exit 0 when all agree, 1 otherwise.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = 'cellsim_web.js';

/** The traceHash the wasm module computes for a built-in scenario. */
function wasmValue(mod, { name }) {
  return JSON.parse(mod.run_builtin(name, undefined)).traceHash;
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
  if (argv.length < 2 || !argv.slice(1).every((a) => a.includes('='))) {
    console.error('usage: node scripts/wasm-determinism.mjs DIST_NODE NAME=HASH...');
    return 1;
  }
  const [dist, ...pairs] = argv;
  let mod;
  try {
    mod = await loadModule(dist);
  } catch (err) {
    console.error(`wasm-determinism: cannot load ${dist}: ${err.message}`);
    return 1;
  }
  let bad = 0;
  for (const pair of pairs) {
    const [name, expected] = pair.split('=');
    let actual;
    try {
      actual = String(wasmValue(mod, { name }));
    } catch (err) {
      actual = `error: ${err.message ?? err}`;
    }
    const ok = actual === expected.trim();
    if (!ok) bad += 1;
    console.log(`wasm-determinism: ${ok ? 'ok      ' : 'MISMATCH'} ${name} native ${expected} wasm ${actual}`);
  }
  console.log(`wasm-determinism: ${pairs.length - bad} of ${pairs.length} scenarios identical (cellsim-web ${mod.core_version()})`);
  return bad === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
