#!/usr/bin/env node
// The wasm kernel benchmarks (the `kernels` task of src/bench/tasks.ts; `--help` for options),
// bundled like scripts/test.mjs (one ESM world with tfjs and the wasm binaries beside it).
// Usage: [BENCH=kernels|infer|train] [BENCH_BATCH=n] [BENCH_REPS=n] node scripts/bench-kernels.mjs
// (infer: UNet-256 ngf 64 ours vs stock Conv2DBackpropInput; train: steps at 128 ngf 32 and
// 256 ngf 64; both with per-kernel tables); the same as --bench, --batch, --reps options.
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('bench-kernels', join(ROOT, 'scripts/bench-task.ts'), [
  'kernels',
  ...process.argv.slice(2),
]);
