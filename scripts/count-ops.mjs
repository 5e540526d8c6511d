#!/usr/bin/env node
// Counts the tfjs kernels one pix2pix training step (and one eval-mode generator pass) invokes,
// by kernel name. The count depends on the topology (numDowns, nLayers, norm), not on image size
// or width, so the default counts the paper's UNet-256 / 70x70 PatchGAN topology with ngf = ndf = 4
// (what UNet-256 ngf 64 runs, at a fraction of the cost on cpu).
// Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/count-ops.mjs [--backend cpu|wasm|webgpu] [--ngf 4] [--num-downs 8] [--norm batch] [--top 40] [--json]
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

const entry = `
import { tf } from './src/core/tf.js';
import { initBackend } from './src/backends/index.js';
import { Pix2PixModel } from './src/pix2pix/model.js';
import { countKernels, formatKernelCount } from './src/backends/webgpu-kernels/op-count.js';
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const backend = opt('backend', 'cpu');
const ngf = +opt('ngf', 4), numDowns = +opt('num-downs', 8), norm = opt('norm', 'batch'), top = +opt('top', 40);
const size = 2 ** numDowns;
const info = await initBackend(backend);
const model = new Pix2PixModel({ generator: { numDowns, ngf, norm }, discriminator: { ndf: ngf, nLayers: 3, norm } });
const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1);
const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2);
await model.trainStep(a, b); // warm-up: first-use allocations are not part of a steady step
const step = (await countKernels(() => model.trainStep(a, b))).count;
const infer = (await countKernels(async () => { const y = model.generate(a); await y.data(); y.dispose(); })).count;
const what = 'UNet numDowns ' + numDowns + ' ngf ' + ngf + ', PatchGAN nLayers 3 ndf ' + ngf + ', norm ' + norm + ', ' + size + 'x' + size + ', batch 1, backend ' + info.name;
if (args.includes('--json')) console.log(JSON.stringify({ what, step, infer }));
else {
  console.log('kernels per training step (' + what + '):\\n' + formatKernelCount(step, top));
  console.log('\\nkernels per eval-mode generator pass:\\n' + formatKernelCount(infer, 10));
  if (step.programs != null) {
    const list = (c) => c.byProgram.map(([n, k]) => n + ' ' + k).join(', ');
    console.log('\\nGPU programs per training step: ' + step.programs + ' (' + list(step) + ')');
    console.log('GPU programs per eval G pass: ' + infer.programs + ' (' + list(infer) + ')');
  }
}
tf.dispose([a, b]);
model.dispose();
`;
await bundleAndRun('count-ops', { contents: entry, resolveDir: ROOT, sourcefile: 'count-ops-entry.ts', loader: 'ts' });
