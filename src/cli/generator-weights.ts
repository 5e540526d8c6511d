/**
 * Generator weights for the CLI commands, from every format the library writes: a PyTorch `.pth`
 * (read directly with `readPth`, with an optional `key`), or a pix2pix-ts checkpoint, web weights
 * (`model.json` or one file), a `.pict`, or `default` (the shipped model). Written over the public
 * API: those open with `createPix2Pix` on the cpu backend, and their generator comes back as the
 * state dict of its `exportPth`.
 */
import { createPix2Pix, inferGeneratorOptions, readPth } from '../index.node.js';
import type { GeneratorOptions, StateDict } from '../index.node.js';
import { readBytes } from '../core/io/index.js';
import { DEFAULT_WEIGHTS } from '../pix2pix/default-model.js';

/** The generator's state dict (PyTorch layout) and its architecture. */
export interface GeneratorWeights {
  stateDict: StateDict;
  generator: GeneratorOptions;
}

/**
 * Reads a generator from `source` (a path or URL, or `default`).
 *
 * @example
 * ```ts
 * const { stateDict, generator } = await readGeneratorWeights('examples/models/fonts128-u8/model.json');
 * ```
 */
export async function readGeneratorWeights(
  source: string,
  opts: { key?: string } = {},
): Promise<GeneratorWeights> {
  const r = await read(source, opts);
  return 'generator' in r
    ? r
    : { stateDict: r.stateDict, generator: inferGeneratorOptions(r.stateDict) };
}

/**
 * Only the generator's state dict (a `.pth` is not interpreted beyond reading it).
 *
 * @example
 * ```ts
 * const sd = await readGeneratorStateDict('latest_net_G.pth', { key: 'G' });
 * ```
 */
export async function readGeneratorStateDict(
  source: string,
  opts: { key?: string } = {},
): Promise<StateDict> {
  return (await read(source, opts)).stateDict;
}

async function read(
  source: string,
  opts: { key?: string },
): Promise<{ stateDict: StateDict } | GeneratorWeights> {
  const isJson = /\.json([?#].*)?$/i.test(source);
  if (source !== DEFAULT_WEIGHTS && !isJson) {
    const bytes = await readBytes(source);
    if ((bytes[0] === 0x50 && bytes[1] === 0x4b) || bytes[0] === 0x80)
      return { stateDict: readPth(bytes, { key: opts.key }) };
    return fromModel(bytes);
  }
  return fromModel(source);
}

// Not a .pth: the key is not passed on (it names an entry of a PyTorch checkpoint dict only).
async function fromModel(weights: string | Uint8Array): Promise<GeneratorWeights> {
  const p2p = await createPix2Pix({ backend: 'cpu', weights });
  try {
    return { stateDict: readPth(await p2p.exportPth('G')), generator: p2p.options.generator };
  } finally {
    await p2p.dispose();
  }
}
