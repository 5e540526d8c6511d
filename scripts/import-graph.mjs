#!/usr/bin/env node
// Prints the import edges of src/core/ that reach a floor above it, the import circles of src/,
// and the largest source files (lines). Usage: node scripts/import-graph.mjs [--top 12]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importGraph, upwardFromCore, circles } from './lib/import-graph.mjs';

const root = new URL('..', import.meta.url).pathname;
const g = importGraph(root);
const up = upwardFromCore(g);
const circ = circles(g);
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 12;
console.log(`${g.files.length} files, ${g.edges.length} import edges in src/`);
console.log(
  `upward imports from src/core: ${up.length}${up.map(([a, b]) => `\n  ${a} -> ${b}`).join('')}`,
);
console.log(`circles: ${circ.length}${circ.map((c) => `\n  ${c}`).join('')}`);
const lines = g.files
  .map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length - 1])
  .sort((a, b) => b[1] - a[1]);
console.log(
  `largest files:\n${lines
    .slice(0, top)
    .map(([f, n]) => `  ${String(n).padStart(5)} ${f}`)
    .join('\n')}`,
);
