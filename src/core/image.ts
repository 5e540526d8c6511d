/**
 * Image <-> tensor conversion, platform-neutral. Images are plain pixel buffers (what `ImageData`,
 * `sharp`'s raw output and canvases give), so the same code runs in Node, browsers and workers.
 */
import { LimitError, ShapeError, ValueError } from './errors.js';

/**
 * A pixel buffer, row-major, interleaved channels. `Uint8Array`/`Uint8ClampedArray` data is 0..255;
 * `Float32Array` data is in [-1, 1]. `ImageData` fits this type (channels 4 implied).
 */
export interface PixelImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  /** Interleaved channels in `data` (1 gray, 3 RGB, 4 RGBA). @defaultValue data.length / (width * height) */
  channels?: number;
}

/** A float image in [-1, 1], HWC, with exactly the model's channel count. */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * An RGBA 8-bit image, the shape of a canvas `ImageData`: what every `translate` returns, in this
 * thread, from a worker or from a pool.
 *
 * @example
 * ```ts
 * const out: RGBAImage = await p2p.translate(input);
 * ctx.putImageData(new ImageData(out.data, out.width, out.height), 0, 0);
 * ```
 */
export interface RGBAImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  channels: 4;
}

/**
 * One training pair as the data loaders give it (node/, workers/, core/browser-image.ts): HWC floats in [-1, 1]. `a` is the generator's
 * input and `b` its target (the loader has already applied the direction), both `width` x
 * `height`, with `channelsA` and `channelsB` channels.
 */
export interface PairSample {
  a: Float32Array;
  b: Float32Array;
  width: number;
  height: number;
  channelsA: number;
  channelsB: number;
  /** Where the pair came from (a file name relative to its folder). */
  name: string;
}

/** Channels of a pixel image, validated against its buffer size. */
export function channelsOf(img: PixelImage): number {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ShapeError(
      `Image width and height must be positive integers, got ${width}x${height}.`,
    );
  }
  const c = img.channels ?? data.length / (width * height);
  if (!Number.isInteger(c) || c < 1 || c > 4 || data.length !== width * height * c) {
    throw new ShapeError(
      `Image data holds ${data.length} values, which does not fit ${width}x${height} with ${img.channels ?? '1-4'} channel(s).`,
    );
  }
  return c;
}

/**
 * Converts any {@link PixelImage} to a float image in [-1, 1] with `channels` channels: an image
 * with exactly `channels` channels is taken as is (so RGBA feeds a 4-input-channel model, alpha
 * included); otherwise RGBA drops alpha, gray is repeated to every channel, RGB to gray uses
 * ITU-R 601 luma (as PIL's `L`).
 * Rejects non-finite float values.
 *
 * @example
 * ```ts
 * const f = toFloatImage({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 }, 3);
 * ```
 */
export function toFloatImage(img: PixelImage, channels: number): FloatImage {
  const c = channelsOf(img);
  const { width, height, data } = img;
  const n = width * height;
  const out = new Float32Array(n * channels);
  const isFloat = data instanceof Float32Array;
  const norm = (v: number): number => (isFloat ? v : v / 127.5 - 1);
  if (isFloat) checkFinite(data);
  const colorC = c === 4 ? 3 : c === 2 ? 1 : c;
  for (let p = 0; p < n; p++) {
    const base = p * c;
    if (channels === c) {
      // As many channels as the model takes: every channel as is (RGBA into a 4-channel model
      // keeps its alpha as the fourth input channel).
      for (let k = 0; k < channels; k++) out[p * channels + k] = norm(data[base + k]);
    } else if (channels === colorC) {
      for (let k = 0; k < channels; k++) out[p * channels + k] = norm(data[base + k]);
    } else if (channels === 1) {
      out[p] = norm(0.299 * data[base] + 0.587 * data[base + 1] + 0.114 * data[base + 2]);
    } else if (colorC === 1) {
      const v = norm(data[base]);
      for (let k = 0; k < channels; k++) out[p * channels + k] = v;
    } else {
      throw channelError(c, channels);
    }
  }
  return { data: out, width, height, channels };
}

function channelError(c: number, channels: number): ShapeError {
  return new ShapeError(
    `Cannot convert a ${c}-channel image to the model's ${channels} input channels: pass an image with ${channels} channels${channels === 4 ? ' (RGBA: alpha is the fourth channel)' : ''}, 3 (RGB), or 1 (gray, repeated).`,
  );
}

/** Rejects a float image holding NaN or an infinity. */
function checkFinite(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new ValueError(
        `Image value at index ${i} is ${data[i]}; pixel values must be finite (floats in [-1, 1]).`,
      );
  }
}

/**
 * Converts a float image in [-1, 1] to 8-bit RGBA (what a canvas `ImageData` holds).
 *
 * @example
 * ```ts
 * const rgba = toRGBA8(floatImage); // { data: Uint8ClampedArray, width, height, channels: 4 }
 * ```
 */
export function toRGBA8(img: FloatImage): RGBAImage {
  const { width, height, channels: c, data } = img;
  const out = new Uint8ClampedArray(width * height * 4);
  // Gray is repeated to RGB; two channels give R from the first, G and B from the second. A
  // 4-output-channel model's fourth channel is its alpha; otherwise opaque.
  const c1 = Math.min(1, c - 1);
  const c2 = Math.min(2, c - 1);
  for (let i = 0, q = 0; q < out.length; i += c, q += 4) {
    out[q] = to8(data[i]);
    out[q + 1] = to8(data[i + c1]);
    out[q + 2] = to8(data[i + c2]);
    out[q + 3] = c === 4 ? to8(data[i + 3]) : 255;
  }
  return { data: out, width, height, channels: 4 };
}

/** A float value in [-1, 1] (clamped) as an 8-bit level, rounded half up. */
function to8(v: number): number {
  return Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
}

/**
 * Pads a float image on the right and bottom to a multiple of `m` by reflection (as PyTorch's
 * `ReflectionPad2d`, which avoids the dark borders zero padding gives a U-Net), returning the
 * padded image; crop the result back to the original size.
 *
 * @example
 * ```ts
 * const p = padToMultiple(img, 256); // 300x200 -> 512x256
 * ```
 */
export function padToMultiple(img: FloatImage, m: number): FloatImage {
  const W = Math.ceil(img.width / m) * m;
  const H = Math.ceil(img.height / m) * m;
  if (W === img.width && H === img.height) return img;
  const { width, height, channels: c, data } = img;
  const out = new Float32Array(W * H * c);
  for (let y = 0; y < H; y++) {
    const sy = reflect(y, height);
    for (let x = 0; x < W; x++) {
      const sx = reflect(x, width);
      for (let k = 0; k < c; k++) out[(y * W + x) * c + k] = data[(sy * width + sx) * c + k];
    }
  }
  return { data: out, width: W, height: H, channels: c };
}

/** Reflection of index `i` into `0..n-1` (PyTorch's `ReflectionPad2d`, repeated for large pads). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = i % period;
  return k >= n ? period - k : k;
}

/** Crops the top-left `width x height` of a float image. */
export function cropTopLeft(img: FloatImage, width: number, height: number): FloatImage {
  if (width === img.width && height === img.height) return img;
  const c = img.channels;
  const out = new Float32Array(width * height * c);
  for (let y = 0; y < height; y++)
    out.set(img.data.subarray(y * img.width * c, (y * img.width + width) * c), y * width * c);
  return { data: out, width, height, channels: c };
}

/**
 * A float image in planar (CHW) order, one plane per channel: what an NCHW engine (onnxruntime)
 * takes and returns for a batch of one.
 */
export interface PlanarImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * {@link toFloatImage}, then {@link padToMultiple} to a multiple of `m`, in planar order, in one
 * pass: the same values and errors as those two steps and a transpose, without the intermediate
 * images (the input of an NCHW engine).
 *
 * @example
 * ```ts
 * const x = toPaddedPlanar({ data: rgba, width: 300, height: 200 }, 3, 256); // 3 planes of 512x256
 * ```
 */
export function toPaddedPlanar(img: PixelImage, channels: number, m: number): PlanarImage {
  const c = channelsOf(img);
  const { width, height, data } = img;
  const isFloat = data instanceof Float32Array;
  if (isFloat) checkFinite(data);
  const colorC = c === 4 ? 3 : c === 2 ? 1 : c;
  // The conversions of toFloatImage, in its order of preference (channel k of the image is
  // channel k of the input when the counts agree or only alpha is dropped).
  const mode =
    channels === c || channels === colorC ? 0 : channels === 1 ? 1 : colorC === 1 ? 2 : -1;
  if (mode < 0) throw channelError(c, channels);
  const W = Math.ceil(width / m) * m;
  const H = Math.ceil(height / m) * m;
  const sx = new Int32Array(W);
  for (let x = 0; x < W; x++) sx[x] = reflect(x, width) * c;
  const out = new Float32Array(W * H * channels);
  for (let k = 0; k < channels; k++) {
    const src = mode === 0 ? k : 0;
    for (let y = 0; y < H; y++) {
      const row = reflect(y, height) * width * c + src;
      const o = (k * H + y) * W;
      if (mode === 1) {
        for (let x = 0; x < W; x++) {
          const b = row + sx[x];
          const v = 0.299 * data[b] + 0.587 * data[b + 1] + 0.114 * data[b + 2];
          out[o + x] = isFloat ? v : v / 127.5 - 1;
        }
      } else if (isFloat) {
        for (let x = 0; x < W; x++) out[o + x] = data[row + sx[x]];
      } else {
        for (let x = 0; x < W; x++) out[o + x] = data[row + sx[x]] / 127.5 - 1;
      }
    }
  }
  return { data: out, width: W, height: H, channels };
}

/**
 * The top-left `width x height` of a planar image as an interleaved {@link FloatImage}: crop and
 * transpose in one pass (the output of an NCHW engine).
 */
export function planarToFloatImage(img: PlanarImage, width: number, height: number): FloatImage {
  const { channels: c, data, width: W, height: H } = img;
  const out = new Float32Array(width * height * c);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < height; y++) {
      const s = (k * H + y) * W;
      for (let x = 0, o = y * width * c + k; x < width; x++, o += c) out[o] = data[s + x];
    }
  }
  return { data: out, width, height, channels: c };
}

/**
 * The top-left `width x height` of a planar image as 8-bit RGBA: crop and {@link toRGBA8} in one
 * pass, with the same levels.
 */
export function planarToRGBA8(img: PlanarImage, width: number, height: number): RGBAImage {
  const { channels: c, data, width: W, height: H } = img;
  const out = new Uint8ClampedArray(width * height * 4);
  const p1 = Math.min(1, c - 1) * H * W;
  const p2 = Math.min(2, c - 1) * H * W;
  const p3 = 3 * H * W;
  for (let y = 0, q = 0; y < height; y++) {
    for (let s = y * W, end = s + width; s < end; s++, q += 4) {
      out[q] = to8(data[s]);
      out[q + 1] = to8(data[s + p1]);
      out[q + 2] = to8(data[s + p2]);
      out[q + 3] = c === 4 ? to8(data[s + p3]) : 255;
    }
  }
  return { data: out, width, height, channels: 4 };
}

/** Default pixel budget of one image (translate, datasets): 2^24 pixels, e.g. 4096x4096. */
export const DEFAULT_MAX_PIXELS = 2 ** 24;

/**
 * Checks an image argument and its pixel count before any work: a named `TypeError` for something
 * that is not an image, a {@link LimitError} above `maxPixels` (a 124 KB PNG can be 16000x8000,
 * 5 GB of work in a translate).
 *
 * @example
 * ```ts
 * checkImage(img, 'translate(image)', 4096 * 4096);
 * ```
 */
export function checkImage(
  image: unknown,
  what: string,
  maxPixels = DEFAULT_MAX_PIXELS,
): asserts image is PixelImage {
  const img = image as Partial<PixelImage> | null;
  if (
    !img ||
    typeof img !== 'object' ||
    !ArrayBuffer.isView(img.data) ||
    !Number.isSafeInteger(img.width) ||
    !Number.isSafeInteger(img.height)
  ) {
    throw new TypeError(
      `${what} needs an image: { data, width, height } with a typed array of pixels and integer sizes (an ImageData works); got ${img === null ? 'null' : typeof img}.`,
    );
  }
  checkPixels(img.width!, img.height!, what, maxPixels);
}

/**
 * Throws a {@link LimitError} when `width` x `height` exceeds `maxPixels`.
 *
 * @example
 * ```ts
 * checkPixels(16000, 8000, 'photo.png'); // throws LimitError (E_LIMIT)
 * ```
 */
export function checkPixels(
  width: number,
  height: number,
  what: string,
  maxPixels = DEFAULT_MAX_PIXELS,
): void {
  if (typeof maxPixels !== 'number' || !(maxPixels >= 1))
    throw new RangeError(
      `Option "maxPixels" must be a number >= 1 (Infinity for no budget), got ${JSON.stringify(maxPixels)}.`,
    );
  if (width * height > maxPixels) {
    throw new LimitError(
      `${what} is ${width}x${height} = ${width * height} pixels, above the pixel budget of ${maxPixels} (option maxPixels); refused before decoding or translating it. Downscale it or raise maxPixels.`,
    );
  }
}
