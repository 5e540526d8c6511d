/**
 * The environment, in one place (like transformers.js's `env` module): where the code runs, and
 * Node's built-in modules. Built-ins are reached through `process.getBuiltinModule` (Node >= 20.16)
 * rather than `import 'node:fs'`, so the files that use them stay importable in browsers and
 * bundlers never see a Node built-in import. Imports nothing: the ground floor of the ground floor.
 */

/** Where the code runs. Deno and Bun count as `node` (no DOM, `process` present). */
export type Environment = 'node' | 'browser' | 'worker';

/**
 * Which environment this is: a Web Worker, a page (a `document`), or Node.
 *
 * @example
 * ```ts
 * if (detectEnvironment() === 'node') console.log('running in Node');
 * ```
 */
export function detectEnvironment(): Environment {
  const g = globalThis as {
    WorkerGlobalScope?: unknown;
    document?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (
    typeof g.WorkerGlobalScope === 'function' &&
    globalThis instanceof (g.WorkerGlobalScope as new () => object)
  )
    return 'worker';
  if (typeof g.document === 'object' && g.document !== null) return 'browser';
  if (g.process?.versions?.node) return 'node';
  return 'browser';
}

/** The Node built-in modules pix2pix-ts uses, by specifier. */
export interface NodeBuiltins {
  'node:fs': typeof import('node:fs');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:path': typeof import('node:path');
  'node:url': typeof import('node:url');
  'node:os': typeof import('node:os');
  'node:module': typeof import('node:module');
  'node:worker_threads': typeof import('node:worker_threads');
}

/**
 * A Node built-in module, or undefined outside Node (or before Node 20.16).
 *
 * @example
 * ```ts
 * const os = nodeBuiltin('node:os');
 * const cores = os?.availableParallelism() ?? 1;
 * ```
 */
export function nodeBuiltin<K extends keyof NodeBuiltins>(
  specifier: K,
): NodeBuiltins[K] | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(specifier) as NodeBuiltins[K] | undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Node built-in module, or an `Error` saying that `what` needs Node >= 20.16.
 *
 * @example
 * ```ts
 * const fs = requireNodeBuiltin('node:fs', 'reading a dataset folder');
 * ```
 */
export function requireNodeBuiltin<K extends keyof NodeBuiltins>(
  specifier: K,
  what: string,
): NodeBuiltins[K] {
  const mod = nodeBuiltin(specifier);
  if (!mod)
    throw new Error(
      `${what} needs Node.js >= 20.16 (${specifier} through process.getBuiltinModule); this runtime has no such module.`,
    );
  return mod;
}

/**
 * The current working directory as a `file:` URL ending in `/` (Node), or the page's / worker's
 * location (browsers): the base that relative paths and URLs are resolved against.
 *
 * @example
 * ```ts
 * new URL('models/x/model.json', defaultBaseUrl()).href;
 * ```
 */
export function defaultBaseUrl(): string | undefined {
  if (detectEnvironment() === 'node') {
    const url = nodeBuiltin('node:url');
    const proc = (globalThis as { process?: { cwd?: () => string } }).process;
    const path = nodeBuiltin('node:path');
    if (!url || !proc?.cwd || !path) return undefined;
    return url.pathToFileURL(proc.cwd() + path.sep).href;
  }
  const g = globalThis as { document?: { baseURI?: string }; location?: { href?: string } };
  return g.document?.baseURI ?? g.location?.href;
}
