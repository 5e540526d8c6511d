/**
 * Generator weights for the CLI commands, from every format the library writes: a PyTorch `.pth`
 * (read directly, with an optional `key`), or a pix2pix-ts checkpoint, web weights (`model.json`
 * or one file), a `.pict`, or `default` (the shipped model), through `modelFromWeights`.
 */
import { readPth } from '../core/pth/index.js';
import { readBytes } from '../core/io/index.js';
import type { StateDict } from '../core/state-dict.js';
import type { GeneratorOptions } from '../pix2pix/config.js';
import { inferGeneratorOptions } from '../pix2pix/infer-arch.js';
import { modelFromWeights } from '../pix2pix/checkpoint.js';
import { DEFAULT_WEIGHTS } from '../pix2pix/default-model.js';
import { initBackend } from '../backends/index.js';

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

async function fromModel(source: string | Uint8Array): Promise<GeneratorWeights> {
  await initBackend('cpu');
  const { model } = await modelFromWeights(source);
  try {
    return { stateDict: await model.stateDict('G'), generator: model.options.generator };
  } finally {
    model.dispose();
  }
}
