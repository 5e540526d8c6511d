#!/usr/bin/env node
// Numerical fidelity against float64: PyTorch (test/support/torch_reference.py) writes a float64
// golden folder per size (UNet numDowns log2(size), ngf = ndf, BatchNorm, batch 1, 3 steps, no
// dropout) and PyTorch float32's own errors against it; then the project's verifyGolden runs the
// same steps on each backend. Prints, per size and backend, the relative L2 error of the step-0
// gradients and of the state after the steps against float64 (median and worst over tensors), next
// to PyTorch float32's, and their ratio.
// Usage: node scripts/fidelity.mjs [--sizes 128,256] [--ngf 16] [--backends cpu,wasm] [--json]
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

const entry = `
import { readFileSync } from 'node:fs';
import { initBackend } from './src/backends/index.js';
import { verifyGolden } from './src/pix2pix/golden.js';
import { dirSource } from './src/cli/fs-source.js';
import { registerF64Kernels } from './test/support/f64-kernels.js';
const args = process.argv.slice(2);
const dirs = JSON.parse(args[0]);
const backend = args[1];
const f64 = args[2] ? args[2].split(',') : [];
const info = await initBackend(backend);
if (f64.length) registerF64Kernels(info.name, f64);
const stats = (v) => { const s = [...v].sort((a, b) => a - b); return { median: s[Math.floor(s.length / 2)], worst: s[s.length - 1] }; };
for (const [size, dir] of dirs) {
  const torch = JSON.parse(readFileSync(dir + '/torch_f32_errors.json', 'utf8'));
  const ours = {};
  const checks = await verifyGolden(dirSource(dir), { legacy: false });
  for (const c of checks) {
    const m = c.name.match(/^grad step 0 (G|D) (\\S+)$/) || c.name.match(/^after \\d+ steps (G|D) (\\S+)$/);
    if (m) ours[(c.name.startsWith('grad') ? 'grad_step0/' : 'after/') + m[1] + '/' + m[2]] = c.error;
  }
  for (const kind of ['grad_step0', 'after']) {
    const keys = Object.keys(torch).filter((k) => k.startsWith(kind + '/'));
    const t = stats(keys.map((k) => torch[k]));
    const o = stats(keys.map((k) => ours[k] ?? Infinity));
    console.log(JSON.stringify({ size, backend: info.name + (f64.length ? ' (f64: ' + f64.join('+') + ')' : ''), kind, tensors: keys.length, torchF32: t, ours: o, ratioMedian: o.median / t.median, ratioWorst: o.worst / t.worst }));
  }
}
`;
const outfile = join(ROOT, '.tmp', 'fidelity', 'fidelity.mjs');
await bundleForNode({
  stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'fidelity-entry.ts', loader: 'ts' },
  outfile,
});
const rows = [];
// --f64 dw,bn;sum: one run per ';'-separated set, with those kernel groups swapped for float64
// ones (test/support/f64-kernels.ts), to attribute the error to ops; '-' is the unswapped run.
const swaps = (opt('f64', '-') || '-').split(';').map((g) => (g === '-' ? '' : g));
for (const b of opt('backends', 'cpu,wasm').split(',')) for (const f64 of swaps) {
  const r = spawnSync(process.execPath, [outfile, JSON.stringify(dirs), b, f64], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) process.exit(1);
  rows.push(
    ...r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l)),
  );
}
if (args.includes('--json')) for (const r of rows) console.log(JSON.stringify(r));
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
