#!/usr/bin/env node
// Bundles src/bench/kernels.ts like scripts/test.mjs bundles tests (one ESM world with tfjs and
// the wasm binaries beside it), then runs it. Usage: [BENCH=kernels|infer|train] [BENCH_BATCH=n]
// [BENCH_REPS=n] node scripts/bench-kernels.mjs (infer: UNet-256 ngf 64 ours vs stock
// Conv2DBackpropInput; train: steps at 128 ngf 32 and 256 ngf 64; both with per-kernel tables)
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('bench-kernels', join(ROOT, 'src/bench/kernels.ts'), []);
