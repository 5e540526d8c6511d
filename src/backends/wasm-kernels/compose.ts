/**
 * Helpers to build a wasm kernel out of the wasm backend's own registered kernels, the way
 * tfjs-backend-wasm's kernels call each other (e.g. its `BatchMatMul` calls `reshape`, its
 * `StridedSlice` calls `slice`): every step runs in WASM (XNNPACK for Conv2D / BatchMatMul), and
 * JS only moves `TensorInfo` handles around.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';

/** The 4-D explicit padding tfjs accepts: `[[0,0],[top,bottom],[left,right],[0,0]]`. */
export type ExplicitPad4 = [[number, number], [number, number], [number, number], [number, number]];

/** Named inputs, or the input array of variadic kernels such as Concat. */
export type KernelInputs = tf.NamedTensorInfoMap | tf.TensorInfo[];

/**
 * A scratch scope over one wasm backend: `run` calls a registered wasm kernel and remembers its
 * output; `keep` marks the result that leaves the scope; everything else is disposed at the end.
 */
export interface WasmScope {
  /** Calls the wasm kernel `name` (looked up at call time) and records its output. */
  run(name: string, inputs: KernelInputs, attrs?: tf.NamedAttrMap): tf.TensorInfo;
  /** Records a `TensorInfo` made outside `run` (e.g. by {@link gatherChunks}) for disposal. */
  own(t: tf.TensorInfo): tf.TensorInfo;
  /** Disposes an intermediate early (to bound peak memory); it is then not disposed again. */
  free(t: tf.TensorInfo): void;
  /** The backend the scope runs on. */
  readonly backend: BackendWasm;
}

/**
 * Calls the `kernelFunc` of the kernel registered as `name` for `'wasm'`, with no engine
 * bookkeeping: the caller owns the returned `TensorInfo` and must `backend.disposeData` it.
 *
 * @example
 * ```ts
 * const t = callWasmKernel(backend, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
 * // ... use t ...
 * backend.disposeData(t.dataId);
 * ```
 */
export function callWasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: KernelInputs,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) {
    throw new Error(
      `The wasm backend has no "${name}" kernel registered; initialise the wasm backend (initBackend('wasm')) first.`,
    );
  }
  // Concat/AddN take their inputs as an array (tfjs-backend-wasm kernels/Concat.ts).
  const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend, attrs });
  if (Array.isArray(out)) {
    throw new Error(
      `Kernel "${name}" returned ${out.length} outputs; compose.ts only chains single-output kernels.`,
    );
  }
  return out as tf.TensorInfo;
}

/**
 * Runs `body` with a {@link WasmScope}, then disposes every intermediate it made except the
 * `TensorInfo` that `body` returns. Intermediates are also disposed when `body` throws.
 *
 * Reshape/Identity outputs share their input's `dataId` with an extra reference count
 * (tfjs-backend-wasm `kernels/Reshape.ts`), so disposing each recorded output once is exact even
 * when the result aliases an intermediate.
 *
 * @example
 * ```ts
 * const y = withWasmScope(backend, (s) => {
 *   const t = s.run('Transpose', { x }, { perm: [0, 2, 1] });
 *   return s.run('Reshape', { x: t }, { shape: [-1] });
 * });
 * ```
 */
export function withWasmScope(
  backend: BackendWasm,
  body: (scope: WasmScope) => tf.TensorInfo,
): tf.TensorInfo {
  const made: tf.TensorInfo[] = [];
  const scope: WasmScope = {
    backend,
    run(name, inputs, attrs) {
      const out = callWasmKernel(backend, name, inputs, attrs);
      made.push(out);
      return out;
    },
    own(t) {
      made.push(t);
      return t;
    },
    free(t) {
      const i = made.indexOf(t);
      if (i < 0)
        throw new Error(
          'WasmScope.free: this TensorInfo was not made in this scope (or was already freed).',
        );
      made.splice(i, 1);
      backend.disposeData(t.dataId);
    },
  };
  let result: tf.TensorInfo | undefined;
  try {
    result = body(scope);
    return result;
  } finally {
    for (const t of made) if (t !== result) backend.disposeData(t.dataId);
  }
}

/**
 * Builds a new float32 tensor of shape `shape` from whole contiguous chunks of `x` (viewed as
 * `[n, chunkSize]`), in the order `order`, with `TypedArray.set` on the wasm heap (a memcpy).
 * Used instead of the wasm `Slice`/`StridedSlice`/`Reverse` kernels for weight-sized gathers:
 * `Slice` copies its whole input first (its `readSync` is `HEAPU8.slice`), and the generic
 * StridedSlice/Reverse C++ loops cost tens of ns per element (measured: 4M floats in ~0.2 s).
 *
 * @example
 * ```ts
 * // reverse the 16 taps of a [4, 4, a, b] filter: the spatial flip
 * const flipped = gatherChunks(backend, w, a * b, [15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], w.shape);
 * ```
 */
export function gatherChunks(
  backend: BackendWasm,
  x: tf.TensorInfo,
  chunkSize: number,
  order: number[],
  shape: number[],
): tf.TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== chunkSize * order.length) {
    throw new Error(
      `gatherChunks: shape [${shape}] holds ${size} elements, not ${order.length} chunks of ${chunkSize}.`,
    );
  }
  // makeOutput may grow the wasm memory, which detaches earlier heap views: take views after it.
  const out = backend.makeOutput(shape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  order.forEach((c, i) => dst.set(src.subarray(c * chunkSize, (c + 1) * chunkSize), i * chunkSize));
  return out;
}

/**
 * Writes the transpose of the `[rows, cols]` matrix at `src[srcOff..]` to `dst[dstOff..]` as
 * `[cols, rows]`, in 32x32 blocks (both sides stay in cache). Plain JS on heap views: 1-2 ns per
 * element, several times the wasm `Transpose` kernel's speed on these shapes (measured 5 ns).
 *
 * @example
 * ```ts
 * transposeInto(src, 0, 64, 1024, dst, 0); // dst is [1024, 64]
 * ```
 */
export function transposeInto(
  src: Float32Array,
  srcOff: number,
  rows: number,
  cols: number,
  dst: Float32Array,
  dstOff: number,
): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const s = srcOff + r * cols;
        let d = dstOff + c0 * rows + r;
        for (let c = c0; c < c1; c++, d += rows) dst[d] = src[s + c];
      }
    }
  }
}

/**
 * A new float32 tensor holding the transpose of `x` viewed as `[rows, cols]`, shaped `shape`
 * (default `[cols, rows]`). See {@link transposeInto}.
 *
 * @example
 * ```ts
 * const dyT = transposeOnHeap(backend, dy, n * h * w, c); // [c, n*h*w]
 * ```
 */
export function transposeOnHeap(
  backend: BackendWasm,
  x: tf.TensorInfo,
  rows: number,
  cols: number,
  shape: number[] = [cols, rows],
): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  transposeInto(src, 0, rows, cols, dst, 0);
  return out;
}
