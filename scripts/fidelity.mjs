#!/usr/bin/env node
// Numerical fidelity against float64: PyTorch (test/support/torch_reference.py) writes a float64
// golden folder per size (UNet numDowns log2(size), ngf = ndf, BatchNorm, batch 1, 3 steps, no
// dropout) and PyTorch float32's own errors against it; then the project's verifyGolden runs the
// same steps on each backend. Prints, per size and backend, the relative L2 error of the step-0
// gradients and of the state after the steps against float64 (median and worst over tensors), next
// to PyTorch float32's, and their ratio.
// Backends: cpu, wasm and webgpu (Dawn on SwiftShader's Vulkan when there is no GPU) run in Node;
// webgl runs in headless Chromium (SwiftShader). --f64 swaps kernel groups for float64 ones
// (test/support/f64-kernels.ts) for a per-op attribution: one run per ';'-separated set.
// Usage: node scripts/fidelity.mjs [--sizes 128,256] [--ngf 16] [--backends cpu,wasm,webgpu,webgl]
//          [--f64 '-;bn;dw;conv,dx,dw'] [--json | --per-tensor] [--regen]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, bundleForNode } from './lib/node-bundle.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf('--' + name);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt('sizes', '128,256').split(',').map(Number);
const ngf = Number(opt('ngf', '16'));
const python = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import torch']).status === 0,
);
if (!python) {
  console.error('fidelity: no python with torch (apt-get install -y python3-torch)');
  process.exit(2);
}
const dirs = [];
for (const size of sizes) {
  const dir = join(ROOT, '.tmp', 'fidelity', `s${size}_ngf${ngf}`);
  if (!existsSync(join(dir, 'torch_f32_errors.json')) || args.includes('--regen')) {
    const cfg = { num_downs: Math.log2(size), ngf, ndf: ngf, size, steps: 3, batch: 1, seed: 1 };
    const r = spawnSync(
      python,
      [join(ROOT, 'test/support/torch_reference.py'), 'fidelity', dir, JSON.stringify(cfg)],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) process.exit(1);
  }
  dirs.push([size, dir]);
}

// The measuring code, shared by Node (cpu, wasm, webgpu through Dawn) and the Chromium page (webgl):
// `source(dir)` reads a golden folder (files in Node, HTTP in the page), `emit` reports a row.
const measure = `
import { initBackend } from './src/backends/index.js';
import { verifyGolden } from './src/pix2pix/golden.js';
import { registerF64Kernels } from './test/support/f64-kernels.js';
const stats = (v) => { const s = [...v].sort((a, b) => a - b); return { median: s[Math.floor(s.length / 2)], worst: s[s.length - 1] }; };
export async function measure(dirs, backend, f64, source, emit) {
  const info = await initBackend(backend, { purpose: 'train' });
  if (f64.length) registerF64Kernels(info.name, f64);
  for (const [size, dir] of dirs) {
    const src = source(dir);
    const torch = JSON.parse(new TextDecoder().decode(await src.read('torch_f32_errors.json')));
    const ours = {};
    const checks = await verifyGolden(src, { legacy: false });
    for (const c of checks) {
      const m = c.name.match(/^grad step 0 (G|D) (\\S+)$/) || c.name.match(/^after \\d+ steps (G|D) (\\S+)$/);
      if (m) ours[(c.name.startsWith('grad') ? 'grad_step0/' : 'after/') + m[1] + '/' + m[2]] = c.error;
    }
    emit({ size, backend: info.name, kind: 'checks', checks: checks.filter((c) => !/^(grad step 0|after \\d+ steps) /.test(c.name)) });
    for (const kind of ['grad_step0', 'after']) {
      const keys = Object.keys(torch).filter((k) => k.startsWith(kind + '/'));
      const t = stats(keys.map((k) => torch[k]));
      const o = stats(keys.map((k) => ours[k] ?? Infinity));
      const perTensor = Object.fromEntries(keys.map((k) => [k, [ours[k] ?? Infinity, torch[k]]]));
      emit({ size, backend: info.name + (f64.length ? ' (f64: ' + f64.join('+') + ')' : ''), kind, tensors: keys.length, torchF32: t, ours: o, ratioMedian: o.median / t.median, ratioWorst: o.worst / t.worst, perTensor });
    }
  }
}
`;
const nodeEntry = `
import { measure } from './fidelity-measure.ts';
import { dirSource } from './src/cli/fs-source.js';
const args = process.argv.slice(2);
await measure(JSON.parse(args[0]), args[1], args[2] ? args[2].split(',') : [], dirSource, (r) => console.log(JSON.stringify(r)));
`;
const pageEntry = `
import { measure } from './fidelity-measure.ts';
const q = new URLSearchParams(location.search);
const source = (dir) => ({ location: dir, async read(name) {
  const res = await fetch('/' + dir + '/' + encodeURIComponent(name));
  if (!res.ok) throw new Error('HTTP ' + res.status + ' for ' + res.url);
  return new Uint8Array(await res.arrayBuffer());
} });
measure(JSON.parse(q.get('dirs')), q.get('backend'), q.get('f64') ? q.get('f64').split(',') : [], source, (r) => console.log('FIDELITY ' + JSON.stringify(r)))
  .then(() => console.log('FIDELITY-DONE'), (e) => console.log('FIDELITY-ERROR ' + (e && e.stack || e)));
`;
// esbuild resolves the virtual './fidelity-measure.ts' through this plugin.
const virtual = {
  name: 'fidelity-measure',
  setup(b) {
    b.onResolve({ filter: /^\.\/fidelity-measure\.ts$/ }, () => ({
      path: 'fidelity-measure',
      namespace: 'fid',
    }));
    b.onLoad({ filter: /.*/, namespace: 'fid' }, () => ({
      contents: measure,
      loader: 'ts',
      resolveDir: ROOT,
    }));
  },
};
const outdir = join(ROOT, '.tmp', 'fidelity');
const outfile = join(outdir, `fidelity-${process.pid}.mjs`);
await bundleForNode({
  stdin: { contents: nodeEntry, resolveDir: ROOT, sourcefile: 'fidelity-entry.ts', loader: 'ts' },
  outfile,
  plugins: [virtual],
});
const rows = [];
// --f64 dw,bn;sum: one run per ';'-separated set, with those kernel groups swapped for float64
// ones (test/support/f64-kernels.ts), to attribute the error to ops; '-' is the unswapped run.
const swaps = (opt('f64', '-') || '-').split(';').map((g) => (g === '-' ? '' : g));
// Dawn finds no adapter without a GPU unless pointed at Chromium's SwiftShader Vulkan driver.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const env = { ...process.env };
if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
for (const b of opt('backends', 'cpu,wasm').split(','))
  for (const f64 of swaps) {
    if (b === 'webgl') {
      rows.push(...(await inChromium(dirs, b, f64)));
      continue;
    }
    const r = spawnSync(process.execPath, [outfile, JSON.stringify(dirs), b, f64], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    if (r.status !== 0) process.exit(1);
    rows.push(
      ...r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
    );
  }

/** Runs the measurement in a headless Chromium page (SwiftShader for WebGL2), serving ROOT. */
async function inChromium(dirs, backend, f64) {
  const { build } = await import('esbuild');
  const { createServer } = await import('node:http');
  const { readFile } = await import('node:fs/promises');
  const { CHROMIUM_ARGS, findChromium } = await import('../test/browser/harness.mjs');
  const { copyWasmBinaries } = await import('./lib/node-bundle.mjs');
  const pageDir = join(outdir, 'page');
  await build({
    stdin: { contents: pageEntry, resolveDir: ROOT, sourcefile: 'fidelity-page.ts', loader: 'ts' },
    outfile: join(pageDir, 'fidelity.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    logLevel: 'warning',
    plugins: [virtual],
  });
  copyWasmBinaries(pageDir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = path === '/' ? join(pageDir, 'index.html') : join(ROOT, path);
    if (!file.startsWith(ROOT)) return res.writeHead(403).end();
    try {
      const body =
        path === '/'
          ? '<script type="module" src="/.tmp/fidelity/page/fidelity.js"></script>'
          : await readFile(file);
      const type = file.endsWith('.js')
        ? 'text/javascript'
        : file.endsWith('.wasm')
          ? 'application/wasm'
          : path === '/'
            ? 'text/html'
            : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const found = [];
  try {
    const page = await browser.newPage();
    const done = new Promise((resolve, reject) => {
      page.on('console', (m) => {
        const t = m.text();
        if (t.startsWith('FIDELITY ')) found.push(JSON.parse(t.slice(9)));
        else if (t === 'FIDELITY-DONE') resolve();
        else if (t.startsWith('FIDELITY-ERROR')) reject(new Error(t));
      });
      page.on('pageerror', reject);
    });
    const rel = dirs.map(([size, d]) => [size, d.slice(ROOT.length).replace(/^\/+/, '')]);
    const q = new URLSearchParams({ dirs: JSON.stringify(rel), backend, f64 });
    await page.goto(`http://127.0.0.1:${server.address().port}/?${q}`);
    page.setDefaultTimeout(0);
    await done;
  } finally {
    await browser.close();
    server.close();
  }
  return found;
}

const checkRows = rows.filter((r) => r.kind === 'checks');
rows.splice(0, rows.length, ...rows.filter((r) => r.kind !== 'checks'));
// --checks: also the forward and loss checks (relative error against float64).
if (args.includes('--checks'))
  for (const r of checkRows)
    for (const c of r.checks)
      console.log(`${r.size} ${r.backend} ${c.name}: ${c.error.toExponential(2)}`);
if (args.includes('--json')) for (const r of rows) console.log(JSON.stringify(r));
else if (args.includes('--per-tensor'))
  for (const r of rows)
    for (const [k, [o, t]] of Object.entries(r.perTensor))
      console.log(
        `${r.size} ${r.backend} ${k} ours ${o.toExponential(2)} torch ${t.toExponential(2)} ratio ${(o / t).toFixed(2)}`,
      );
else {
  const e = (x) => x.toExponential(1);
  console.log(
    `UNet numDowns log2(size), ngf ${ngf}, ndf ${ngf}, BatchNorm, batch 1, 3 Adam steps; relative L2 error against float64, median / worst over tensors`,
  );
  console.log(
    '| size | backend | quantity | PyTorch float32 | pix2pix-ts | ratio (median / worst) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const what = r.kind === 'grad_step0' ? 'step-0 gradients' : 'state after 3 steps';
    console.log(
      `| ${r.size} | ${r.backend} | ${what} (${r.tensors}) | ${e(r.torchF32.median)} / ${e(r.torchF32.worst)} | ${e(r.ours.median)} / ${e(r.ours.worst)} | ${r.ratioMedian.toFixed(2)} / ${r.ratioWorst.toFixed(2)} |`,
    );
  }
}
