#!/usr/bin/env node
// Runs `pix2pix-ts <command>` from the sources without a rollup build: bundles src/cli/main.ts
// with esbuild (one ESM world with tfjs, the wasm binaries beside it, as scripts/test.mjs does)
// and runs it. Usage: node scripts/bench-cli.mjs bench --task infer --size 256 --ngf 64
//                     node scripts/bench-cli.mjs export-onnx G.pth G.onnx
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outdir = join(root, '.tmp', 'bench-cli');
mkdirSync(outdir, { recursive: true });
const banner = "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));";
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(outdir, 'cli.mjs'),
  bundle: true, platform: 'node', format: 'esm', target: 'node20', mainFields: ['module', 'main'],
  external: ['sharp', '@napi-rs/canvas', 'playwright-core', 'webgpu', 'onnxruntime-node', 'onnxruntime-web'],
  banner: { js: banner }, logLevel: 'warning',
});
const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(outdir, f));
const r = spawnSync(process.execPath, [join(outdir, 'cli.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
