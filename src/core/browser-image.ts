/**
 * Image inputs in browsers and workers: `File`, `Blob`, URL, `ImageBitmap`, `ImageData`,
 * canvases and `<img>` become {@link PixelImage}s (RGBA 8-bit); paired images in the pix2pix
 * layout (A on the left half, B on the right) become training pairs. Decoding uses
 * `createImageBitmap` + an `OffscreenCanvas` (or a DOM canvas), so it runs on the main thread and
 * in Web Workers alike.
 */
import { DatasetError, ShapeError } from './errors.js';
import { toFloatImage, type PairSample, type PixelImage } from './image.js';

/** Everything a browser can hand us as an image. */
export type BrowserImageSource =
  | Blob
  | string
  | URL
  | ImageBitmap
  | ImageData
  | OffscreenCanvas
  | HTMLCanvasElement
  | HTMLImageElement
  | PixelImage;

function makeCanvas(w: number, h: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(w, h);
  if (typeof document !== 'undefined') {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    return c;
  }
  throw new DatasetError(
    'No canvas is available to decode images here (needs OffscreenCanvas or a DOM).',
  );
}

function drawToPixels(src: CanvasImageSource, w: number, h: number): PixelImage {
  const canvas = makeCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as
    OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) throw new DatasetError('A 2D canvas context could not be created to decode the image.');
  ctx.drawImage(src, 0, 0);
  const d = ctx.getImageData(0, 0, w, h);
  return { data: d.data, width: w, height: h, channels: 4 };
}

const isPixelImage = (x: unknown): x is PixelImage =>
  typeof x === 'object' &&
  x !== null &&
  'data' in x &&
  'width' in x &&
  'height' in x &&
  !(typeof ImageData !== 'undefined' && x instanceof ImageData);

/**
 * Decodes any browser image source into RGBA 8-bit pixels. `label` names the source in errors.
 *
 * @example
 * ```ts
 * const img = await decodeBrowserImage(fileInput.files[0]);
 * const out = await p2p.translate(img);
 * ```
 */
export async function decodeBrowserImage(
  src: BrowserImageSource,
  label = 'image',
): Promise<PixelImage> {
  if (typeof ImageData !== 'undefined' && src instanceof ImageData)
    return { data: src.data, width: src.width, height: src.height, channels: 4 };
  if (isPixelImage(src)) return src;
  if (typeof src === 'string' || src instanceof URL) {
    const url = String(src);
    let res: Response;
    try {
      res = await fetch(url);
    } catch (cause) {
      throw new DatasetError(
        `Cannot fetch ${label} from ${url}: ${(cause as Error)?.message ?? cause}`,
        { cause },
      );
    }
    if (!res.ok)
      throw new DatasetError(
        `Cannot fetch ${label} from ${url}: HTTP ${res.status} ${res.statusText}`,
      );
    return decodeBrowserImage(await res.blob(), `${label} (${url})`);
  }
  if (typeof Blob !== 'undefined' && src instanceof Blob) {
    let bmp: ImageBitmap;
    try {
      bmp = await createImageBitmap(src);
    } catch (cause) {
      const name = typeof File !== 'undefined' && src instanceof File ? `"${src.name}"` : label;
      throw new DatasetError(
        `Cannot decode ${name} (${src.type || 'unknown type'}, ${src.size} bytes): not a readable PNG, JPEG, WebP or other browser-supported image.`,
        { cause },
      );
    }
    try {
      return drawToPixels(bmp, bmp.width, bmp.height);
    } finally {
      bmp.close();
    }
  }
  if (typeof ImageBitmap !== 'undefined' && src instanceof ImageBitmap)
    return drawToPixels(src, src.width, src.height);
  if (typeof HTMLImageElement !== 'undefined' && src instanceof HTMLImageElement) {
    if (!src.complete) await src.decode();
    return drawToPixels(src, src.naturalWidth, src.naturalHeight);
  }
  const c = src as OffscreenCanvas | HTMLCanvasElement;
  if (typeof c.width === 'number' && 'getContext' in c) return drawToPixels(c, c.width, c.height);
  throw new TypeError(
    `Unsupported image source for ${label}: expected a File, Blob, URL, ImageBitmap, ImageData, canvas, <img> or {data, width, height}.`,
  );
}

/**
 * Splits an A|B image (the pix2pix layout) into a training pair in [-1, 1]; `BtoA` swaps them.
 *
 * @example
 * ```ts
 * const pair = splitPair(await decodeBrowserImage(file), { name: file.name });
 * ```
 */
export function splitPair(
  img: PixelImage,
  opts: {
    name?: string;
    direction?: 'AtoB' | 'BtoA';
    inputChannels?: number;
    outputChannels?: number;
  } = {},
): PairSample {
  const { name = 'image', direction = 'AtoB', inputChannels = 3, outputChannels = 3 } = opts;
  if (img.width % 2 !== 0) {
    throw new DatasetError(
      `"${name}" is ${img.width}x${img.height}: an A|B pair needs an even width (A on the left half, B on the right half).`,
    );
  }
  const half = img.width / 2;
  const c = img.channels ?? img.data.length / (img.width * img.height);
  const crop = (x0: number): PixelImage => {
    const data = new (img.data.constructor as Uint8ClampedArrayConstructor)(half * img.height * c);
    for (let y = 0; y < img.height; y++)
      data.set(
        img.data.subarray((y * img.width + x0) * c, (y * img.width + x0 + half) * c),
        y * half * c,
      );
    return { data, width: half, height: img.height, channels: c };
  };
  const [left, right] = [crop(0), crop(half)];
  const [inp, tgt] = direction === 'AtoB' ? [left, right] : [right, left];
  const a = toFloatImage(inp, inputChannels);
  const b = toFloatImage(tgt, outputChannels);
  return {
    a: a.data,
    b: b.data,
    width: half,
    height: img.height,
    channelsA: inputChannels,
    channelsB: outputChannels,
    name,
  };
}

/**
 * A lazily decoded paired dataset from browser files/URLs (each an A|B image), usable with the
 * training loop (`trainLoop`) exactly like the Node dataset.
 *
 * @example
 * ```ts
 * const ds = browserPairedDataset([...input.files]);
 * await trainLoop(model, ds, { nEpochs: 1, nEpochsDecay: 0, preprocess: { loadSize: 286, cropSize: 256 } });
 * ```
 */
export function browserPairedDataset(
  items: readonly BrowserImageSource[],
  opts: { direction?: 'AtoB' | 'BtoA'; inputChannels?: number; outputChannels?: number } = {},
): { size: number; get(index: number): Promise<PairSample> } {
  if (!items.length) throw new DatasetError('The dataset is empty: give at least one A|B image.');
  const nameOf = (x: BrowserImageSource, i: number): string =>
    typeof File !== 'undefined' && x instanceof File
      ? x.name
      : typeof x === 'string' || x instanceof URL
        ? String(x)
        : `image ${i}`;
  return {
    size: items.length,
    async get(index: number): Promise<PairSample> {
      if (!Number.isInteger(index) || index < 0 || index >= items.length)
        throw new ShapeError(`Sample index ${index} is out of range 0..${items.length - 1}.`);
      const name = nameOf(items[index], index);
      return splitPair(await decodeBrowserImage(items[index], name), { ...opts, name });
    },
  };
}
