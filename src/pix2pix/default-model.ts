/**
 * The pretrained model that ships with pix2pix-ts (`examples/models/fonts128-u8`: printed Song/Ming
 * glyphs to brush calligraphy, 128x128 gray, 8-bit weights, 2.6 MB), copied beside the bundle as
 * `default-model.json` + `default-model.bin`. Each file is referred to with its own literal
 * `new URL('./<file>', import.meta.url)`, so vite, webpack 5, rollup and parcel emit both as
 * assets, and the weights are read from their own URL rather than from the manifest's file name.
 */
import { tf } from '../core/tf.js';
import { download, type DownloadOptions } from '../core/io/download.js';

/** The name `weights` takes for the shipped model: `createPix2Pix({ weights: 'default' })`. */
export const DEFAULT_WEIGHTS = 'default';

/**
 * URLs of the shipped model's two files (beside the bundle); undefined where `import.meta.url`
 * gives none.
 *
 * @example
 * ```ts
 * defaultModelUrls()?.json; // e.g. 'file:///app/node_modules/pix2pix-ts/dist/default-model.json'
 * ```
 */
export function defaultModelUrls(): { json: string; weights: string } | undefined {
  try {
    return {
      json: new URL('./default-model.json', import.meta.url).href,
      weights: new URL('./default-model.bin', import.meta.url).href,
    };
  } catch {
    return undefined;
  }
}
// Taken at load time (the IIFE build reads document.currentScript, null once the script has run).
const URLS = defaultModelUrls();

/**
 * A tfjs IOHandler for the shipped model.
 *
 * @example
 * ```ts
 * const { model } = await modelFromWeights(defaultModelHandler());
 * ```
 */
export function defaultModelHandler(
  opts: Pick<DownloadOptions, 'onProgress' | 'signal' | 'fetch'> = {},
): tf.io.IOHandler {
  return {
    async load() {
      if (!URLS)
        throw new Error(
          'The shipped model\'s URL is unknown here (no import.meta.url); pass its model.json URL as "weights".',
        );
      const json = JSON.parse(
        new TextDecoder().decode(
          await download(URLS.json, {
            ...opts,
            onProgress: undefined,
            what: 'the shipped model (default-model.json)',
          }),
        ),
      ) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const bytes = await download(URLS.weights, {
          ...opts,
          what: "the shipped model's weights (default-model.bin)",
        });
        return [
          manifest.flatMap((g) => g.weights),
          bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        ];
      });
    },
  };
}
