import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { importGraph, upwardFromCore, circles } from '../scripts/lib/import-graph.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/env.js';

const t = suite('source layout');
const graph = importGraph(ROOT);

t('the scan sees the imports (a graph without edges would pass anything)', () => {
  assert.ok(graph.files.includes('src/core/errors.ts'));
  assert.ok(
    graph.edges.some(([a, b]) => a === 'src/index.ts' && b === 'src/core/errors.ts'),
    'index.ts re-exports core/errors.ts',
  );
  assert.ok(
    graph.edges.some(([a, b]) => a === 'src/workers/host.ts' && b === 'src/api/in-thread.ts'),
    'import type / import both count',
  );
});

t('nothing in src/core imports from the floors above it', () => {
  const up = upwardFromCore(graph).map(([a, b]) => `${a} -> ${b}`);
  assert.equal(up, []);
});

t('there are no import circles', () => {
  assert.equal(circles(graph), []);
});

t('the worker host builds on the in-thread model, not on the public facade', () => {
  const fromWorkers = graph.edges.filter(
    ([a, b]) => a.startsWith('src/workers/') && b === 'src/index.ts',
  );
  assert.equal(fromWorkers, []);
});

t("tfjs backend packages are imported only lazily, in a descriptor's init()", () => {
  // A static import (value or side effect) would load the package with the module; `import type`
  // and `await import()` do not.
  const eager =
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]@tensorflow\/tfjs-backend-/m;
  const found = graph.files.filter((f) => eager.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.equal(found, []);
});

t('finds a circle and an upward edge when there is one', () => {
  const g = {
    files: ['src/core/a.ts', 'src/core/b.ts', 'src/pix2pix/c.ts'],
    edges: [
      ['src/core/a.ts', 'src/core/b.ts'],
      ['src/core/b.ts', 'src/core/a.ts'],
      ['src/core/b.ts', 'src/pix2pix/c.ts'],
    ] as [string, string][],
  };
  assert.equal(circles(g), ['src/core/a.ts -> src/core/b.ts -> src/core/a.ts']);
  assert.equal(upwardFromCore(g), [['src/core/b.ts', 'src/pix2pix/c.ts']]);
});

t.run();
