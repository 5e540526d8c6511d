/**
 * Weight compression for web delivery, in the encodings tfjs itself decodes
 * (`WeightsManifestEntry.quantization`): float16, and 8-bit per-tensor affine
 * (`value = q * scale + min`) with the range nudged so that 0 is exactly representable, as the
 * tfjs converter does (zero biases and padding-like zeros stay exactly zero).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * One float32 to IEEE half-precision bits, round to nearest even (overflow to +-Infinity,
 * subnormals kept), as numpy's `astype(float16)`.
 *
 * @example
 * ```ts
 * toFloat16Bits(1); // 0x3c00
 * ```
 */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m; // a carry into the exponent field is the right result
  }
  const rest = mant & 0x1fff;
  let m = mant >>> 13;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

/**
 * Half-precision bits back to a number.
 *
 * @example
 * ```ts
 * fromFloat16Bits(0x3c00); // 1
 * ```
 */
export function fromFloat16Bits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * Encodes float32 values as float16.
 *
 * @example
 * ```ts
 * const half = encodeFloat16(new Float32Array([0.1, -2])); // Uint16Array
 * ```
 */
export function encodeFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}

/** 8-bit affine quantisation of one tensor: `value ~= q * scale + min`. */
export interface AffineU8 {
  data: Uint8Array;
  scale: number;
  min: number;
}

/**
 * Quantises values to uint8 with one scale and offset per tensor. The range is widened to include 0
 * and nudged so that 0 maps to an integer exactly (tfjs converter's rule).
 *
 * @example
 * ```ts
 * const { data, scale, min } = quantizeAffineU8(new Float32Array([-1, 0, 0.5]));
 * ```
 */
export function quantizeAffineU8(values: ArrayLike<number>): AffineU8 {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const data = new Uint8Array(values.length);
  if (hi === lo) return { data, scale: 1, min: 0 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.round(-lo / scale);
  const min = -zeroPoint * scale;
  for (let i = 0; i < values.length; i++) {
    const q = Math.round((values[i] - min) / scale);
    data[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { data, scale, min };
}

/**
 * Relative L2 error `||a - b|| / ||b||` and PSNR in dB for signals with peak-to-peak range `range`
 * (2 for images in [-1, 1]).
 *
 * @example
 * ```ts
 * compareOutputs(quantOut, refOut); // { relL2: 0.004, psnr: 51.2, maxAbs: 0.03 }
 * ```
 */
export function compareOutputs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  range = 2,
): { relL2: number; psnr: number; maxAbs: number } {
  let num = 0;
  let den = 0;
  let maxAbs = 0;
  for (let i = 0; i < b.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
    if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
  }
  const mse = num / b.length;
  return {
    relL2: Math.sqrt(num / (den || 1)),
    psnr: mse === 0 ? Infinity : 10 * Math.log10((range * range) / mse),
    maxAbs,
  };
}
