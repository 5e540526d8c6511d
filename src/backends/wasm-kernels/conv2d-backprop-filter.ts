/**
 * `Conv2DBackpropFilter` for the wasm backend, which tfjs-backend-wasm 4.22 lacks (so no conv net
 * trains on wasm without it). Built from the backend's own WASM kernels: one transpose + pad of
 * x, then per filter tap one strided slice and one XNNPACK matmul.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import { gatherChunks, withWasmScope } from './compose.js';
import { conv2dBackpropFilterSimd } from '../wasm-simd/conv2d-backprop-filter.js';

type Inputs = { x: tf.TensorInfo; dy: tf.TensorInfo };

/**
 * The most output positions one XNNPACK matmul of the filter gradient sums over (see
 * {@link conv2dBackpropFilterWasm}); longer reductions are split into blocks of whole rows.
 */
export const DW_BLOCK_K = 1024;

/** Elements `[from, to)` of `x` as a new tensor of shape `shape` (a memcpy on the heap). */
function rowSlice(
  backend: BackendWasm,
  x: tf.TensorInfo,
  from: number,
  to: number,
  shape: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  (backend.typedArrayFromHeap(out) as Float32Array).set(src.subarray(from, to));
  return out;
}

/** Columns `[k0, k1)` of the `[rows, cols]` matrix `x`, as a new `[rows, k1 - k0]` tensor. */
function columnSlice(
  backend: BackendWasm,
  x: tf.TensorInfo,
  rows: number,
  cols: number,
  k0: number,
  k1: number,
): tf.TensorInfo {
  const out = backend.makeOutput([rows, k1 - k0], 'float32');
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols + k0, r * cols + k1), r * (k1 - k0));
  return out;
}

/**
 * Validates the attrs the way tfjs passes them (`strides`, `pad` as number / 'same' / 'valid' /
 * explicit, `dataFormat`, `dimRoundingMode`) and returns the conv geometry. Throws a clear error
 * for what the wasm path does not implement (NCHW, dilations other than 1).
 *
 * @example
 * ```ts
 * const info = conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 'Conv2DBackpropFilter');
 * info.outHeight; // 4
 * ```
 */
export function conv2dGeometry(
  xShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dataFormat: string | undefined,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  kernelName: string,
  dilations: unknown = 1,
): tf.backend_util.Conv2DInfo {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(
      `${kernelName} on wasm supports dataFormat "NHWC" only, got "${dataFormat}". Transpose NCHW tensors to NHWC first.`,
    );
  }
  const d = typeof dilations === 'number' ? [dilations, dilations] : (dilations as number[]);
  if (!Array.isArray(d) || d.some((v) => v !== 1)) {
    throw new Error(
      `${kernelName} on wasm supports dilations 1 only, got ${JSON.stringify(dilations)}.`,
    );
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(
      `${kernelName} expects a 4-D NHWC input and a 4-D [kh, kw, in, out] filter, got shapes [${xShape}] and [${filterShape}].`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * The gradient of `conv2d(x, W)` with respect to `W`:
 * `dW[kh,kw,ci,co] = sum_{b,oy,ox} xpad[b, oy*s+kh, ox*s+kw, ci] * dy[b,oy,ox,co]`.
 *
 * Written as XNNPACK matmuls with no per-tap gathers of x (the wasm StridedSlice costs
 * ~100 ns per element): split kernel rows as `kh = s*a + ph` (phase ph < s, tap a < A =
 * ceil(kh/s)), so `xpad[s*oy + kh] = xpad[s*(oy+a) + ph]`. x is zero-padded (with the conv's own
 * pads: PyTorch `padding=1` arrives as tfjs `pad: 1`, which `computeConv2DInfo` turns into
 * explicit pads in `padInfo`) to `s*Hh` rows and transposed once to `[ph, pw, ci, b*Hh*Wh]`;
 * instead of shifting x by (a, c), dy is shifted: `dyshift_ac[q] = dy[q - (a, c)]`, zero
 * elsewhere (PadV2). Then tap `(s*a+ph, s*c+pw)` is `[ci, K] x [K, co]` (`K = b*Hh*Wh`) of
 * phase (ph, pw) with shift (a, c), written into its `[kh, kw]` slot of the result. K is split
 * into blocks of at most {@link DW_BLOCK_K} (one matmul each, summed in float64). No transposeA
 * (the wasm BatchMatMul is an order of magnitude slower with it). The zero rows add
 * `Hh*Wh/(oh*ow) - 1` extra MACs (1.6% at 128x128, k4 s2).
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc });
 * ```
 */
export function conv2dBackpropFilterWasm(args: {
  inputs: Inputs;
  backend: BackendWasm;
  attrs: tf.Conv2DBackpropFilterAttrs & { dilations?: unknown };
}): tf.TensorInfo {
  const {
    inputs: { x, dy },
    backend,
    attrs,
  } = args;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = conv2dGeometry(
    x.shape,
    filterShape,
    strides,
    pad,
    dataFormat,
    dimRoundingMode,
    'Conv2DBackpropFilter',
    attrs.dilations ?? 1,
  );
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
    outChannels: co,
    outHeight: oh,
    outWidth: ow,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padInfo,
  } = info;
  const expected = [n, oh, ow, co];
  if (dy.shape.length !== 4 || dy.shape.some((v, i) => v !== expected[i])) {
    throw new Error(
      `Conv2DBackpropFilter: dy has shape [${dy.shape}], expected [${expected}] for x [${x.shape}] and filter [${filterShape}].`,
    );
  }

  // pix2pix-ts's own direct SIMD kernel when its module is loaded; else XNNPACK matmuls below.
  if (n * oh * ow > 0 && ci > 0 && co > 0) {
    const direct = conv2dBackpropFilterSimd(backend, x, dy, info);
    if (direct) return direct;
  }
  return withWasmScope(backend, (s) => {
    if (n * oh * ow === 0 || ci === 0 || co === 0) {
      return s.run('Fill', {}, { shape: [kh, kw, ci, co], value: 0, dtype: 'float32' });
    }
    const ta = Math.ceil(kh / sh);
    const tc = Math.ceil(kw / sw);
    // Rows of the half-resolution grid: enough for every tap, and for all of x (rows of x that
    // no output reads meet zeros of the shifted dy, so no crop is needed).
    const hh = Math.max(oh + ta - 1, Math.ceil((padInfo.top + h) / sh));
    const wh = Math.max(ow + tc - 1, Math.ceil((padInfo.left + w) / sw));
    const bottom = sh * hh - padInfo.top - h;
    const right = sw * wh - padInfo.left - w;
    const xP =
      padInfo.top || bottom || padInfo.left || right
        ? s.run(
            'PadV2',
            { x },
            {
              paddings: [
                [0, 0],
                [padInfo.top, bottom],
                [padInfo.left, right],
                [0, 0],
              ],
              constantValue: 0,
            },
          )
        : x;
    const x6 = s.run('Reshape', { x: xP }, { shape: [n, hh, sh, wh, sw, ci] });
    const xT = s.run('Transpose', { x: x6 }, { perm: [2, 4, 5, 0, 1, 3] });
    const k = n * hh * wh;
    const shifts: tf.TensorInfo[] = [];
    for (let a = 0; a < ta; a++) {
      for (let c = 0; c < tc; c++) {
        const shifted =
          hh === oh && wh === ow
            ? dy
            : s.run(
                'PadV2',
                { x: dy },
                {
                  paddings: [
                    [0, 0],
                    [a, hh - oh - a],
                    [c, wh - ow - c],
                    [0, 0],
                  ],
                  constantValue: 0,
                },
              );
        shifts.push(s.run('Reshape', { x: shifted }, { shape: [k, co] }));
      }
    }
    // One [ci, co] block per tap, by phase then shift: each phase operand is gathered once and
    // XNNPACK packs each shifted dy once (its matmul operator cache is keyed by the right
    // operand), so 16 small matmuls cost about one big one, and no weight-sized transpose of a
    // stacked result is needed (the wasm Transpose of such rank-6 tensors dominated).
    // Round-off: XNNPACK sums each output sequentially in float32 along K, an error growing like
    // sqrt(K) (K = 16641 for a 4x4/2 conv at 256x256: 2.3e-6 relative against float64, most of
    // the wasm step's gradient error). So K is split into blocks of whole rows of at most
    // DW_BLOCK_K positions, one matmul each, and the block results are summed in float64.
    const rowsPerBlock = Math.max(1, Math.floor(DW_BLOCK_K / wh));
    const blocks: Array<[number, number]> = [];
    for (let r0 = 0; r0 < n * hh; r0 += rowsPerBlock)
      blocks.push([r0 * wh, Math.min(n * hh, r0 + rowsPerBlock) * wh]);
    const shiftBlocks = shifts.map((t) =>
      blocks.length === 1
        ? [t]
        : blocks.map(([k0, k1]) => s.own(rowSlice(backend, t, k0 * co, k1 * co, [k1 - k0, co]))),
    );
    const out = s.run('Fill', {}, { shape: [kh, kw, ci, co], value: 0, dtype: 'float32' });
    const sum = new Float64Array(ci * co);
    for (let ph = 0; ph < sh; ph++) {
      for (let pw = 0; pw < sw; pw++) {
        const aP = s.own(gatherChunks(backend, xT, ci * k, [ph * sw + pw], [ci, k]));
        const aBlocks =
          blocks.length === 1
            ? [aP]
            : blocks.map(([k0, k1]) => s.own(columnSlice(backend, aP, ci, k, k0, k1)));
        for (let a = 0; a < ta; a++) {
          for (let c = 0; c < tc; c++) {
            const r = sh * a + ph;
            const q = sw * c + pw;
            if (r >= kh || q >= kw) continue;
            const prods = aBlocks.map((aB, i) =>
              s.run(
                'BatchMatMul',
                { a: aB, b: shiftBlocks[a * tc + c]![i]! },
                { transposeA: false, transposeB: false },
              ),
            );
            // Views only now: every allocation above may have grown (and detached) the heap.
            sum.fill(0);
            for (const p of prods) {
              const v = backend.typedArrayFromHeap(p) as Float32Array;
              for (let i = 0; i < v.length; i++) sum[i] += v[i]!;
              s.free(p);
            }
            (backend.typedArrayFromHeap(out) as Float32Array).set(sum, (r * kw + q) * ci * co);
          }
        }
        for (const aB of aBlocks) s.free(aB);
      }
    }
    return out;
  });
}
