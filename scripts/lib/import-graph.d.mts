export interface ImportGraph {
  /** Source files, relative to the root. */
  files: string[];
  /** `[a, b]`: `a` imports (or re-exports) `b`. */
  edges: [string, string][];
}
export function importGraph(root: string): ImportGraph;
export function upwardFromCore(g: ImportGraph): [string, string][];
export function circles(g: ImportGraph): string[];
