#!/usr/bin/env node
// Counts the tfjs kernels of one pix2pix training step and one eval-mode generator pass, by
// kernel name (the `count-ops` task of src/bench/tasks.ts; `--help` for options).
// Bundled like scripts/test.mjs (one ESM world with tfjs).
// Usage: node scripts/count-ops.mjs [--backend cpu|wasm|webgpu] [--ngf 4] [--num-downs 8] [--norm batch] [--top 40] [--json]
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('count-ops', join(ROOT, 'scripts/bench-task.ts'), [
  'count-ops',
  ...process.argv.slice(2),
]);
