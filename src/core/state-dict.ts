/**
 * A framework-neutral state dict: what a `.pth` file holds once read, and what the
 * model exports. Keys are PyTorch state_dict keys (e.g. `model.model.0.weight`);
 * shapes are PyTorch's (Conv2d `[out, in, kh, kw]`, ConvTranspose2d `[in, out, kh, kw]`).
 *
 * @example
 * ```ts
 * const sd: StateDict = new Map([['w', { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }]]);
 * ```
 */
export type DType =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';

/** One tensor of a state dict, C order, little-endian. Non-float32 dtypes are widened on read. */
export interface StateTensor {
  /** The dtype the tensor had in the file (`data` is always widened to a JS typed array). */
  dtype: DType;
  shape: number[];
  /** float dtypes are widened to Float32Array (float64 to Float64Array); int64 to BigInt64Array. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
}

/** Ordered map from key to tensor (insertion order = file order). */
export type StateDict = Map<string, StateTensor>;

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
