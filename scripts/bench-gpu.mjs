#!/usr/bin/env node
// GPU benchmark (the `gpu` task of src/bench/tasks.ts): pix2pix inference and training steps on
// one backend (webgpu in Node through Dawn by default) with kernel counts. `--help` for options.
// Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/bench-gpu.mjs [--backend webgpu|webgl|wasm|cpu] [--ngf 64] [--num-downs 8]
//          [--steps 10] [--warmup 3] [--json]
// Without a GPU, Dawn can run on Chromium's SwiftShader Vulkan driver (software, for a smoke test):
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node scripts/bench-gpu.mjs --ngf 8 --num-downs 6
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('bench-gpu', join(ROOT, 'scripts/bench-task.ts'), ['gpu', ...process.argv.slice(2)]);
