#!/usr/bin/env node
// Builds the examples that need a bundler:
//  - examples/bench/dist/: the benchmark page's script (from src/, with esbuild: it uses the
//    library's bench internals, which the package does not export), the worker and the wasm binaries;
//  - examples/app/dist/: the npm-package app, with its own rollup config (examples/app/rollup.config.mjs),
//    from the package's own dist/ (run `npm run build` first).
// `node examples/build.mjs bench` or `app` builds one.
import { build } from 'esbuild';
import { mkdirSync, existsSync } from 'node:fs';
import { copyWasmBinaries } from '../scripts/lib/node-bundle.mjs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The bench page script and, beside it, the worker and wasm binaries it starts. */
export async function buildBench(outdir = join(ROOT, 'examples', 'bench', 'dist')) {
  mkdirSync(outdir, { recursive: true });
  const common = {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'linked',
    logLevel: 'warning',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  await Promise.all([
    build({
      ...common,
      entryPoints: [join(ROOT, 'examples/bench/bench.ts')],
      outfile: join(outdir, 'bench.js'),
    }),
    build({
      ...common,
      entryPoints: [join(ROOT, 'src/worker.ts')],
      outfile: join(outdir, 'worker.js'),
    }),
  ]);
  copyWasmBinaries(outdir);
  return outdir;
}

/** The app, with rollup, from dist/. */
export async function buildApp() {
  if (!existsSync(join(ROOT, 'dist', 'index.js')))
    throw new Error(
      'dist/index.js is missing: run `npm run build` first (the app uses the built package).',
    );
  const { rollup } = await import('rollup');
  const { default: configs } = await import(
    pathToFileURL(join(ROOT, 'examples/app/rollup.config.mjs')).href
  );
  for (const config of [].concat(configs)) {
    const bundle = await rollup(config);
    for (const out of [].concat(config.output)) await bundle.write(out);
    await bundle.close();
  }
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const which = process.argv[2];
  if (!which || which === 'bench') console.log(`bench page built into ${await buildBench()}`);
  if (!which || which === 'app') {
    await buildApp();
    console.log('app built into examples/app/dist/');
  }
}
