/**
 * Where the worker script is by default: `worker.js` (browsers) or `worker.node.js` (Node) next to
 * the bundle that runs this code.
 */
import { detectEnvironment } from '../backends/probe.js';

/**
 * The default `workerUrl`. In Node, code shared by several entry points may sit in `dist/chunks/`,
 * so the folder above is tried too.
 *
 * @example
 * ```ts
 * defaultWorkerUrl().href; // e.g. 'file:///app/node_modules/pix2pix-ts/dist/worker.node.js'
 * ```
 */
export function defaultWorkerUrl(): URL {
  if (detectEnvironment() !== 'node') return new URL('./worker.js', import.meta.url);
  const here = new URL('./worker.node.js', import.meta.url);
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
  if (!fs || here.protocol !== 'file:') return here;
  for (const u of [here, new URL('../worker.node.js', import.meta.url)]) if (fs.existsSync(u)) return u;
  return here;
}
