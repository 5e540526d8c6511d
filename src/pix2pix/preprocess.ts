/**
 * Training-time preprocessing of image pairs, as in the reference implementation
 * (junyanz/pytorch-CycleGAN-and-pix2pix `data/base_dataset.py`: `get_params` + `get_transform`):
 * resize to `loadSize` with bicubic resampling, random crop to `cropSize`, random horizontal flip,
 * with one set of random parameters drawn per pair and applied identically to A and B.
 *
 * Pure TypeScript on HWC `Float32Array` images in [-1, 1]: no tfjs, no DOM, no Node APIs, so it
 * runs the same in Node, browsers and workers.
 */
import { ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { PairSample } from '../core/image.js';

export type { PairSample };

/** An image as HWC float data (row-major, interleaved channels), values in [-1, 1]. */
export interface HwcImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

/**
 * How images are brought to the training size (the reference's `--preprocess`).
 * - `resize_and_crop`: resize to loadSize x loadSize, then random crop cropSize x cropSize.
 * - `crop`: random crop cropSize x cropSize of the image as it is.
 * - `scale_width`: resize to width loadSize keeping the aspect ratio (height at least cropSize).
 * - `scale_width_and_crop`: `scale_width`, then random crop cropSize x cropSize.
 * - `none`: keep the size, only rounded to a multiple of 4 (bicubic resize if not already one).
 */
export type PreprocessMode =
  'resize_and_crop' | 'crop' | 'scale_width' | 'scale_width_and_crop' | 'none';

/** The valid {@link PreprocessMode}s. */
export const PREPROCESS_MODES: readonly PreprocessMode[] = [
  'resize_and_crop',
  'crop',
  'scale_width',
  'scale_width_and_crop',
  'none',
];

/** Options of the preprocessing; names follow the reference's flags. */
export interface PreprocessOptions {
  /** @defaultValue 'resize_and_crop' */
  preprocess?: PreprocessMode;
  /** Size images are scaled to (`--load_size`). @defaultValue 286 */
  loadSize?: number;
  /** Size of the random crop (`--crop_size`). @defaultValue 256 */
  cropSize?: number;
  /** Random horizontal flip (the reference's `not --no_flip`; its test script turns it off). @defaultValue true */
  flip?: boolean;
}

/** {@link PreprocessOptions} with every default filled in. */
export type ResolvedPreprocessOptions = Required<PreprocessOptions>;

/** The random part of one pair's transform: crop corner (in the resized image) and flip. */
export interface TransformParams {
  x: number;
  y: number;
  flip: boolean;
}

/**
 * Fills in defaults and validates (RangeError / TypeError naming the option).
 *
 * @example
 * ```ts
 * resolvePreprocessOptions({ loadSize: 72, cropSize: 64 }).preprocess; // 'resize_and_crop'
 * ```
 */
export function resolvePreprocessOptions(opts: PreprocessOptions = {}): ResolvedPreprocessOptions {
  const { preprocess = 'resize_and_crop', loadSize = 286, cropSize = 256, flip = true } = opts;
  if (!PREPROCESS_MODES.includes(preprocess)) {
    throw new TypeError(
      `Unsupported preprocess: ${JSON.stringify(preprocess)}. Should be one of: ${PREPROCESS_MODES.map((m) => `"${m}"`).join(', ')}.`,
    );
  }
  for (const [name, v] of [
    ['loadSize', loadSize],
    ['cropSize', cropSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 16384)
      throw new RangeError(
        `Option "${name}" must be an integer from 1 to 16384, got ${JSON.stringify(v)}.`,
      );
  }
  if (preprocess.includes('crop') && preprocess !== 'crop' && cropSize > loadSize) {
    throw new RangeError(
      `Option "cropSize" (${cropSize}) must not exceed "loadSize" (${loadSize}) with preprocess "${preprocess}".`,
    );
  }
  return { preprocess, loadSize, cropSize, flip: Boolean(flip) };
}

/**
 * Draws the random parameters for one pair of `width` x `height` images, exactly as the
 * reference's `get_params`: crop x, then crop y (each uniform over every valid corner), then the
 * flip (`random() > 0.5`). All three are drawn whatever the options, so the number of draws per
 * sample does not depend on them.
 *
 * @example
 * ```ts
 * const p = getTransformParams(128, 128, resolvePreprocessOptions({ loadSize: 72, cropSize: 64 }), new Rng(0));
 * // p.x, p.y in [0, 8]
 * ```
 */
export function getTransformParams(
  width: number,
  height: number,
  opts: ResolvedPreprocessOptions,
  rng: Rng,
): TransformParams {
  let newW = width;
  let newH = height;
  if (opts.preprocess === 'resize_and_crop') {
    newW = newH = opts.loadSize;
  } else if (opts.preprocess === 'scale_width_and_crop') {
    newW = opts.loadSize;
    newH = Math.floor((opts.loadSize * height) / width);
  }
  const x = rng.int(Math.max(0, newW - opts.cropSize) + 1);
  const y = rng.int(Math.max(0, newH - opts.cropSize) + 1);
  const flip = rng.float() > 0.5;
  return { x, y, flip };
}

/**
 * Applies the deterministic transform chain for `params` to one image: resize (or scale width, or
 * round to a multiple of 4 for `none`), crop, flip.
 *
 * @example
 * ```ts
 * const out = applyTransform(img, { x: 3, y: 5, flip: true }, resolvePreprocessOptions({ loadSize: 72, cropSize: 64 }));
 * ```
 */
export function applyTransform(
  img: HwcImage,
  params: TransformParams,
  opts: ResolvedPreprocessOptions,
): HwcImage {
  checkImage(img);
  let out = img;
  const mode = opts.preprocess;
  if (mode.includes('resize')) {
    out = resizeBicubic(out, opts.loadSize, opts.loadSize);
  } else if (mode.includes('scale_width')) {
    if (!(out.width === opts.loadSize && out.height >= opts.cropSize)) {
      const h = Math.floor(Math.max((opts.loadSize * out.height) / out.width, opts.cropSize));
      out = resizeBicubic(out, opts.loadSize, h);
    }
  }
  if (mode.includes('crop')) {
    // As the reference's __crop: only when the image is larger than the crop in some dimension;
    // a crop box past the border reads black (PIL's crop pads with 0, which is -1 here).
    if (out.width > opts.cropSize || out.height > opts.cropSize)
      out = cropImage(out, params.x, params.y, opts.cropSize, opts.cropSize);
  }
  if (mode === 'none') {
    const w = roundHalfEven(out.width / 4) * 4;
    const h = roundHalfEven(out.height / 4) * 4;
    if (w === 0 || h === 0)
      throw new ShapeError(
        `Image of ${out.width}x${out.height} is too small for preprocess "none": it rounds to ${w}x${h}.`,
      );
    if (w !== out.width || h !== out.height) out = resizeBicubic(out, w, h);
  }
  if (opts.flip && params.flip) out = flipHorizontal(out);
  return out === img ? { ...img, data: img.data.slice() } : out;
}

/**
 * Preprocesses one training pair: draws one set of parameters from `rng` (from A's size) and
 * applies it to both images, so A and B stay aligned pixel for pixel.
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * const { a, b } = preprocessPair(sampleA, sampleB, resolvePreprocessOptions({ loadSize: 72, cropSize: 64 }), rng);
 * ```
 */
export function preprocessPair(
  a: HwcImage,
  b: HwcImage,
  opts: ResolvedPreprocessOptions,
  rng: Rng,
): { a: HwcImage; b: HwcImage; params: TransformParams } {
  if (a.width !== b.width || a.height !== b.height) {
    throw new ShapeError(
      `A and B must have the same size to be preprocessed together, got ${a.width}x${a.height} and ${b.width}x${b.height}.`,
    );
  }
  const params = getTransformParams(a.width, a.height, opts, rng);
  return { a: applyTransform(a, params, opts), b: applyTransform(b, params, opts), params };
}

/**
 * The size an image of `width` x `height` has after preprocessing (the same for every draw).
 *
 * @example
 * ```ts
 * preprocessedSize(128, 64, resolvePreprocessOptions({ preprocess: 'scale_width', loadSize: 64, cropSize: 32 })); // { width: 64, height: 32 }
 * ```
 */
export function preprocessedSize(
  width: number,
  height: number,
  opts: ResolvedPreprocessOptions,
): { width: number; height: number } {
  let w = width;
  let h = height;
  if (opts.preprocess.includes('resize')) {
    w = h = opts.loadSize;
  } else if (
    opts.preprocess.includes('scale_width') &&
    !(w === opts.loadSize && h >= opts.cropSize)
  ) {
    h = Math.floor(Math.max((opts.loadSize * h) / w, opts.cropSize));
    w = opts.loadSize;
  }
  if (opts.preprocess.includes('crop') && (w > opts.cropSize || h > opts.cropSize))
    w = h = opts.cropSize;
  if (opts.preprocess === 'none') {
    w = roundHalfEven(w / 4) * 4;
    h = roundHalfEven(h / 4) * 4;
  }
  return { width: w, height: h };
}

/** Keys cubic convolution with a = -0.5, PIL's `bicubic_filter`. */
function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output index: first input index and normalised weights (PIL's `precompute_coeffs`). */
function coefficients(
  inSize: number,
  outSize: number,
): { start: Int32Array; count: Int32Array; weights: Float64Array; stride: number } {
  const scale = inSize / outSize;
  // Downscaling widens the kernel by the scale factor: an antialiasing filter, as PIL does.
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = bicubic((i - center + 0.5) / filterScale);
      weights[o * stride + i - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let i = 0; i < hi - lo; i++) weights[o * stride + i] /= sum;
    start[o] = lo;
    count[o] = hi - lo;
  }
  return { start, count, weights, stride };
}

const clamp = (v: number): number => (v < -1 ? -1 : v > 1 ? 1 : v);

/**
 * Resizes with PIL's bicubic resampling (`Image.resize(size, BICUBIC)`, which torchvision's
 * `Resize` calls on PIL images): separable Keys cubic (a = -0.5), widened by the scale factor when
 * downscaling, horizontal pass then vertical pass, each clamped to [-1, 1] as PIL clips each pass
 * to 0..255. PIL works on uint8 and rounds after each pass; this works in float, so results agree
 * with PIL's to within about one 8-bit level. Same size returns a copy.
 *
 * @example
 * ```ts
 * const big = resizeBicubic({ data, width: 64, height: 64, channels: 1 }, 72, 72);
 * ```
 */
export function resizeBicubic(img: HwcImage, width: number, height: number): HwcImage {
  checkImage(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ShapeError(`Resize target must be positive integers, got ${width}x${height}.`);
  }
  const { channels: c } = img;
  let src = img.data;
  let w = img.width;
  const h = img.height;
  if (width !== w) {
    const k = coefficients(w, width);
    const out = new Float32Array(width * h * c);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < width; x++) {
        const base = k.start[x];
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let i = 0; i < k.count[x]; i++)
            s += k.weights[x * k.stride + i] * src[(y * w + base + i) * c + ch];
          out[(y * width + x) * c + ch] = clamp(s);
        }
      }
    }
    src = out;
    w = width;
  }
  if (height !== h) {
    const k = coefficients(h, height);
    const out = new Float32Array(w * height * c);
    for (let y = 0; y < height; y++) {
      const base = k.start[y];
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let i = 0; i < k.count[y]; i++)
            s += k.weights[y * k.stride + i] * src[((base + i) * w + x) * c + ch];
          out[(y * w + x) * c + ch] = clamp(s);
        }
      }
    }
    src = out;
  }
  return { data: src === img.data ? img.data.slice() : src, width, height, channels: c };
}

/**
 * Crops the `width` x `height` box with top-left corner (`x`, `y`). Pixels of the box outside the
 * image are -1 (black), as PIL's `crop` pads with zeros.
 *
 * @example
 * ```ts
 * const patch = cropImage(img, 4, 4, 64, 64);
 * ```
 */
export function cropImage(
  img: HwcImage,
  x: number,
  y: number,
  width: number,
  height: number,
): HwcImage {
  checkImage(img);
  const { channels: c } = img;
  const out = new Float32Array(width * height * c).fill(-1);
  const x0 = Math.max(0, x);
  const x1 = Math.min(img.width, x + width);
  for (let r = 0; r < height; r++) {
    const sy = y + r;
    if (sy < 0 || sy >= img.height || x1 <= x0) continue;
    out.set(
      img.data.subarray((sy * img.width + x0) * c, (sy * img.width + x1) * c),
      (r * width + (x0 - x)) * c,
    );
  }
  return { data: out, width, height, channels: c };
}

/**
 * Mirrors an image left-right.
 *
 * @example
 * ```ts
 * const mirrored = flipHorizontal(img);
 * ```
 */
export function flipHorizontal(img: HwcImage): HwcImage {
  checkImage(img);
  const { width: w, height: h, channels: c, data } = img;
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c;
      const d = (y * w + (w - 1 - x)) * c;
      for (let ch = 0; ch < c; ch++) out[d + ch] = data[s + ch];
    }
  }
  return { data: out, width: w, height: h, channels: c };
}

/** Python 3's `round()` (half to even), which the reference's `__make_power_2` uses. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function checkImage(img: HwcImage): void {
  const { width, height, channels, data } = img;
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    !Number.isInteger(channels) ||
    width < 1 ||
    height < 1 ||
    channels < 1 ||
    data.length !== width * height * channels
  ) {
    throw new ShapeError(
      `Image of ${width}x${height}x${channels} does not match its data length ${data.length}.`,
    );
  }
}

/**
 * {@link preprocessPair} for a {@link PairSample}: one random crop/flip for both halves.
 *
 * @example
 * ```ts
 * const opts = resolvePreprocessOptions({ loadSize: 72, cropSize: 64 });
 * const augmented = preprocessSample(await dataset.get(0), opts, rng);
 * ```
 */
export function preprocessSample(
  sample: PairSample,
  opts: ResolvedPreprocessOptions,
  rng: Rng,
): PairSample {
  const { a, b } = preprocessPair(
    { data: sample.a, width: sample.width, height: sample.height, channels: sample.channelsA },
    { data: sample.b, width: sample.width, height: sample.height, channels: sample.channelsB },
    opts,
    rng,
  );
  return {
    a: a.data,
    b: b.data,
    width: a.width,
    height: a.height,
    channelsA: a.channels,
    channelsB: b.channels,
    name: sample.name,
  };
}
