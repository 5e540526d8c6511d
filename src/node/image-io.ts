/**
 * Image files in Node, through `sharp` (libvips, prebuilt in its npm packages): decode PNG, JPEG,
 * WebP, TIFF, GIF and AVIF to 8-bit pixels the way the reference reads them
 * (`Image.open(path).convert('RGB')`, or `convert('L')` for one channel), and encode results to PNG.
 */
import sharp from 'sharp';
import { DatasetError, LimitError } from '../core/errors.js';
import { DEFAULT_MAX_PIXELS, checkPixels } from '../core/image.js';

/** Decoded 8-bit pixels, HWC, row-major. */
export interface DecodedImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** File extensions read as images (lower case, with the dot). */
export const IMAGE_EXTENSIONS: readonly string[] = [
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
];

/**
 * Decodes an image file or buffer to 8-bit RGB or gray. Alpha is dropped without compositing and
 * gray is derived from RGB with PIL's `L` formula (ITU-R 601 luma, fixed point), as the
 * reference's `convert('RGB')` / `Grayscale(1)` do; 16-bit images are reduced to 8 bits; EXIF
 * orientation is ignored, as PIL ignores it. Throws a {@link DatasetError} that names `label` (the
 * path by default) and says why when the data is not a readable image.
 *
 * @example
 * ```ts
 * const { data, width, height } = await decodeImage('data/fonts-zi2zi/train/0001-u7684.png', 1);
 * ```
 */
export async function decodeImage(
  source: string | Uint8Array,
  channels: 1 | 3 = 3,
  label?: string,
  maxPixels = DEFAULT_MAX_PIXELS,
): Promise<DecodedImage> {
  const what = label ?? (typeof source === 'string' ? source : 'image buffer');
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    // The header's size is checked before decoding (sharp's own limit is 268M pixels).
    const { width = 0, height = 0 } = await sharp(source, {
      failOn: 'error',
      limitInputPixels: false,
    }).metadata();
    checkPixels(width, height, `Image "${what}"`, maxPixels);
    raw = await sharp(source, { failOn: 'error', limitInputPixels: maxPixels })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    if (cause instanceof LimitError) throw cause;
    throw new DatasetError(
      `Cannot read image "${what}": ${reason(cause)}. Expected a readable ${IMAGE_EXTENSIONS.join('/')} file; re-export or remove it.`,
      { cause },
    );
  }
  const { width, height, channels: inC } = raw.info;
  const src = raw.data;
  const n = width * height;
  const out = new Uint8Array(n * channels);
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      out[3 * i] = src[inC * i];
      out[3 * i + 1] = src[inC * i + 1];
      out[3 * i + 2] = src[inC * i + 2];
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = luma(src[inC * i], src[inC * i + 1], src[inC * i + 2]);
  }
  return { data: out, width, height, channels };
}

/** PIL's ImagingConvertRGB2L: L = (R * 19595 + G * 38470 + B * 7471 + 0x8000) >> 16. */
const luma = (r: number, g: number, b: number): number =>
  (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;

/**
 * RGB to one gray channel with PIL's `L` formula (a gray image is returned as is).
 *
 * @example
 * ```ts
 * const gray = rgbToGray(await decodeImage('photo.jpg', 3));
 * ```
 */
export function rgbToGray(img: DecodedImage): DecodedImage {
  if (img.channels === 1) return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    out[i] = luma(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]);
  return { data: out, width: img.width, height: img.height, channels: 1 };
}

/**
 * Reads only the header of an image: its size, without decoding pixels. Throws a
 * {@link DatasetError} naming the file when it is not a readable image.
 *
 * @example
 * ```ts
 * const { width, height } = await readImageSize('photo.jpg');
 * ```
 */
export async function readImageSize(
  path: string,
  label = path,
): Promise<{ width: number; height: number }> {
  try {
    const { width, height } = await sharp(path, { failOn: 'error' }).metadata();
    if (!width || !height) throw new Error('the header has no size');
    return { width, height };
  } catch (cause) {
    throw new DatasetError(
      `Cannot read image "${label}": ${reason(cause)}. Expected a readable ${IMAGE_EXTENSIONS.join('/')} file; re-export or remove it.`,
      { cause },
    );
  }
}

/**
 * 8-bit pixels to floats in [-1, 1] (`v / 127.5 - 1`, the reference's `ToTensor` then
 * `Normalize(0.5, 0.5)`), same HWC layout.
 *
 * @example
 * ```ts
 * const f = toFloat(await decodeImage('a.png')); // Float32Array, values in [-1, 1]
 * ```
 */
export function toFloat(img: { data: Uint8Array }): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] / 127.5 - 1;
  return out;
}

/**
 * Encodes an HWC image as PNG: 8-bit data as is, float data in [-1, 1] mapped back to 0..255
 * (rounded, clamped). One channel gives a grayscale PNG.
 *
 * @example
 * ```ts
 * await writeFile('fake_B.png', await encodePng({ data: fakeB, width: 64, height: 64, channels: 1 }));
 * ```
 */
export async function encodePng(img: {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: number;
}): Promise<Uint8Array> {
  const { width, height, channels, data } = img;
  if (![1, 3, 4].includes(channels) || data.length !== width * height * channels) {
    throw new RangeError(
      `encodePng needs 1, 3 or 4 channels and width * height * channels values, got ${width}x${height}x${channels} with ${data.length} values.`,
    );
  }
  let bytes: Uint8Array;
  if (data instanceof Float32Array) {
    bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++)
      bytes[i] = Math.min(255, Math.max(0, Math.round((data[i] + 1) * 127.5)));
  } else {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  }
  let pipeline = sharp(bytes, { raw: { width, height, channels: channels as 1 | 3 | 4 } });
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  return new Uint8Array(await pipeline.png().toBuffer());
}

function reason(cause: unknown): string {
  const msg = cause instanceof Error ? cause.message : String(cause);
  return msg.trim().replace(/[.:\s]+$/, '') || 'unknown decoder error';
}
