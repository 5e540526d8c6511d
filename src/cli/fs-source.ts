import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { GoldenSource } from '../pix2pix/golden.js';

/**
 * A golden folder on disk.
 *
 * @example
 * ```ts
 * const checks = await verifyGolden(dirSource('test/fixtures/golden/unet64_batch'));
 * ```
 */
export function dirSource(dir: string): GoldenSource {
  const root = resolve(dir);
  return {
    location: root,
    read: async (name: string) => new Uint8Array(await readFile(join(root, name))),
  };
}
