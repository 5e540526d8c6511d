import { join } from 'node:path';

/** Repository root (the test runner sets PIX2PIX_ROOT; bundles live under .tmp/). */
export const ROOT = process.env.PIX2PIX_ROOT ?? process.cwd();

/** Path of a file under test/fixtures/. */
export function fixture(...parts: string[]): string {
  return join(ROOT, 'test', 'fixtures', ...parts);
}

/** Backends the numerical suites run on in Node. */
export const NODE_BACKENDS = ['cpu', 'wasm'] as const;
