// Bundles TypeScript entry points for Node with esbuild, the way every script of this repo runs
// source code that imports tfjs: one ESM world (tfjs-core's ESM dist cannot be loaded by Node's own
// loader, and its CommonJS bundle registers no gradients), a CommonJS shim for the wasm glue
// (`require`, `__dirname`), native packages left external, and the tfjs wasm binaries copied next
// to the output, where the wasm backend looks for them.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import { join, basename } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** Packages with native parts or heavy optional installs: loaded by Node at run time, never bundled. */
export const NODE_EXTERNALS = [
  'sharp',
  '@napi-rs/canvas',
  'playwright-core',
  'webgpu',
  'onnxruntime-node',
  'onnxruntime-web',
  'esbuild',
  'vite',
  'webpack',
];

export const NODE_BANNER =
  "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __fu(new URL('.', import.meta.url));";

/**
 * Copies the tfjs wasm binaries, and the threaded binary's emscripten glue (which its pthread
 * workers import in browsers: src/backends/wasm.ts), into each folder given, as rollup.config.mjs
 * emits them beside dist/.
 */
export function copyWasmBinaries(...dirs) {
  const pkg = join(ROOT, 'node_modules/@tensorflow/tfjs-backend-wasm');
  const files = readdirSync(join(pkg, 'dist'))
    .filter((f) => f.endsWith('.wasm'))
    .map((f) => join(pkg, 'dist', f));
  files.push(join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js'));
  // pix2pix-ts's own SIMD kernels (src/backends/wasm-simd/), as rollup emits them.
  for (const f of ['pix2pix-simd.wasm', 'pix2pix-simd-shared.wasm'])
    files.push(join(ROOT, 'src/backends/wasm-simd', f));
  // The shipped model under the names dist/ gives it (src/pix2pix/default-model.ts).
  const model = join(ROOT, 'examples/models/fonts128-u8');
  const bin = readdirSync(model).find((f) => f.endsWith('.bin'));
  for (const d of dirs) {
    mkdirSync(d, { recursive: true });
    for (const f of files) copyFileSync(f, join(d, basename(f)));
    copyFileSync(join(model, 'model.json'), join(d, 'default-model.json'));
    copyFileSync(join(model, bin), join(d, 'default-model.bin'));
  }
}

/**
 * Bundles for Node. `options` are esbuild options (entryPoints/stdin, outfile/outdir, extra
 * fields); the Node platform settings, the shim and the externals are added. Returns the output
 * folder, where the wasm binaries have been copied.
 */
export async function bundleForNode(options) {
  const outdir = options.outdir ?? join(options.outfile, '..');
  await build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    mainFields: ['module', 'main'],
    logLevel: 'warning',
    ...options,
    banner: { js: NODE_BANNER },
    external: [...NODE_EXTERNALS, ...(options.external ?? [])],
  });
  copyWasmBinaries(outdir);
  return outdir;
}

/** Bundles one entry to `.tmp/<name>/<name>.mjs`, runs it with `args`, and exits with its status. */
export async function bundleAndRun(name, entry, args = process.argv.slice(2)) {
  const outfile = join(ROOT, '.tmp', name, `${name}.mjs`);
  await bundleForNode(
    typeof entry === 'string' ? { entryPoints: [entry], outfile } : { stdin: entry, outfile },
  );
  const r = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
