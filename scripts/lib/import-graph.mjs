// The import graph of src/: every relative import and re-export (type-only ones included, since
// they tie the files together for a reader just the same), the edges from src/core/ that reach a
// floor above it, and the circles. Used by test/architecture.test.ts and scripts/import-graph.mjs.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Files under `dir` ending in .ts (not .d.ts). */
function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory()
      ? walk(p)
      : p.endsWith('.ts') && !p.endsWith('.d.ts')
        ? [p]
        : [];
  });
}

/** Strips comments so that imports quoted in JSDoc examples do not count. */
function code(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/**
 * @param {string} root the repository root
 * @returns {{ files: string[], edges: [string, string][] }} paths relative to root, `a` imports `b`
 */
export function importGraph(root) {
  const src = join(root, 'src');
  const files = walk(src)
    .map((f) => relative(root, f))
    .sort();
  const edges = [];
  for (const f of files) {
    const text = code(readFileSync(join(root, f), 'utf8'));
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const abs = resolve(root, dirname(f), spec);
      const candidates = [abs.replace(/\.js$/, '.ts'), `${abs}.ts`, join(abs, 'index.ts')];
      const target = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (target && !edges.some(([a, b]) => a === f && b === relative(root, target)))
        edges.push([f, relative(root, target)]);
    }
  }
  return { files, edges };
}

/** Edges from src/core/ to any other folder of src/ (core is the ground floor). */
export function upwardFromCore({ edges }) {
  return edges.filter(([a, b]) => a.startsWith('src/core/') && !b.startsWith('src/core/'));
}

/** Every elementary circle's smallest representative, found by a DFS per strongly connected part. */
export function circles({ files, edges }) {
  const next = new Map(files.map((f) => [f, []]));
  for (const [a, b] of edges) if (a !== b) next.get(a)?.push(b);
  const found = new Map();
  const onPath = new Set();
  const path = [];
  const visit = (n, start) => {
    path.push(n);
    onPath.add(n);
    for (const m of next.get(n) ?? []) {
      if (m === start) {
        const cyc = [...path];
        const i = cyc.indexOf([...cyc].sort()[0]);
        const key = [...cyc.slice(i), ...cyc.slice(0, i)].join(' -> ');
        found.set(key, true);
      } else if (!onPath.has(m) && m > start) visit(m, start);
    }
    path.pop();
    onPath.delete(n);
  };
  for (const f of files) visit(f, f);
  return [...found.keys()].map((k) => `${k} -> ${k.split(' -> ')[0]}`);
}
