#!/usr/bin/env node
// Runs `pix2pix-ts <command>` from the sources without a rollup build: bundles src/cli/main.ts
// with esbuild (one ESM world with tfjs, the wasm binaries beside it, as scripts/test.mjs does)
// and runs it. Usage: node scripts/bench-cli.mjs bench --task infer --size 256 --ngf 64
//                     node scripts/bench-cli.mjs export-onnx G.pth G.onnx
import { join } from 'node:path';
import { ROOT, bundleAndRun } from './lib/node-bundle.mjs';

await bundleAndRun('bench-cli', join(ROOT, 'src/cli/main.ts'));
