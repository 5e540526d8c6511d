#!/usr/bin/env node
// Variants of the exported generator graph and of the session options on a bare onnxruntime-node
// session (see scripts/bench-ort-graph.ts). Bundled like scripts/test.mjs.
// Usage: node scripts/bench-ort-graph.mjs [--threads 1] [--reps 5] [--variants base,fold,subpixel] [--ops]
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('bench-ort-graph', join(ROOT, 'scripts/bench-ort-graph.ts'));
