#!/usr/bin/env node
// GPU benchmark (the `gpu` task of src/bench/tasks.ts): pix2pix inference and training steps on
// one backend (webgpu in Node through Dawn by default) with kernel and GPU program counts. `--help`
// for options. Bundled like scripts/test.mjs (one ESM world with tfjs).
// `--backend webgl` runs the same task in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), where webgl lives; without a GPU that is SwiftShader (software).
// Usage: node scripts/bench-gpu.mjs [--backend webgpu|webgl|wasm|cpu] [--ngf 64] [--num-downs 8]
//          [--steps 10] [--warmup 3] [--json]
// Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (software, for a smoke test):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node scripts/bench-gpu.mjs --ngf 8 --num-downs 6
// (add LD_LIBRARY_PATH=/usr/lib/chromium where no system libvulkan1 is installed: Chromium ships one).
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';
import { CHROMIUM_ARGS, findChromium } from '../test/browser/harness.mjs';

const args = process.argv.slice(2);
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'webgpu';
if (backend !== 'webgl') {
  await bundleAndRun('bench-gpu', join(ROOT, 'scripts/bench-task.ts'), ['gpu', ...args]);
} else {
  const chromium = findChromium();
  if (!chromium)
    throw new Error(
      '--backend webgl runs in Chromium: none found at /usr/bin/chromium (set CHROMIUM_PATH)',
    );
  const opt = (name, def) =>
    args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def;
  const options = {
    backend,
    ngf: opt('ngf', 64),
    numDowns: opt('num-downs', 8),
    steps: opt('steps', 10),
    warmup: opt('warmup', 3),
  };
  const out = await build({
    stdin: {
      contents: `import { benchGpu, formatGpuBench } from './src/bench/gpu.js';\nglobalThis.__bench = async (o) => { const r = await benchGpu(o); return { r, text: formatGpuBench(r) }; };`,
      resolveDir: ROOT,
      sourcefile: 'bench-gpu-page.ts',
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'warning',
    target: 'chrome120',
  });
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({
    executablePath: chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(m.text());
    });
    await page.addScriptTag({ content: out.outputFiles[0].text });
    const { r, text } = await page.evaluate((o) => globalThis.__bench(o), options);
    console.log(
      args.includes('--json')
        ? JSON.stringify(r)
        : `(headless Chromium ${browser.version()})\n${text}`,
    );
  } finally {
    await browser.close();
  }
}
