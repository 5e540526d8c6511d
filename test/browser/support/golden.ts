/**
 * The golden parity suite (src/pix2pix/golden.ts) in a page: fixture files fetched from the test
 * server's /fixtures/ route, worst errors per kind printed, every check held to its bound.
 */
import * as assert from 'uvu/assert';
import { measure } from './runner.js';
import { tf } from '../../../src/core/tf.js';
import {
  verifyGolden,
  GOLDEN_BOUNDS,
  type GoldenCheck,
  type GoldenSource,
} from '../../../src/pix2pix/golden.js';

/** The golden configurations under test/fixtures/golden/. */
export const GOLDEN_CONFIGS = ['unet64_batch', 'unet64_instance'] as const;

/**
 * A golden folder served over HTTP: `read(name)` fetches `<folderUrl><name>`.
 *
 * @example
 * ```ts
 * const src = fetchSource(new URL('/fixtures/golden/unet64_batch/', location.href).href);
 * ```
 */
export function fetchSource(folderUrl: string): GoldenSource {
  return {
    location: folderUrl,
    async read(name: string) {
      const res = await fetch(new URL(encodeURIComponent(name), folderUrl));
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${res.url}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** The kind a check counts under: forward, loss, grad, zero-grad (absolute), after, coverage. */
export function kindOf(c: GoldenCheck): string {
  if (c.name.includes('(zero gradient, absolute)')) return 'zero-grad';
  return c.name.split(' ')[0]!;
}

/**
 * Runs the golden suite of `config` on the active backend, prints the worst error per kind and
 * fails on any check over its bound (`bounds` replaces the bound of a kind, for one backend).
 *
 * @example
 * ```ts
 * await checkGolden('unet64_batch', 'wasm, 2 threads');
 * ```
 */
export async function checkGolden(
  config: string,
  label: string,
  bounds: Partial<Record<keyof typeof GOLDEN_BOUNDS, number>> = {},
): Promise<Record<string, number>> {
  const before = tf.memory().numTensors;
  const src = fetchSource(new URL(`/fixtures/golden/${config}/`, location.href).href);
  const checks = await verifyGolden(src);
  const worst: Record<string, number> = {};
  for (const c of checks) worst[kindOf(c)] = Math.max(worst[kindOf(c)] ?? 0, c.error);
  measure(
    `${config} on ${label}: ${checks.length} checks, worst error by kind`,
    Object.entries(worst)
      .map(([k, v]) => `${k} ${v.toExponential(2)}`)
      .join(', '),
  );
  const over = checks
    .map((c) => {
      const kind = kindOf(c) as keyof typeof GOLDEN_BOUNDS;
      const bound = kind in bounds ? bounds[kind]! : c.bound;
      return { ...c, bound, ok: c.error <= bound };
    })
    .filter((c) => !c.ok);
  assert.equal(
    over.map((c) => `${c.name}: ${c.error.toExponential(3)} > ${c.bound}`),
    [],
  );
  assert.ok(checks.length > 60, `only ${checks.length} checks ran`);
  assert.is(tf.memory().numTensors, before, 'tensors leaked');
  return worst;
}
