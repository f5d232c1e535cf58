#!/usr/bin/env node
// The playground in a real browser: headless Chromium driven over WebDriver (chromedriver),
// from Node's standard library only.
//
//   node scripts/browser-test.mjs test         every built-in scenario autoruns in the page with
//                                              the CLI's report (trace hash and every number);
//                                              editor errors, pod decisions, what-if, share link,
//                                              plan / compare / compact by clicking (= the CLI)
//   node scripts/browser-test.mjs screenshots DIR   PNGs of the playground for the docs
//   node scripts/browser-test.mjs bench FILE   a large scenario (YAML FILE) in the page: frame
//                                              times and wall time to its end
//   node scripts/browser-test.mjs start FILE [N]   the page's start with that scenario, N
//                                              loads (5): long animation frames until its run
//                                              is built and rendered
//
// Needs target/release/cellsim built after scripts/build-wasm.sh (so `serve` embeds the page),
// /usr/bin/chromium and /usr/bin/chromedriver (scripts/setup.sh). Each check prints one
// `ok`/`FAIL` line; the run ends with `browser: N passed, N failed`.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = process.env.CELLSIM_BIN ?? path.join(ROOT, 'target/release/cellsim');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Start `cellsim serve` on a free loopback port; resolves to [child, baseUrl]. */
function startServer() {
  return new Promise((resolve, reject) => {
    // CELLSIM_WEB_DIR: serve the page from a directory (target/wasm-dist/web after
    // scripts/build-wasm.sh) instead of the one built into the binary, to measure a new page
    // without rebuilding the CLI.
    const dir = process.env.CELLSIM_WEB_DIR ? ['--dir', process.env.CELLSIM_WEB_DIR] : [];
    const child = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', ...dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve([child, m[0]]);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`cellsim serve exited ${code}: ${err.trim()}`)));
  });
}

class Driver {
  constructor(base) {
    this.base = base;
  }
  async cmd(method, p, body) {
    const r = await fetch(this.base + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`${method} ${p}: ${JSON.stringify(j.value).slice(0, 400)}`);
    return j.value;
  }
  async start(userDir) {
    const caps = {
      capabilities: {
        alwaysMatch: {
          browserName: 'chrome',
          'goog:chromeOptions': {
            binary: '/usr/bin/chromium',
            args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
              '--disable-background-networking', '--disable-component-update', '--disable-sync',
              '--disable-dev-shm-usage', `--user-data-dir=${userDir}`, '--window-size=1500,1000'],
          },
        },
      },
    };
    const v = await this.cmd('POST', '/session', caps);
    this.s = `/session/${v.sessionId}`;
  }
  go(url) { return this.cmd('POST', `${this.s}/url`, { url }); }
  exec(script, ...args) { return this.cmd('POST', `${this.s}/execute/sync`, { script, args }); }
  async screenshot(file) {
    const b64 = await this.cmd('GET', `${this.s}/screenshot`);
    writeFileSync(file, Buffer.from(b64, 'base64'));
  }
  /** A Chrome DevTools Protocol command through chromedriver. */
  cdp(cmd, params = {}) { return this.cmd('POST', `${this.s}/goog/cdp/execute`, { cmd, params }); }
  quit() { return this.cmd('DELETE', this.s).catch(() => {}); }
  /** Poll a script until it returns a truthy value. */
  async until(script, what, timeoutMs = 120000, ...args) {
    const t0 = Date.now();
    for (;;) {
      const v = await this.exec(script, ...args);
      if (v) return v;
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }
  click(sel) { return this.exec(`const e=document.querySelector(arguments[0]); if(!e) throw new Error('no '+arguments[0]); e.click(); return true;`, sel); }
  text(sel) { return this.exec(`const e=document.querySelector(arguments[0]); return e ? e.textContent : null;`, sel); }
  /** Set an input/select/textarea's value and fire the events Yew listens to. */
  setValue(sel, value) {
    return this.exec(`const e=document.querySelector(arguments[0]); if(!e) throw new Error('no '+arguments[0]);
      e.value=arguments[1]; e.dispatchEvent(new Event('input',{bubbles:true})); e.dispatchEvent(new Event('change',{bubbles:true})); return true;`, sel, value);
  }
  finished(timeoutMs) {
    return this.until(`const e=document.getElementById('trace-hash'); return e && e.dataset.finished==='true' ? e.textContent : null;`, 'the run to finish', timeoutMs);
  }
  paused(timeoutMs = 60000) {
    return this.until(`const e=document.getElementById('run-state'); return e && (e.textContent==='paused'||e.textContent==='finished');`, 'the run to pause', timeoutMs);
  }
  simMs() { return this.exec(`return Number(document.getElementById('sim-time').dataset.ms);`); }
}

async function withBrowser(fn) {
  const [server, url] = await startServer();
  const port = await freePort();
  const cd = spawn('/usr/bin/chromedriver', [`--port=${port}`], { stdio: 'ignore' });
  const userDir = mkdtempSync(path.join(tmpdir(), 'cellsim-chromium-'));
  const d = new Driver(`http://127.0.0.1:${port}`);
  try {
    for (let i = 0; ; i++) {
      try {
        const st = await d.cmd('GET', '/status');
        if (st.ready) break;
      } catch (e) {
        if (i > 100) throw new Error(`chromedriver did not start: ${e.message}`);
      }
      await sleep(100);
    }
    await d.start(userDir);
    return await fn(d, url);
  } finally {
    await d.quit();
    cd.kill();
    server.kill();
    rmSync(userDir, { recursive: true, force: true });
  }
}

function cliReport(file, seed, explain = true) {
  // The page records decisions (scenarios of up to 200 nodes), as `--explain` does.
  const args = ['run', file, '--json'];
  if (explain) args.push('--explain');
  if (seed !== undefined) args.push('--seed', String(seed));
  let out;
  try {
    out = execFileSync(BIN, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch (e) {
    out = e.stdout; // exit 1: an expectation failed; the report is still printed
  }
  return JSON.parse(out);
}

/** `cellsim ARGS --json`, parsed. */
function cliJson(args) {
  return JSON.parse(execFileSync(BIN, [...args, '--json'], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

/** Open a scenario file in the page through a share link and show the Plan tab. */
async function openPlanning(d, base, file) {
  const s = deflateRawSync(Buffer.from(readFileSync(file, 'utf8')), { level: 9 }).toString('base64url');
  await d.go(`${base}?name=${path.basename(file)}&s=${s}`);
  await d.until(`return document.getElementById('tab-plan');`, 'the page');
  await d.click('#tab-plan');
  // The page opens a scenario in stages over several frames, and Run is disabled until the
  // scenario is open (a click before that does nothing).
  await d.until(`const b=document.getElementById('plan-run'); return b && !b.disabled;`, 'the planning panel');
}

let passed = 0;
let failed = 0;
let driver = null;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL  ${name}: ${e.message}`);
    if (driver && process.env.CELLSIM_FAIL_SHOTS) {
      const file = path.join(process.env.CELLSIM_FAIL_SHOTS, `fail-${failed}.png`);
      await driver.screenshot(file).catch(() => {});
      console.log(`      screenshot: ${file}`);
    }
  }
}
function assertEq(a, b, what) {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  if (x !== y) throw new Error(`${what}: page ${x.slice(0, 300)} != cli ${y.slice(0, 300)}`);
}

/** The page's report and summary after an autorun of a URL. */
async function autorun(d, url, timeoutMs) {
  await d.go(url);
  const hash = await d.finished(timeoutMs);
  await d.click('#tab-report');
  const json = await d.until(`const e=document.getElementById('report-json'); return e && e.textContent;`, 'the report');
  const summary = await d.exec(`const o={}; for (const b of document.querySelectorAll('#summary b')) o[b.id]=Number(b.textContent); return o;`);
  return { hash, report: JSON.parse(json), summary };
}

function compare(page, cli) {
  assertEq(page.hash, cli.traceHash, 'trace hash (#trace-hash)');
  assertEq(page.report, cli, 'the JSON report');
  const s = page.summary;
  assertEq([s['sum-running'], s['sum-pending'], s['sum-succeeded'], s['sum-failed']],
    [cli.pods.running, cli.pods.pending, cli.pods.succeeded, cli.pods.failed], 'summary pods');
  assertEq([s['sum-events'], s['sum-attempts'], s['sum-scheduled'], s['sum-unschedulable'], s['sum-preemptions']],
    [cli.events, cli.scheduling.attempts, cli.scheduling.scheduled, cli.scheduling.unschedulable, cli.scheduling.preemptions],
    'summary events and scheduling');
}

async function testAll(d, base) {
  const only = process.env.CELLSIM_ONLY ? new RegExp(process.env.CELLSIM_ONLY) : null;
  const names = readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort().filter((n) => !only || only.test(n));
  for (const name of names) {
    await check(`autorun ${name}`, async () => {
      const cli = cliReport(path.join(ROOT, 'scenarios', `${name}.yaml`));
      compare(await autorun(d, `${base}?scenario=${name}&autorun=1`, 120000), cli);
    });
  }
  await check('autorun with a seed override (quickstart, seed 3)', async () => {
    const cli = cliReport(path.join(ROOT, 'scenarios/quickstart.yaml'), 3);
    compare(await autorun(d, `${base}?scenario=quickstart&seed=3&autorun=1`, 60000), cli);
    if (cli.traceHash === cliReport(path.join(ROOT, 'scenarios/quickstart.yaml')).traceHash) throw new Error('seed 3 should change the trace');
  });
  await check('the editor shows a load error at its line and column', async () => {
    await d.go(`${base}?scenario=quickstart`);
    await d.until(`return document.getElementById('edit-toggle');`, 'the page');
    await d.click('#edit-toggle');
    const text = await d.exec(`return document.getElementById('editor').value;`);
    await d.setValue('#editor', text.replace('duration: 10m', 'duration: soon'));
    await d.click('#apply');
    const at = await d.until(`const e=document.getElementById('editor-error'); return e && [e.dataset.line, e.dataset.column, e.textContent];`, 'the error');
    assertEq([at[0], at[1]], ['10', '13'], 'error position');
    if (!at[2].includes('line 10, column 13')) throw new Error(at[2]);
  });
  await check('clicking a pod shows its scheduling decision and events', async () => {
    await d.go(`${base}?scenario=dedicated-pools&autorun=1`);
    await d.finished(60000);
    await d.click('#tab-cluster');
    const pod = await d.exec(`const p=document.querySelector('#cluster .node .pod'); p.click(); return p.dataset.pod;`);
    const info = await d.until(`const p=document.getElementById('pod-panel'); const s=p && p.querySelector('.scores');
      return s && [p.dataset.pod, p.querySelectorAll('.scores tr').length, p.querySelector('.decision-head').textContent, document.querySelectorAll('#pod-events tr').length];`, 'the pod panel');
    assertEq(info[0], pod, 'selected pod');
    if (info[1] < 2 || !info[2].includes('→') || info[3] < 1) throw new Error(`decision/events missing: ${JSON.stringify(info)}`);
    const pending = await d.exec(`return document.querySelectorAll('#pending tr').length;`);
    const cli = cliReport(path.join(ROOT, 'scenarios/dedicated-pools.yaml'));
    assertEq(pending, cli.pendingPods.length, 'pending pods listed');
  });
  let whatifHash = null;
  let whatifYaml = null;
  await check('what-if by clicking: jump to 1m, fail a node, scale, run to the end = CLI on the exported YAML', async () => {
    await d.go(`${base}?scenario=quickstart`);
    await d.until(`return document.getElementById('jump');`, 'the page');
    await d.setValue('#jump', '1m');
    await d.click('#jump-go');
    await d.paused();
    assertEq(await d.simMs(), 60000, 'time after the jump');
    await d.setValue('#wi-node', 'pool-a-1');
    await d.click('#wi-fail');
    await d.paused();
    assertEq(await d.simMs(), 60000, 'time after replaying the what-if');
    await d.setValue('#wi-replicas', '6');
    await d.click('#wi-scale');
    await d.paused();
    const list = await d.text('#whatif-list');
    if (!list.includes('fail node pool-a-1') || !list.includes('scale Deployment/web to 6')) throw new Error(list);
    await d.setValue('#speed', '5');
    await d.click('#play');
    whatifHash = await d.finished(60000);
    await d.click('#edit-toggle');
    whatifYaml = await d.exec(`return document.getElementById('editor').value;`);
    if (!whatifYaml.includes('failNode: {node: "pool-a-1"}')) throw new Error('the timeline entry is not in the YAML');
    const dir = mkdtempSync(path.join(tmpdir(), 'cellsim-whatif-'));
    const file = path.join(dir, 'quickstart.yaml');
    writeFileSync(file, whatifYaml);
    const cli = cliReport(file);
    rmSync(dir, { recursive: true, force: true });
    assertEq(whatifHash, cli.traceHash, 'trace hash of the modified scenario');
    const log = await (async () => { await d.click('#tab-events'); await d.setValue('#event-filter', 'NodeFailed'); return d.text('#event-log'); })();
    if (!log.includes('pool-a-1')) throw new Error('NodeFailed not in the filtered event log');
  });
  await check('the share link reproduces the modified run', async () => {
    if (!whatifHash) throw new Error('needs the what-if check');
    await d.click('#share');
    const url = await d.until(`const e=document.getElementById('share-url'); return e && e.value;`, 'the share link');
    if (!url.includes('s=')) throw new Error(url);
    await d.go(`${url}&autorun=1`);
    assertEq(await d.finished(60000), whatifHash, 'hash after following the link');
    await d.click('#edit-toggle');
    assertEq(await d.exec(`return document.getElementById('editor').value;`), whatifYaml, 'scenario text from the link');
  });
  await check('opening a file from disk loads and runs it (= the CLI on that file)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cellsim-open-'));
    const file = path.join(dir, 'my-failure.yaml');
    writeFileSync(file, readFileSync(path.join(ROOT, 'scenarios/node-failure.yaml'), 'utf8').replace('seed: 9', 'seed: 123'));
    const cli = cliReport(file);
    await d.go(`${base}?scenario=quickstart`);
    await d.until(`return document.getElementById('file');`, 'the page');
    const el = await d.cmd('POST', `${d.s}/element`, { using: 'css selector', value: '#file' });
    await d.cmd('POST', `${d.s}/element/${Object.values(el)[0]}/value`, { text: file });
    await d.until(`const p=document.querySelector('.scenario .path'); return p && p.textContent==='scenarios/my-failure.yaml';`, 'the file to load');
    await d.setValue('#speed', '5');
    await d.click('#play');
    const hash = await d.finished(60000);
    rmSync(dir, { recursive: true, force: true });
    assertEq(hash, cli.traceHash, 'trace hash of the opened file');
    if (!(await d.text('#sim-time')).includes('seed 123') && !(await d.text('.status')).includes('seed 123')) throw new Error('seed 123 not shown');
  });
  await check('a scoring strategy and weights replay from 0s (= the CLI on the exported YAML)', async () => {
    await d.go(`${base}?scenario=online-boutique`);
    await d.until(`return document.getElementById('wi-strategy');`, 'the page');
    await d.setValue('#wi-strategy', 'MostAllocated');
    await d.setValue('#wi-fit-weight', '5');
    await d.click('#wi-scoring');
    await d.setValue('#speed', '5');
    await d.click('#play');
    const hash = await d.finished(60000);
    await d.click('#edit-toggle');
    const yaml = await d.exec(`return document.getElementById('editor').value;`);
    if (!yaml.includes('type: MostAllocated') || !yaml.includes('{name: NodeResourcesFit, weight: 5}')) throw new Error('no scheduler profile in the YAML');
    // Its `file: manifests/...` resolve next to the scenario: write it beside the original.
    const file = path.join(ROOT, 'scenarios', `.scoring-check-${process.pid}.yaml`);
    writeFileSync(file, yaml);
    let cli;
    try { cli = cliReport(file); } finally { rmSync(file, { force: true }); }
    assertEq(hash, cli.traceHash, 'trace hash with MostAllocated');
  });
  // Capacity planning by clicking, on cli/tests/plan/binpack.yaml (five 1500m pods on 4-cpu
  // nodes: a node holds two, so 3 nodes; 4 with one node of headroom). The expected numbers
  // come from the CLI on the same file, not from here.
  const binpack = path.join(ROOT, 'cli/tests/plan/binpack.yaml');
  await check('plan by clicking = cellsim plan --json (binpack: fewest nodes, then 1 node of headroom)', async () => {
    await openPlanning(d, base, binpack);
    for (const [headroom, extra] of [['none', []], ['nodes', ['--headroom-nodes', '1']]]) {
      const cli = cliJson(['plan', binpack, '--pool', 'web', ...extra]);
      await d.setValue('#plan-kind', 'plan');
      await d.setValue('#plan-pool', 'web');
      await d.setValue('#plan-headroom', headroom);
      if (headroom === 'nodes') await d.setValue('#plan-headroom-k', '1');
      await d.click('#plan-run');
      const nodes = await d.until(`const e=document.getElementById('plan-nodes'); return e && e.textContent;`, 'the plan answer');
      assertEq(Number(nodes), cli.nodes, `fewest nodes (headroom ${headroom})`);
      // Every simulation was listed as it completed; the settled sizes are the CLI's `tried`.
      const sizes = await d.exec(`return [...document.querySelectorAll('#plan-probes tr.settled')].map(r=>[Number(r.children[1].textContent), r.children[2].textContent==='yes']).reverse();`);
      assertEq(sizes, cli.tried.map((t) => [t.nodes, t.fits]), 'sizes tried, in order');
      const status = await d.text('#plan-status');
      if (!status.includes(`${cli.simulations} simulations`)) throw new Error(`status: ${status}`);
    }
  });
  await check('compare by clicking shows both configurations side by side (= cellsim compare --json)', async () => {
    await openPlanning(d, base, binpack);
    await d.setValue('#plan-kind', 'compare');
    await d.until(`return document.getElementById('compare-b');`, 'the configuration editors');
    await d.click('#plan-run');
    await d.until(`return document.getElementById('compare-table');`, 'the comparison');
    const cols = await d.exec(`return [...document.querySelectorAll('#compare-table th.compare-col')].map(e=>e.textContent);`);
    assertEq(cols, ['random.yaml', 'best-fit.yaml'], 'columns');
    const cli = cliJson(['compare', binpack, '--scheduler', path.join(ROOT, 'docs/schedulers/random.yaml'),
      '--scheduler', path.join(ROOT, 'docs/schedulers/best-fit.yaml')]);
    const used = await d.exec(`const r=[...document.querySelectorAll('#compare-table tr')].find(r=>r.children[0].textContent==='nodes used'); return [...r.children].slice(1).map(c=>c.textContent);`);
    assertEq(used, cli.schedulers.map((c) => `${c.nodesUsed}/${c.nodes}`), 'nodes used per configuration');
  });
  await check('compact by clicking shows the p90 over seeds (= cellsim compact --seeds 3 --json)', async () => {
    await openPlanning(d, base, binpack);
    await d.setValue('#plan-kind', 'compact');
    await d.setValue('#plan-seeds', '3');
    await d.click('#plan-run');
    const p90 = await d.until(`const e=document.getElementById('compact-p90'); return e && e.textContent;`, 'the compaction');
    const cli = cliJson(['compact', binpack, '--seeds', '3']);
    assertEq(Number(p90), cli.p90, 'p90 machines');
    const head = await d.text('#plan-answer .headline');
    if (!head.includes(`(min ${cli.min}, max ${cli.max}) of ${cli.machines} machines`)) throw new Error(head);
  });
  await check('a trap in the module shows the internal-error notice', async () => {
    await d.go(`${base}?scenario=quickstart`);
    await d.until(`return document.getElementById('edit-toggle');`, 'the page');
    if (await d.exec(`return document.getElementById('internal-error');`)) throw new Error('notice before any error');
    // A real trap, uncaught, as a panic in the size build gives: a module whose export is
    // `unreachable`, called from a task of its own.
    await d.exec(`const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,4,1,96,0,0, 3,2,1,0,
      7,5,1,1,102,0,0, 10,5,1,3,0,0,11]);
      WebAssembly.instantiate(bytes).then(({ instance }) => setTimeout(() => instance.exports.f()));
      return true;`);
    const note = await d.until(`const e=document.getElementById('internal-error'); return e && e.textContent;`, 'the notice', 10000);
    if (!note.includes('internal error') || !note.includes('unreachable')) throw new Error(note);
  });
  await check('charts draw the run', async () => {
    await d.go(`${base}?scenario=quickstart&autorun=1`);
    await d.finished(60000);
    await d.click('#tab-charts');
    const n = await d.until(`const ps=[...document.querySelectorAll('#chart-pods polyline')]; return ps.length && ps.map(p=>p.getAttribute('points').split(' ').length);`, 'the charts');
    if (n.length !== 4 || n.some((k) => k < 100)) throw new Error(`points per series: ${n}`);
  });
}

async function screenshots(d, base, dir) {
  mkdirSync(dir, { recursive: true });
  await d.go(`${base}?scenario=dedicated-pools&autorun=1`);
  await d.finished(60000);
  await d.exec(`document.querySelector('#cluster .node .pod').click(); return true;`);
  await sleep(300);
  await d.screenshot(path.join(dir, 'cluster.png'));
  await d.go(`${base}?scenario=node-failure`);
  await d.until(`return document.getElementById('jump');`, 'the page');
  await d.setValue('#jump', '9m');
  await d.click('#jump-go');
  await d.paused();
  await d.click('#tab-charts');
  await sleep(300);
  await d.screenshot(path.join(dir, 'charts.png'));
  await d.click('#tab-events');
  await d.setValue('#event-filter', 'Node');
  await sleep(300);
  await d.screenshot(path.join(dir, 'events.png'));
  await openPlanning(d, base, path.join(ROOT, 'cli/tests/plan/binpack.yaml'));
  await d.setValue('#plan-kind', 'plan');
  await d.setValue('#plan-headroom', 'zone');
  await d.click('#plan-run');
  await d.until(`return document.getElementById('plan-nodes');`, 'the plan answer');
  await sleep(300);
  await d.screenshot(path.join(dir, 'planning.png'));
  console.log(`screenshots: ${readdirSync(dir).filter((f) => f.endsWith('.png')).join(', ')} in ${dir}`);
}

/**
 * The longest animation frame allowed while the page starts (up to the frame that first
 * shows the run, `cellsim-opened`), in ms: `bench` and `start` fail over it. Not the 50 ms
 * goal: that one holds on an idle machine only (on this 2-core machine at load average 5-7,
 * the start's frames were 52-72 ms); 150 ms is above anything the staged start measured under
 * that load and below what the unstaged start took idle (267-401 ms; 160-299 ms loaded), so
 * it catches the start's work going back into one task (docs/benchmarks.md).
 */
const START_FRAME_BUDGET_MS = 150;

function checkStart(what, longest) {
  if (longest > START_FRAME_BUDGET_MS) {
    failed += 1;
    console.log(`FAIL  ${what}: a frame of ${longest} ms while the page started (budget ${START_FRAME_BUDGET_MS} ms)`);
  } else {
    passed += 1;
    console.log(`ok    ${what}: the page's start, longest frame ${longest} ms (budget ${START_FRAME_BUDGET_MS} ms)`);
  }
}

/** A big scenario in the page: wall time to the end and frame times at max speed. */
async function bench(d, base, file) {
  const text = readFileSync(file, 'utf8');
  const s = deflateRawSync(Buffer.from(text), { level: 9 }).toString('base64url');
  const loadStart = Date.now();
  await d.go(`${base}?name=${path.basename(file)}&s=${s}`);
  // The page loads the scenario and settles its t=0 in animation frames (the frame stats count
  // those frames too); the play button shows once t=0 is done.
  const ready = await d.until(`const n=document.getElementById('notice'); return n ? 'notice: '+n.textContent : document.getElementById('play') && 'ok';`, 'the page', 600000);
  if (ready !== 'ok') throw new Error(ready);
  const loadSeconds = (Date.now() - loadStart) / 1000;
  // The frames of t=0 (before play): their longest, and where it went.
  const settle = await d.exec(`const e=document.getElementById('frame-stats'); return {...e.dataset};`);
  // Chromium's long animation frames (over 50 ms, the Long Animation Frames API, buffered
  // from the page's start): how each splits into script, style and layout, and rendering.
  await d.exec(`window.__loaf = []; new PerformanceObserver((l) => window.__loaf.push(...l.getEntries()))
    .observe({ type: 'long-animation-frame', buffered: true }); return true;`);
  const t0 = Date.now();
  await d.exec(`window.__playAt = performance.now(); return true;`);
  await d.setValue('#speed', '5');
  // CELLSIM_CPU_PROFILE=FILE: V8's sampling profile of the played hour, written to FILE (a
  // .cpuprofile for Chromium's DevTools; wasm functions are named when the module kept its
  // name section).
  const profileFile = process.env.CELLSIM_CPU_PROFILE;
  if (profileFile) {
    await d.cdp('Profiler.enable');
    await d.cdp('Profiler.setSamplingInterval', { interval: 500 });
    await d.cdp('Profiler.start');
  }
  // The renderer's main-thread CPU time over the played hour (CDP Performance metrics):
  // the page's own CPU time beside its wall time (both vary when other work shares the machine).
  await d.cdp('Performance.enable');
  const threadTime = async () => (await d.cdp('Performance.getMetrics')).metrics.find((m) => m.name === 'ThreadTime').value;
  const cpu0 = await threadTime();
  await d.click('#play');
  const progress = setInterval(async () => {
    try { console.log('progress', await d.text('#sim-time'), await d.text('#run-state'), JSON.stringify(await d.exec(`return {...document.getElementById('frame-stats').dataset};`))); } catch (e) { console.log('progress?', e.message); }
  }, 10000);
  const hash = await d.finished(3600000).finally(() => clearInterval(progress));
  const wall = (Date.now() - t0) / 1000;
  const mainThreadCpuSeconds = Math.round((await threadTime() - cpu0) * 1000) / 1000;
  if (profileFile) writeFileSync(profileFile, JSON.stringify((await d.cdp('Profiler.stop')).profile));
  const stats = await d.exec(`const e=document.getElementById('frame-stats'); return {...e.dataset};`);
  // Every long animation frame from the page's start to the end (the browser's own account,
  // build, render, style and layout included): how many, and how many before play (the
  // page's start and t=0).
  const loafCount = await d.exec(`const l = window.__loaf || []; return { all: l.length,
    beforePlay: l.filter((e) => e.startTime < window.__playAt).length,
    startLongestMs: Math.round(Math.max(0, ...l.filter((e) => e.startTime <= (performance.getEntriesByName('cellsim-opened')[0]?.startTime ?? window.__playAt)).map((e) => e.duration))),
    overHundred: l.filter((e) => e.duration > 100).length };`);
  // The page's start: index.html's marks (module fetched and compiled; app mounted).
  const start = await d.exec(`return Object.fromEntries(performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('cellsim-')).map((m) => [m.name.slice(8), Math.round(m.startTime)]));`);
  const loaf = await d.exec(`return (window.__loaf || []).sort((a, b) => b.duration - a.duration).slice(0, 5).map((e) =>
    ({ start: Math.round(e.startTime), duration: Math.round(e.duration),
       script: Math.round(e.scripts.reduce((t, s) => t + s.duration, 0)),
       styleLayout: Math.round(e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0),
       render: Math.round(e.renderStart ? e.startTime + e.duration - e.renderStart : 0),
       scripts: e.scripts.map((s) => s.invoker + ' ' + Math.round(s.duration)
         + (s.forcedStyleAndLayoutDuration >= 1 ? ' (forced layout ' + Math.round(s.forcedStyleAndLayoutDuration) + ')' : '')).join(', ') }));`);
  // Frames while paused and rendering only: expand a group and step a few times.
  const cli = cliReport(file, undefined, false);
  console.log(JSON.stringify({ scenario: path.basename(file), loadSeconds, wallSeconds: wall, mainThreadCpuSeconds, pageRunMs: Number(stats.runMs),
    frames: Number(stats.frames), avgFrameMs: Number(stats.avgMs), maxFrameMs: Number(stats.maxMs),
    // Frames over 50 ms, and what the frame before the longest one spent (FrameStats::worst).
    longFrames: Number(stats.longFrames), worstFrame: stats.worst,
    settleFrames: Number(settle.frames), settleMaxFrameMs: Number(settle.maxMs), settleWorstFrame: settle.worst,
    startMarks: start, longAnimationFrameCount: loafCount, longAnimationFrames: loaf,
    // Of pageRunMs: the core stepping, the cluster view's rebuilds, and the rest (rendering,
    // the browser's frame pacing).
    stepMs: Number(stats.stepMs), viewMs: Number(stats.viewMs),
    otherMs: Number(stats.runMs) - Number(stats.stepMs) - Number(stats.viewMs),
    traceHash: hash, cliTraceHash: cli.traceHash, identical: hash === cli.traceHash }, null, 1));
  if (hash !== cli.traceHash) failed += 1; else passed += 1;
  checkStart(path.basename(file), loafCount.startLongestMs);
}

/**
 * The page's start, `n` times: a fresh load of a scenario (YAML FILE) through a share link, up
 * to its run built and rendered (index.html's and the app's `cellsim-` marks), and Chromium's
 * long animation frames (over 50 ms) until then. The frames of t=0 after it are the bench's.
 */
async function benchStart(d, base, file, n) {
  const s = deflateRawSync(Buffer.from(readFileSync(file, 'utf8')), { level: 9 }).toString('base64url');
  const loads = [];
  for (let i = 0; i < n; i++) {
    await d.go('about:blank');
    await d.go(`${base}?name=${path.basename(file)}&s=${s}`);
    await d.until(`return performance.getEntriesByName('cellsim-opened').length > 0;`, 'the run built', 120000);
    await sleep(300); // the frame that rendered it ends, and its long-animation-frame entry is out
    loads.push(await d.exec(`const marks = Object.fromEntries(performance.getEntriesByType('mark')
        .filter((m) => m.name.startsWith('cellsim-')).map((m) => [m.name.slice(8), Math.round(m.startTime)]));
      const loaf = performance.getEntriesByType('long-animation-frame').filter((e) => e.startTime <= marks.opened)
        .map((e) => ({ start: Math.round(e.startTime), duration: Math.round(e.duration),
          styleLayout: Math.round(e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0),
          scripts: e.scripts.map((x) => x.invoker + ' ' + Math.round(x.duration)).join(', ') }));
      return { marks, loaf, longest: Math.max(0, ...loaf.map((e) => e.duration)) };`));
    console.log(JSON.stringify(loads[loads.length - 1]));
  }
  const longest = loads.map((l) => l.longest).sort((a, b) => a - b);
  console.log(JSON.stringify({ scenario: path.basename(file), loads: n, longestStartFrameMs: longest,
    median: longest[Math.floor(n / 2)], over50: longest.filter((x) => x > 50).length }));
  checkStart(path.basename(file), longest[n - 1]);
}

const [mode, arg, arg2] = process.argv.slice(2);
if (!['test', 'screenshots', 'bench', 'start'].includes(mode)) {
  console.error('usage: node scripts/browser-test.mjs test | screenshots DIR | bench FILE | start FILE [N]');
  process.exit(2);
}
try {
  await withBrowser(async (d, base) => {
    driver = d;
    if (mode === 'test') await testAll(d, base);
    if (mode === 'screenshots') await screenshots(d, base, path.resolve(arg ?? 'docs/screenshots'));
    if (mode === 'bench') await bench(d, base, path.resolve(arg));
    if (mode === 'start') await benchStart(d, base, path.resolve(arg), Number(arg2 ?? 5));
  });
} catch (e) {
  failed += 1;
  console.log(`FAIL  ${e.message}`);
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
