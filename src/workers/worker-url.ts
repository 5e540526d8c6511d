/**
 * Where the worker script is by default: `worker.js` (browsers) or `worker.node.js` (Node) next to
 * the bundle that runs this code.
 */
import { nodeBuiltin } from '../core/env.js';

const NODE_WORKER = 'worker.node.js';

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
  // Node only. Browsers start `new Worker(new URL('./worker.js', import.meta.url))` in spawnWorker,
  // the literal form bundlers recognise; the name here is a variable so that they do not emit the
  // Node worker as a browser asset.
  const here = new URL(NODE_WORKER, import.meta.url);
  const fs = nodeBuiltin('node:fs');
  if (!fs || here.protocol !== 'file:') return here;
  for (const u of [here, new URL(`../${NODE_WORKER}`, import.meta.url)])
    if (fs.existsSync(u)) return u;
  return here;
}
