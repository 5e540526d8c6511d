// Builds, with esbuild from src/ (seconds, where rollup takes minutes), the browser files the web
// tests serve in place of dist/: the widget script (IIFE, as dist/pix2pix-widget.min.js), the
// library's worker (ESM, minified, as dist/worker.js), the library itself (IIFE global `Pix2Pix`, as
// dist/pix2pix.min.js, to compute the reference output in the page) and the wasm binaries.
import { build } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { copyWasmBinaries } from '../../scripts/lib/node-bundle.mjs';
import { join } from 'node:path';

// esbuild leaves `import.meta` empty in IIFE output; the library finds worker.js and the wasm
// binaries from its script's URL, so give it the script's URL, read while the script runs.
const IIFE_URL = {
  banner: {
    js: 'var __p2pScriptUrl = (typeof document !== "undefined" && document.currentScript && document.currentScript.src) || (typeof location !== "undefined" ? location.href : "");',
  },
  define: { 'import.meta.url': '__p2pScriptUrl' },
};

/**
 * Builds the widget, the worker and the IIFE library into `outdir`; returns their sizes in bytes.
 *
 * @example
 * await buildWebDist(root, join(root, '.tmp/web/dist'));
 */
export async function buildWebDist(root, outdir) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'src/web/index.ts')],
      outfile: join(outdir, 'pix2pix-widget.min.js'),
      format: 'iife',
      globalName: 'Pix2PixWidget',
      minify: true,
      banner: IIFE_URL.banner,
      define: { ...common.define, ...IIFE_URL.define },
    }),
    // Minified, as dist/worker.js is.
    build({
      ...common,
      entryPoints: [join(root, 'src/worker.ts')],
      outfile: join(outdir, 'worker.js'),
      format: 'esm',
      minify: true,
    }),
    build({
      ...common,
      entryPoints: [join(root, 'src/index.ts')],
      outfile: join(outdir, 'pix2pix.min.js'),
      format: 'iife',
      globalName: 'Pix2Pix',
      banner: IIFE_URL.banner,
      define: { ...common.define, ...IIFE_URL.define },
    }),
  ]);
  copyWasmBinaries(outdir);
  const size = (f) => statSync(join(outdir, f)).size;
  return { widget: size('pix2pix-widget.min.js'), worker: size('worker.js') };
}
