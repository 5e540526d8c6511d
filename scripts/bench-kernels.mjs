#!/usr/bin/env node
// Bundles src/bench/kernels.ts like scripts/test.mjs bundles tests (one ESM world with tfjs and
// the wasm binaries beside it), then runs it. Usage: [BENCH=kernels|infer|train] [BENCH_BATCH=n]
// [BENCH_REPS=n] node scripts/bench-kernels.mjs (infer: UNet-256 ngf 64 ours vs stock
// Conv2DBackpropInput; train: steps at 128 ngf 32 and 256 ngf 64; both with per-kernel tables)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outdir = join(root, '.tmp', 'bench');
mkdirSync(outdir, { recursive: true });
const banner = "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));";
await build({
  entryPoints: [join(root, 'src/bench/kernels.ts')],
  outfile: join(outdir, 'bench-kernels.mjs'),
  bundle: true, platform: 'node', format: 'esm', target: 'node20', mainFields: ['module', 'main'],
  banner: { js: banner }, logLevel: 'warning',
});
const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(outdir, f));
const r = spawnSync(process.execPath, [join(outdir, 'bench-kernels.mjs')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
