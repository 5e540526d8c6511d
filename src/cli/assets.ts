/**
 * `pix2pix-ts assets <dir>`: copies the files the browser build fetches at run time (the worker
 * script, the wasm binaries, the threaded binary's glue, the shipped model) into a folder of an
 * app, for bundlers that do not emit `new URL('./file', import.meta.url)` assets themselves
 * (esbuild). Put them beside the bundle that imports pix2pix-ts.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pix2PixError } from '../core/errors.js';
import { defineCommand } from './command.js';

/** The files the browser build loads beside itself, as dist/ holds them. */
export const BROWSER_RUNTIME_FILES = [
  'worker.js',
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.js',
  'pix2pix-simd.wasm',
  'pix2pix-simd-shared.wasm',
  'default-model.json',
  'default-model.bin',
] as const;

export const ASSETS_HELP = `Usage: pix2pix-ts assets <dir>

Copies the files the browser build of pix2pix-ts fetches at run time into <dir>:
  ${BROWSER_RUNTIME_FILES.join('\n  ')}
  and any chunks worker.js imports
Use it with bundlers that do not copy \`new URL('./file', import.meta.url)\` assets (esbuild):
  esbuild app.js --bundle --format=esm --platform=browser --outdir=public/app
  npx pix2pix-ts assets public/app
vite, webpack 5, rollup and parcel copy these files themselves.`;

/** `pix2pix-ts assets`. */
export const assetsCommand = defineCommand({
  name: 'assets',
  usage: ASSETS_HELP,
  options: {},
  positionals: 1,
  async run({ positionals: [dir] }, io) {
    // The package's dist/, where this command's own bundle sits (a variable, not a literal URL).
    const dist = fileURLToPath(new URL('.', import.meta.url));
    const missing = BROWSER_RUNTIME_FILES.filter((f) => !existsSync(join(dist, f)));
    if (missing.length)
      throw new Pix2PixError(
        `${missing.join(', ')} not found in ${dist}; run this from an installed or built pix2pix-ts (npm run build).`,
      );
    mkdirSync(dir!, { recursive: true });
    const files = [...BROWSER_RUNTIME_FILES, ...chunksOf(dist, 'worker.js')];
    for (const f of files) copyFileSync(join(dist, f), join(dir!, f));
    io.out(`Copied ${files.length} files to ${dir}: ${files.join(', ')}`);
    return 0;
  },
});

/** The chunks `file` imports (shared with index.js), recursively, as names in `dist`. */
function chunksOf(dist: string, file: string, seen = new Set<string>()): string[] {
  const code = readFileSync(join(dist, file), 'utf8');
  for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"]\.\/([^'"/]+\.js)['"]/g)) {
    const chunk = m[1]!;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    chunksOf(dist, chunk, seen);
  }
  return [...seen];
}
