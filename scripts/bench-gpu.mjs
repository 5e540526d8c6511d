#!/usr/bin/env node
// GPU benchmark: pix2pix inference (eval-mode G) and training steps on the webgpu backend in Node
// (the optional `webgpu` package, Dawn), at the paper's size by default: UNet-256 (numDowns 8,
// ngf 64) + 70x70 PatchGAN (ndf 64), batch 1. Prints per-call ms (median, min) and the tfjs
// kernels per call, since on a GPU these steps are bound by the per-kernel overhead.
// Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/bench-gpu.mjs [--backend webgpu|webgl|wasm|cpu] [--ngf 64] [--num-downs 8]
//          [--steps 10] [--warmup 3] [--json]
// Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (software, for a smoke test):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node scripts/bench-gpu.mjs --ngf 8 --num-downs 6
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

const entry = `
import { tf } from './src/core/tf.js';
import { initBackend } from './src/backends/index.js';
import { Pix2PixModel } from './src/pix2pix/model.js';
import { countKernels } from './src/backends/webgpu-kernels/op-count.js';
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const backend = opt('backend', 'webgpu');
const ngf = +opt('ngf', 64), numDowns = +opt('num-downs', 8), steps = +opt('steps', 10), warmup = +opt('warmup', 3);
const size = 2 ** numDowns;
const info = await initBackend(backend);
const where = info.adapter ? JSON.stringify(info.adapter) : info.reason;
if (info.software) console.log('!! ' + info.name + ' runs on a software adapter/renderer (' + info.reason + '): these are not GPU figures');
const model = new Pix2PixModel({ generator: { numDowns, ngf }, discriminator: { ndf: ngf, nLayers: 3 } });
const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1);
const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2);
const infer = async () => { const y = model.generate(a); await y.data(); y.dispose(); };
const train = () => model.trainStep(a, b);
async function time(fn) {
  for (let i = 0; i < warmup; i++) await fn();
  const ms = [];
  for (let i = 0; i < steps; i++) { const t0 = performance.now(); await fn(); ms.push(performance.now() - t0); }
  ms.sort((x, y) => x - y);
  return { median: ms[ms.length >> 1], min: ms[0] };
}
const inferMs = await time(infer);
const trainMs = await time(train);
const inferCount = (await countKernels(infer)).count;
const trainCount = (await countKernels(train)).count;
const top = (c) => c.byKernel.slice(0, 10).map(([n, k]) => n + ' ' + k).join(', ');
const res = { backend: info.name, adapter: info.adapter ?? null, software: info.software, config: { size, numDowns, ngf, ndf: ngf, batch: 1 },
  infer: { ...inferMs, kernels: inferCount.total, dispatching: inferCount.dispatching, programs: inferCount.programs },
  train: { ...trainMs, kernels: trainCount.total, dispatching: trainCount.dispatching, programs: trainCount.programs, top10: trainCount.byKernel.slice(0, 10) } };
if (args.includes('--json')) console.log(JSON.stringify(res));
else {
  console.log('backend ' + info.name + ' on ' + where);
  console.log('UNet numDowns ' + numDowns + ' ngf ' + ngf + ' + PatchGAN ndf ' + ngf + ', ' + size + 'x' + size + ', batch 1, ' + warmup + ' warm-up + ' + steps + ' timed calls');
  console.log('inference (eval G):  median ' + inferMs.median.toFixed(1) + ' ms, min ' + inferMs.min.toFixed(1) + ' ms, ' + inferCount.total + ' kernels (' + inferCount.dispatching + ' launch GPU work), ' + inferCount.programs + ' GPU programs');
  console.log('training step:       median ' + trainMs.median.toFixed(1) + ' ms, min ' + trainMs.min.toFixed(1) + ' ms, ' + trainCount.total + ' kernels (' + trainCount.dispatching + ' launch GPU work), ' + trainCount.programs + ' GPU programs');
  console.log('  top kernels per step: ' + top(trainCount));
}
tf.dispose([a, b]);
model.dispose();
`;
await bundleAndRun('bench-gpu', { contents: entry, resolveDir: ROOT, sourcefile: 'bench-gpu-entry.ts', loader: 'ts' });
