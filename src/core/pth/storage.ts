/**
 * Storage dtypes of PyTorch checkpoints and the conversions between raw little-endian
 * storage bytes and the widened JS typed arrays of a {@link StateTensor}.
 */
import { CheckpointError } from '../errors.js';
import type { DType, StateTensor } from '../state-dict.js';
import { sizeOf } from '../state-dict.js';

/** Element data of a decoded storage (widened like {@link StateTensor.data}). */
export type TensorData = StateTensor['data'];

/** What a storage class (`torch.FloatStorage`, ...) holds. */
export interface StorageType {
  /** The class name in the pickle, e.g. `FloatStorage`. */
  readonly name: string;
  readonly dtype: DType;
  /** Bytes per element in the file. */
  readonly itemsize: number;
}

const STORAGE_LIST: readonly StorageType[] = [
  { name: 'FloatStorage', dtype: 'float32', itemsize: 4 },
  { name: 'HalfStorage', dtype: 'float16', itemsize: 2 },
  { name: 'BFloat16Storage', dtype: 'bfloat16', itemsize: 2 },
  { name: 'DoubleStorage', dtype: 'float64', itemsize: 8 },
  { name: 'LongStorage', dtype: 'int64', itemsize: 8 },
  { name: 'IntStorage', dtype: 'int32', itemsize: 4 },
  { name: 'ByteStorage', dtype: 'uint8', itemsize: 1 },
  { name: 'CharStorage', dtype: 'int8', itemsize: 1 },
  { name: 'BoolStorage', dtype: 'bool', itemsize: 1 },
];

/**
 * Storage classes by pickle name (`FloatStorage` -> float32, 4 bytes).
 *
 * @example
 * ```ts
 * STORAGE_TYPES.get('LongStorage')?.dtype; // 'int64'
 * ```
 */
export const STORAGE_TYPES: ReadonlyMap<string, StorageType> = new Map(
  STORAGE_LIST.map((s) => [s.name, s]),
);

/**
 * The storage class PyTorch uses for a dtype.
 *
 * @example
 * ```ts
 * storageTypeOf('float16').name; // 'HalfStorage'
 * ```
 */
export function storageTypeOf(dtype: DType): StorageType {
  const s = STORAGE_LIST.find((t) => t.dtype === dtype);
  if (!s)
    throw new TypeError(
      `Unknown dtype "${dtype}". Should be one of: ${STORAGE_LIST.map((t) => t.dtype).join(', ')}.`,
    );
  return s;
}

/**
 * `torch.<name>` dtype globals that may appear in a pickle, mapped to our dtypes.
 *
 * @example
 * ```ts
 * TORCH_DTYPES.get('half'); // 'float16'
 * ```
 */
export const TORCH_DTYPES: ReadonlyMap<string, DType> = new Map<string, DType>([
  ['float32', 'float32'],
  ['float', 'float32'],
  ['float16', 'float16'],
  ['half', 'float16'],
  ['bfloat16', 'bfloat16'],
  ['float64', 'float64'],
  ['double', 'float64'],
  ['int64', 'int64'],
  ['long', 'int64'],
  ['int32', 'int32'],
  ['int', 'int32'],
  ['uint8', 'uint8'],
  ['int8', 'int8'],
  ['bool', 'bool'],
]);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * IEEE half -> float (exact).
 *
 * @example
 * ```ts
 * halfToFloat(0x3c00); // 1
 * ```
 */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * float -> IEEE half bits, rounding to nearest even as PyTorch's `.half()` does
 * (the float is first rounded to float32, as a Float32Array holds it).
 *
 * @example
 * ```ts
 * floatToHalf(1); // 0x3c00
 * ```
 */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: the value is mant * 2^-24 after shifting the implicit bit in.
    const shift = 14 - e;
    if (shift > 24) return sign;
    mant |= 0x800000;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/**
 * float -> bfloat16 bits, round to nearest even (PyTorch's `c10::BFloat16` rounding).
 *
 * @example
 * ```ts
 * floatToBfloat16(1); // 0x3f80
 * ```
 */
export function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if (Number.isNaN(f32[0])) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Copies `n` bytes from `bytes` into a fresh, aligned buffer. */
function aligned(bytes: Uint8Array, n: number): ArrayBuffer {
  const out = new Uint8Array(n);
  out.set(bytes.subarray(0, n));
  return out.buffer;
}

/**
 * Decodes `numel` elements of raw little-endian storage bytes into a widened typed array.
 *
 * @example
 * ```ts
 * decodeStorage(new Uint8Array([0, 0, 0x80, 0x3f]), 'float32', 1); // Float32Array [1]
 * ```
 */
export function decodeStorage(bytes: Uint8Array, dtype: DType, numel: number): TensorData {
  const n = numel * storageTypeOf(dtype).itemsize;
  if (bytes.length < n) {
    throw new CheckpointError(
      `Storage too short: ${dtype} storage of ${numel} element(s) needs ${n} bytes, found ${bytes.length}.`,
      'E_BAD_STORAGE',
    );
  }
  switch (dtype) {
    case 'float32':
      return new Float32Array(aligned(bytes, n));
    case 'float64':
      return new Float64Array(aligned(bytes, n));
    case 'int64':
      return new BigInt64Array(aligned(bytes, n));
    case 'int32':
      return new Int32Array(aligned(bytes, n));
    case 'uint8':
    case 'bool':
      return bytes.slice(0, n);
    case 'int8':
      return new Int8Array(aligned(bytes, n));
    case 'float16': {
      const h = new Uint16Array(aligned(bytes, n));
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = halfToFloat(h[i]);
      return out;
    }
    case 'bfloat16': {
      const h = new Uint16Array(aligned(bytes, n));
      const out = new Float32Array(numel);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) bits[i] = h[i] << 16;
      return out;
    }
  }
}

/**
 * Encodes a tensor's (widened) data as raw little-endian storage bytes of `dtype`.
 *
 * @example
 * ```ts
 * encodeStorage(new Float32Array([1]), 'float16'); // Uint8Array [0x00, 0x3c]
 * ```
 */
export function encodeStorage(data: ArrayLike<number | bigint>, dtype: DType): Uint8Array {
  const n = data.length;
  const num = (i: number): number => Number(data[i]);
  switch (dtype) {
    case 'float32':
      return bytesOf(
        data instanceof Float32Array ? data : Float32Array.from({ length: n }, (_, i) => num(i)),
      );
    case 'float64':
      return bytesOf(
        data instanceof Float64Array ? data : Float64Array.from({ length: n }, (_, i) => num(i)),
      );
    case 'int32':
      return bytesOf(
        data instanceof Int32Array ? data : Int32Array.from({ length: n }, (_, i) => num(i)),
      );
    case 'int8':
      return bytesOf(
        data instanceof Int8Array ? data : Int8Array.from({ length: n }, (_, i) => num(i)),
      );
    case 'uint8':
      return bytesOf(
        data instanceof Uint8Array ? data : Uint8Array.from({ length: n }, (_, i) => num(i)),
      );
    case 'bool':
      return Uint8Array.from({ length: n }, (_, i) => (num(i) ? 1 : 0));
    case 'int64': {
      if (data instanceof BigInt64Array) return bytesOf(data);
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (typeof v === 'number' && !Number.isInteger(v))
          throw new RangeError(`int64 tensor element ${i} is not an integer: ${v}`);
        out[i] = BigInt(v);
      }
      return bytesOf(out);
    }
    case 'float16':
    case 'bfloat16': {
      const out = new Uint16Array(n);
      const conv = dtype === 'float16' ? floatToHalf : floatToBfloat16;
      for (let i = 0; i < n; i++) out[i] = conv(num(i));
      return bytesOf(out);
    }
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * C-order (row-major) strides of a shape, as `torch.Tensor.contiguous()` gives them
 * (size-0 dimensions count as 1, like PyTorch).
 *
 * @example
 * ```ts
 * contiguousStrides([8, 3, 4, 4]); // [48, 16, 4, 1]
 * ```
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = acc;
    acc *= Math.max(shape[i], 1);
  }
  return out;
}

/**
 * Checks a tensor's view of a storage of `storageNumel` elements before anything is allocated:
 * integer non-negative sizes, strides and offset, an element count that fits both the storage
 * (a view with more elements than its storage, through zero or overlapping strides, is refused:
 * a 500-byte file could otherwise expand into gigabytes) and the last element inside it.
 * Returns the element count and whether the view is a plain C-order slice (shareable, no copy).
 *
 * @example
 * ```ts
 * checkView([3, 2], [2, 1], 0, 6); // { numel: 6, contiguous: true }
 * ```
 */
export function checkView(
  shape: readonly number[],
  stride: readonly number[],
  offset: number,
  storageNumel: number,
): { numel: number; contiguous: boolean } {
  const geometry = () =>
    `shape [${shape.slice(0, 8)}${shape.length > 8 ? ',...' : ''}], stride [${stride.slice(0, 8)}${stride.length > 8 ? ',...' : ''}], offset ${offset}`;
  if (shape.length !== stride.length)
    throw new CheckpointError(
      `Tensor has ${shape.length} dimension(s) but ${stride.length} stride(s).`,
      'E_BAD_STORAGE',
    );
  if (shape.length > 64)
    throw new CheckpointError(
      `Tensor has ${shape.length} dimensions; at most 64 are supported.`,
      'E_BAD_STORAGE',
    );
  if (
    shape.some((d) => !Number.isSafeInteger(d) || d < 0) ||
    stride.some((x) => !Number.isSafeInteger(x) || x < 0) ||
    !Number.isSafeInteger(offset) ||
    offset < 0
  ) {
    throw new CheckpointError(`Invalid tensor geometry: ${geometry()}.`, 'E_BAD_STORAGE');
  }
  let numel = 1;
  for (const d of shape) numel *= d;
  if (numel === 0) return { numel: 0, contiguous: true };
  if (numel > storageNumel) {
    throw new CheckpointError(
      `Tensor view has ${numel} elements but its storage holds ${storageNumel}: ${geometry()}. A saved tensor never has more elements than its storage (zero or overlapping strides); refused.`,
      'E_BAD_STORAGE',
    );
  }
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
  if (last >= storageNumel) {
    throw new CheckpointError(
      `Tensor view out of bounds: ${geometry()} reaches element ${last}, but the storage has ${storageNumel}.`,
      'E_BAD_STORAGE',
    );
  }
  const cs = contiguousStrides(shape);
  return { numel, contiguous: shape.every((d, i) => d === 1 || stride[i] === cs[i]) };
}

/**
 * Materialises a (possibly strided, offset) view of a decoded storage as a C-order copy.
 *
 * @example
 * ```ts
 * // the transpose of a 2x3 matrix stored row-major
 * stridedCopy(new Float32Array([1, 2, 3, 4, 5, 6]), 0, [3, 2], [1, 3]); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function stridedCopy(
  storage: TensorData,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
): TensorData {
  const numel = sizeOf(shape);
  if (shape.length !== stride.length) {
    throw new CheckpointError(
      `Tensor has ${shape.length} dimension(s) but ${stride.length} stride(s).`,
      'E_BAD_STORAGE',
    );
  }
  if (
    shape.some((d) => !Number.isInteger(d) || d < 0) ||
    stride.some((s) => !Number.isInteger(s) || s < 0) ||
    !Number.isInteger(offset) ||
    offset < 0
  ) {
    throw new CheckpointError(
      `Invalid tensor geometry: shape [${shape}], stride [${stride}], offset ${offset}.`,
      'E_BAD_STORAGE',
    );
  }
  const Ctor = storage.constructor as new (n: number) => TensorData;
  if (numel === 0) return new Ctor(0);
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
  if (last >= storage.length) {
    throw new CheckpointError(
      `Tensor view out of bounds: shape [${shape}], stride [${stride}], offset ${offset} reaches element ${last}, but the storage has ${storage.length}.`,
      'E_BAD_STORAGE',
    );
  }
  const cs = contiguousStrides(shape);
  if (shape.every((d, i) => d === 1 || stride[i] === cs[i]))
    return storage.slice(offset, offset + numel);
  const out = new Ctor(numel);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let src = offset;
  for (let o = 0; o < numel; o++) {
    (out as unknown as unknown[])[o] = (storage as unknown as unknown[])[src];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}
