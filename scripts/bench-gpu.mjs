#!/usr/bin/env node
// GPU benchmark: pix2pix inference (eval-mode G) and training steps on the webgpu backend in Node
// (the optional `webgpu` package, Dawn), at the paper's size by default: UNet-256 (numDowns 8,
// ngf 64) + 70x70 PatchGAN (ndf 64), batch 1. Prints per-call ms (median, min), the tfjs kernels
// per call and the GPU programs they ran, since on a GPU these steps are bound by the per-program
// overhead. `--backend webgl` (or `--chromium`) runs the same in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), where webgl lives; without a GPU that is SwiftShader.
// Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/bench-gpu.mjs [--backend webgpu|webgl|wasm|cpu] [--ngf 64] [--num-downs 8]
//          [--steps 10] [--warmup 3] [--json] [--chromium]
// Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (software, for a smoke test):
//   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
//     node scripts/bench-gpu.mjs --ngf 8 --num-downs 6
// (LD_LIBRARY_PATH only where no system libvulkan1 is installed: Chromium ships its own loader.)
import { build } from 'esbuild';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';
import { CHROMIUM_ARGS, CHROMIUM_WEBGPU_ARGS, findChromium } from '../test/browser/harness.mjs';

const entry = `
import { tf } from './src/core/tf.js';
import { initBackend } from './src/backends/index.js';
import { Pix2PixModel } from './src/pix2pix/model.js';
import { countKernels } from './src/backends/webgpu-kernels/op-count.js';
export async function main(args, print) {
const opt = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? args[i + 1] : def; };
const backend = opt('backend', 'webgpu');
const ngf = +opt('ngf', 64), numDowns = +opt('num-downs', 8), steps = +opt('steps', 10), warmup = +opt('warmup', 3);
const size = 2 ** numDowns;
const info = await initBackend(backend, { purpose: 'train' });
const where = info.adapter ? JSON.stringify(info.adapter) : info.reason;
if (info.software) print('!! ' + info.name + ' runs on a software adapter/renderer (' + info.reason + '): these are not GPU figures');
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
if (args.includes('--json')) print(JSON.stringify(res));
else {
  print('backend ' + info.name + ' on ' + where);
  print('UNet numDowns ' + numDowns + ' ngf ' + ngf + ' + PatchGAN ndf ' + ngf + ', ' + size + 'x' + size + ', batch 1, ' + warmup + ' warm-up + ' + steps + ' timed calls');
  print('inference (eval G):  median ' + inferMs.median.toFixed(1) + ' ms, min ' + inferMs.min.toFixed(1) + ' ms, ' + inferCount.total + ' kernels (' + inferCount.dispatching + ' launch GPU work), ' + inferCount.programs + ' GPU programs');
  print('training step:       median ' + trainMs.median.toFixed(1) + ' ms, min ' + trainMs.min.toFixed(1) + ' ms, ' + trainCount.total + ' kernels (' + trainCount.dispatching + ' launch GPU work), ' + trainCount.programs + ' GPU programs');
  print('  top kernels per step: ' + top(trainCount));
  if (trainCount.programs != null) {
    const progs = (c) => c.byProgram.slice(0, 14).map(([n, k]) => n + ' ' + k).join(', ');
    print('  top programs per step: ' + progs(trainCount));
    print('  programs per eval G pass: ' + progs(inferCount));
  }
}
tf.dispose([a, b]);
model.dispose();
}
`;

const args = process.argv.slice(2);
const backendArg = args[args.indexOf('--backend') + 1];
if (args.includes('--chromium') || (args.includes('--backend') && backendArg === 'webgl')) {
  const chromium = findChromium();
  if (!chromium) throw new Error('--backend webgl runs in Chromium: none found at /usr/bin/chromium (set CHROMIUM_PATH)');
  const out = await build({
    stdin: { contents: entry + '\nglobalThis.__bench = main;', resolveDir: ROOT, sourcefile: 'bench-gpu-page.ts', loader: 'ts' },
    bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'warning', target: 'chrome120',
  });
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium, headless: true, args: [...CHROMIUM_ARGS, ...(backendArg === 'webgpu' ? CHROMIUM_WEBGPU_ARGS : [])] });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.error(m.text()); });
    await page.addScriptTag({ content: out.outputFiles[0].text });
    const lines = await page.evaluate(async (a) => { const l = []; await globalThis.__bench(a, (s) => l.push(s)); return l; }, args);
    console.log(`(headless ${await browser.version()})`);
    for (const l of lines) console.log(l);
  } finally {
    await browser.close();
  }
} else {
  await bundleAndRun('bench-gpu', { contents: entry + '\nawait main(process.argv.slice(2), console.log);', resolveDir: ROOT, sourcefile: 'bench-gpu-entry.ts', loader: 'ts' });
}
