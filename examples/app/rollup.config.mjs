// The app example's own build: bundles main.js, which imports the package as an app would
// (`import { createPix2Pix } from 'pix2pix-ts'`), and puts the package's worker and wasm binaries
// next to the bundle, where the library looks for them by default. Built from dist/ (run
// `npm run build` first), as if pix2pix-ts were installed in node_modules.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDist = join(here, '..', '..', 'dist');

/** Resolves the package name to its built entry (what node_modules/pix2pix-ts would give). */
function pix2pixPackage() {
  return {
    name: 'pix2pix-ts-package',
    resolveId(id) {
      if (id === 'pix2pix-ts') return join(pkgDist, 'index.js');
      return null;
    },
    generateBundle() {
      // The library starts `./worker.js` beside the code that calls it (worker.js imports the chunk
      // it shares with index.js), and both load the wasm binaries, the threaded binary's glue
      // (without it wasm runs on one thread) and the shipped model beside themselves: what
      // `npx pix2pix-ts assets <dir>` copies.
      const runtime = [
        'worker.js',
        ...chunksOf('worker.js'),
        'tfjs-backend-wasm-threaded-simd.js',
        'default-model.json',
        'default-model.bin',
        ...readdirSync(pkgDist).filter((f) => f.endsWith('.wasm')),
      ];
      for (const f of runtime)
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(join(pkgDist, f)) });
    },
  };
}

/** The chunks of dist/ that `file` imports, recursively. */
function chunksOf(file, seen = new Set()) {
  for (const m of readFileSync(join(pkgDist, file), 'utf8').matchAll(
    /(?:\bfrom|\bimport)\s*\(?\s*['"]\.\/([^'"/]+\.js)['"]/g,
  )) {
    if (!seen.has(m[1])) {
      seen.add(m[1]);
      chunksOf(m[1], seen);
    }
  }
  return [...seen];
}

export default {
  input: join(here, 'main.js'),
  // One file: the library finds worker.js relative to the module that runs it.
  output: {
    file: join(here, 'dist', 'app.js'),
    format: 'es',
    sourcemap: false,
    inlineDynamicImports: true,
  },
  plugins: [pix2pixPackage()],
  onwarn(warning, warn) {
    // tfjs (bundled inside dist/) uses top-level `this` harmlessly.
    if (warning.code === 'THIS_IS_UNDEFINED') return;
    warn(warning);
  },
};
