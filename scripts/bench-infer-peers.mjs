#!/usr/bin/env node
// Our wasm inference against onnxruntime-web on two graphs of the same UNet (our export-onnx
// graph and PyTorch's own ONNX export), each task in its own warm process, processes alternating
// (see scripts/bench-infer-peers.ts). Bundled like scripts/test.mjs.
// Usage: node scripts/bench-infer-peers.mjs [--threads 1,2] [--rounds 3] [--reps 5] [--warmup 2] [--size 256] [--ngf 64] [--tasks ours,ours-layers,ort-ours,ort-torch]
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun(
  'bench-infer-peers',
  join(ROOT, 'scripts/bench-infer-peers.ts'),
  process.argv.slice(2),
);
