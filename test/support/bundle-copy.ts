// A test bundle that is its own worker script is copied to a private folder (so a test can
// start workers from it while others rebuild theirs). The wasm files it loads at run time must
// sit beside it there, as they sit beside dist/worker.node.js: tfjs's binaries and pix2pix-ts's
// own SIMD kernels (without those, the worker would fall back to other kernels and round
// differently from the in-thread model).
import { copyFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './env.js';

/** Copies the bundle at `selfUrl` to `dir/name` with its wasm files; returns the copy's path. */
export function copyBundleWithWasm(selfUrl: string, dir: string, name = 'self.mjs'): string {
  const self = fileURLToPath(selfUrl);
  const file = join(dir, name);
  copyFileSync(self, file);
  const tfjsWasm = join(ROOT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(tfjsWasm).filter((f) => f.endsWith('.wasm')))
    copyFileSync(join(tfjsWasm, f), join(dir, f));
  const here = dirname(self);
  for (const f of readdirSync(here).filter((f) => /^pix2pix-simd.*\.wasm$/.test(f)))
    copyFileSync(join(here, f), join(dir, f));
  return file;
}
