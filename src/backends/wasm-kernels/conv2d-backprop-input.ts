/**
 * A fast `Conv2DBackpropInput` for the wasm backend (conv2dTranspose forward, and the input
 * gradient of every conv2d). The stock wasm kernel is a scalar C++ loop (~1.2 GMAC/s); here every
 * geometry runs its multiply-adds on the backend's XNNPACK `BatchMatMul` or `Conv2D` (~20 GMAC/s
 * single-threaded), in one of two forms:
 * - `matmul-col2im`: `cols = W[kh*kw*inC, outC] x dyT[outC, pixels]`, then the overlapping
 *   scatter-add of those columns into dx (col2im, as Caffe's deconvolution). The weights are the
 *   matmul's left operand, which XNNPACK reads as is: no weight re-layout, so it suits weights
 *   that are big next to dy (small spatial sizes) and weights that change every call (training).
 * - `phase-s2k4p1` / `flipped-s1`: ordinary stride-1 XNNPACK convolutions on re-laid-out
 *   weights. The re-laid-out weights are cached per weight tensor (see weight-cache.ts) once a
 *   weight has been used a few times (inference loops), so XNNPACK packs them once.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import {
  type ExplicitPad4,
  transposeInto,
  transposeOnHeap,
  withWasmScope,
  type WasmScope,
} from './compose.js';
import { conv2dGeometry } from './conv2d-backprop-filter.js';
import { derivedWeights, hasDerivedWeights, noteWeightUse } from './weight-cache.js';
import { convTransposeDirectCost, convTransposeDirectSimd } from '../wasm-simd/conv-transpose.js';
import { wasmSimd } from '../wasm-simd/index.js';

type Inputs = { dy: tf.TensorInfo; filter: tf.TensorInfo };
type Args = { inputs: Inputs; backend: BackendWasm; attrs: tf.Conv2DBackpropInputAttrs };

/** Which rewrite runs a Conv2DBackpropInput call (see {@link planConv2dBackpropInput}). */
export type BackpropInputPlan = 'phase-s2k4p1' | 'flipped-s1' | 'matmul-col2im';

/**
 * The convolution rewrite a geometry allows, else `'matmul-col2im'` (which takes any stride,
 * padding and kernel size):
 * - `'phase-s2k4p1'`: stride 2, 4x4 kernel, pad 1 on every side, dx exactly twice dy's size.
 * - `'flipped-s1'`: stride 1 with every pad in [0, k-1].
 *
 * @example
 * ```ts
 * planConv2dBackpropInput(conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 'x')); // 'phase-s2k4p1'
 * ```
 */
export function planConv2dBackpropInput(info: tf.backend_util.Conv2DInfo): BackpropInputPlan {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, padInfo: p } = info;
  if (
    sh === 2 &&
    sw === 2 &&
    kh === 4 &&
    kw === 4 &&
    p.top === 1 &&
    p.bottom === 1 &&
    p.left === 1 &&
    p.right === 1 &&
    info.inHeight === 2 * info.outHeight &&
    info.inWidth === 2 * info.outWidth
  ) {
    return 'phase-s2k4p1';
  }
  const inRange = (v: number, k: number): boolean => v >= 0 && v <= k - 1;
  if (
    sh === 1 &&
    sw === 1 &&
    inRange(p.top, kh) &&
    inRange(p.bottom, kh) &&
    inRange(p.left, kw) &&
    inRange(p.right, kw) &&
    info.inHeight === info.outHeight + kh - 1 - p.top - p.bottom &&
    info.inWidth === info.outWidth + kw - 1 - p.left - p.right
  ) {
    return 'flipped-s1';
  }
  return 'matmul-col2im';
}

/** Uses of one weight tensor after which its re-laid-out copy is cached (inference loops reach it, a training step does not). */
export const CACHE_AFTER_USES = 3;

/**
 * Picks the cheaper form for a call by the work each adds around the multiply-adds (which cost
 * the same in both), with per-element costs measured on Node 20 / x64:
 * - `matmul-col2im`: transposing dy (`P*outC`) and the col2im pass over `P*kh*kw*inC` columns,
 *   ~1.5 ns each;
 * - a conv rewrite: re-laying out the weights (JS transpose, then tfjs's own HWIO->OHWI copy and
 *   XNNPACK's packing: ~14 ns per weight; 1/16 of that once cached), and for the phase form, interleaving the
 *   four phase outputs (two concats, ~2 ns per dx element).
 *
 * @example
 * ```ts
 * chooseConv2dBackpropInput(info, true); // 'phase-s2k4p1' for a 64x64 UNet decoder layer
 * ```
 */
export function chooseConv2dBackpropInput(
  info: tf.backend_util.Conv2DInfo,
  weightsCached: boolean,
): BackpropInputPlan {
  return xnnpackBackpropInputCost(info, weightsCached).plan;
}

/**
 * The XNNPACK form {@link chooseConv2dBackpropInput} picks and its estimated ns: the work around
 * the multiply-adds (see there) plus the multiply-adds at ~20 per ns (XNNPACK's single-thread
 * speed on these shapes), to compare with the own SIMD module's direct kernel.
 *
 * @example
 * ```ts
 * xnnpackBackpropInputCost(info, false); // { plan: 'matmul-col2im', ns: 1.2e6 }
 * ```
 */
export function xnnpackBackpropInputCost(
  info: tf.backend_util.Conv2DInfo,
  weightsCached: boolean,
): { plan: BackpropInputPlan; ns: number } {
  const macNs =
    (info.batchSize *
      info.outHeight *
      info.outWidth *
      info.filterHeight *
      info.filterWidth *
      info.inChannels *
      info.outChannels) /
    20;
  const plan = planConv2dBackpropInput(info);
  const {
    batchSize: n,
    outHeight: oh,
    outWidth: ow,
    inChannels: ci,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
    inHeight: h,
    inWidth: w,
  } = info;
  const pixels = n * oh * ow;
  const viaMatmul = 1.5 * pixels * (co + kh * kw * ci);
  // A cached re-layout is still charged 1/16 of its one-time cost, so weight-heavy layers (where
  // the conv wins by a few % at most) keep the matmul form and skip a re-layout that would take
  // dozens of calls to repay (measured: 4M weights of the UNet innermost layer, ~100 ms).
  const relayout = 14 * kh * kw * ci * co;
  const viaConv =
    (weightsCached ? relayout / 16 : relayout) + (plan === 'phase-s2k4p1' ? 2 * n * h * w * ci : 0);
  return plan !== 'matmul-col2im' && viaConv < viaMatmul
    ? { plan, ns: viaConv + macNs }
    : // (plus XNNPACK's packing of dyT, ~2.6 ns per element, the same in both forms' choice)
      { plan: 'matmul-col2im', ns: viaMatmul + 2.6 * pixels * co + macNs };
}

/**
 * Scatter-adds the columns `cols[kh, kw, C, P]` (P = n*oh*ow dy pixels) into `dx[n, H, W, C]`:
 * `dx[b, oy*sh + ky - top, ox*sw + kx - left, c] += cols[ky, kx, c, (b, oy, ox)]`. `dx` is
 * zeroed first. Reads 16 column rows at a time so both sides stream through the cache.
 *
 * @example
 * ```ts
 * col2im(cols, dx, conv2dGeometry([1, 8, 8, 3], [4, 4, 3, 16], 2, 1, 'NHWC', undefined, 'x'));
 * ```
 */
export function col2im(
  cols: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const {
    batchSize: n,
    inHeight: H,
    inWidth: W,
    inChannels: C,
    outHeight: oh,
    outWidth: ow,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
    padInfo,
  } = info;
  const P = n * oh * ow;
  dx.fill(0, 0, n * H * W * C);
  const CB = 16;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const tap = (ky * kw + kx) * C;
      for (let c0 = 0; c0 < C; c0 += CB) {
        const cn = Math.min(C, c0 + CB) - c0;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < oh; oy++) {
            const iy = oy * sh + ky - padInfo.top;
            if (iy < 0 || iy >= H) continue;
            const rowBase = (b * H + iy) * W * C + c0;
            const pRow = (b * oh + oy) * ow;
            for (let ox = 0; ox < ow; ox++) {
              const ix = ox * sw + kx - padInfo.left;
              if (ix < 0 || ix >= W) continue;
              const d = rowBase + ix * C;
              let s = (tap + c0) * P + pRow + ox;
              for (let c = 0; c < cn; c++, s += P) dx[d + c] += cols[s];
            }
          }
        }
      }
    }
  }
}

function matmulCol2im(
  s: WasmScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { backend } = s;
  const {
    batchSize: n,
    outHeight: oh,
    outWidth: ow,
    inChannels: ci,
    outChannels: co,
    filterHeight: kh,
    filterWidth: kw,
  } = info;
  const pixels = n * oh * ow;
  // [kh, kw, inC, outC] is already the [kh*kw*inC, outC] left operand: no copy (Reshape shares data).
  const a = s.run('Reshape', { x: filter }, { shape: [kh * kw * ci, co] });
  const dyT = s.own(transposeOnHeap(backend, dy, pixels, co));
  const cols = s.run('BatchMatMul', { a, b: dyT }, { transposeA: false, transposeB: false });
  s.free(dyT);
  const dx = backend.makeOutput([n, info.inHeight, info.inWidth, ci], 'float32');
  // makeOutput may grow the heap and detach older views: take them after it.
  col2im(
    backend.typedArrayFromHeap(cols) as Float32Array,
    backend.typedArrayFromHeap(dx) as Float32Array,
    info,
  );
  return dx;
}

function conv(
  s: WasmScope,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pad: ExplicitPad4,
): tf.TensorInfo {
  return s.run(
    'Conv2D',
    { x, filter },
    {
      strides: [1, 1],
      pad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined as unknown as string,
    },
  );
}

// Phase r's tap t reads kernel row TAP[r][t]: row 2m takes W[3] (from dy[m-1]) then W[1],
// row 2m+1 takes W[2] then W[0] (from dy[m+1]).
const TAP = [
  [3, 1],
  [2, 0],
];

/**
 * Conv2D (HWIO) filters for the rewrites, from the `[kh, kw, inC, outC]` filter: the four 2x2
 * phase filters `[2, 2, outC, inC]` (phase order (0,0), (0,1), (1,0), (1,1)), or the flipped
 * filter `[kh, kw, outC, inC]`. Each tap's `[inC, outC]` block is transposed in JS.
 */
export function relaidFilters(
  backend: BackendWasm,
  filter: tf.TensorInfo,
  plan: BackpropInputPlan,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo[] {
  const { inChannels: ci, outChannels: co, filterHeight: kh, filterWidth: kw } = info;
  const block = ci * co;
  const build = (taps: number[], shape: number[]): tf.TensorInfo => {
    const out = backend.makeOutput(shape, 'float32');
    const src = backend.typedArrayFromHeap(filter) as Float32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    taps.forEach((t, j) => transposeInto(src, t * block, ci, co, dst, j * block));
    return out;
  };
  if (plan === 'flipped-s1') {
    return [
      build(
        Array.from({ length: kh * kw }, (_, j) => kh * kw - 1 - j),
        [kh, kw, co, ci],
      ),
    ];
  }
  const phases: tf.TensorInfo[] = [];
  for (const ry of [0, 1]) {
    for (const rx of [0, 1]) {
      phases.push(
        build(
          [0, 1].flatMap((t) => [0, 1].map((u) => TAP[ry][t] * 4 + TAP[rx][u])),
          [2, 2, co, ci],
        ),
      );
    }
  }
  return phases;
}

/** Options of {@link makeConv2dBackpropInputWasm}. */
export interface BackpropInputOptions {
  /**
   * Force one form for every call it applies to (tests, benchmarks); default: chosen by cost.
   * `'simd-direct'`: the own SIMD module's direct kernel (src/backends/wasm-simd/conv-transpose.ts)
   * where it is loaded and the channel counts allow it.
   */
  force?: 'conv' | 'matmul-col2im' | 'simd-direct';
  /** Cache re-laid-out weights from this many uses of a weight tensor on. @defaultValue {@link CACHE_AFTER_USES} */
  cacheAfterUses?: number;
}

/**
 * Makes the fast `Conv2DBackpropInput` kernel function. `stock` is the kernel tfjs-backend-wasm
 * registered (fetched before ours replaces it); only empty calls are passed to it.
 *
 * Rewrites (dx[i] = sum over o, k with o*s + k - pad = i of dy[o] * W[k]):
 * - stride 2, k 4, pad 1: output row 2m gets dy[m-1]*W[3] + dy[m]*W[1], row 2m+1 gets
 *   dy[m]*W[2] + dy[m+1]*W[0] (likewise for columns). So each output phase (oy%2, ox%2) is a
 *   stride-1 2x2 convolution of dy with a sub-filter of the flipped kernel, padded (1-r) before
 *   and r after; the four phases are interleaved by two concats (columns, then rows), which cost
 *   a tenth of the wasm DepthToSpace (a generic index loop, 29 ns per element). This is the exact
 *   sub-pixel decomposition (Shi et al. 2016, arXiv:1609.07009): no zero-stuffed multiplies.
 * - stride 1: a transposed conv is the conv with the spatially flipped kernel, in/out channels
 *   swapped, and pads (k-1-pad) (Dumoulin & Visin, "A guide to convolution arithmetic", sec. 4.1).
 * - anything else, or when cheaper: matmul + col2im (see the module comment).
 *
 * @example
 * ```ts
 * const stock = tf.getKernel('Conv2DBackpropInput', 'wasm')!;
 * tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
 * tf.registerKernel({ ...stock, kernelFunc: makeConv2dBackpropInputWasm(stock) });
 * ```
 */
export function makeConv2dBackpropInputWasm(
  stock: tf.KernelConfig,
  opts: BackpropInputOptions = {},
): tf.KernelFunc {
  const cacheAfter = opts.cacheAfterUses ?? CACHE_AFTER_USES;
  const fast = (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
    const {
      inputs: { dy, filter },
      backend,
      attrs,
    } = args;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
    const info = conv2dGeometry(
      inputShape,
      filter.shape,
      strides,
      pad,
      dataFormat,
      dimRoundingMode,
      'Conv2DBackpropInput',
    );
    const size =
      info.batchSize * info.outHeight * info.outWidth * info.inChannels * info.outChannels;
    if (size === 0) return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    const geometric = planConv2dBackpropInput(info);
    const tag = `bpi:${geometric}`;
    const uses =
      geometric === 'matmul-col2im' ? 0 : noteWeightUse(backend, filter, 'Conv2DBackpropInput');
    const cached =
      geometric !== 'matmul-col2im' &&
      (uses >= cacheAfter || hasDerivedWeights(backend, filter, tag));
    let plan: BackpropInputPlan;
    if (opts.force === 'conv') plan = geometric;
    else if (opts.force === 'matmul-col2im') plan = 'matmul-col2im';
    else plan = chooseConv2dBackpropInput(info, cached);
    // Weights not reused (training): the own SIMD kernel where it is estimated cheaper.
    const direct =
      opts.force === 'simd-direct' ||
      (opts.force === undefined &&
        !cached &&
        wasmSimd(backend) !== undefined &&
        convTransposeDirectCost(info) < xnnpackBackpropInputCost(info, cached).ns);
    if (direct) {
      const dx = convTransposeDirectSimd(backend, dy, filter, info);
      if (dx) return dx;
    }
    if (opts.force === 'simd-direct') plan = chooseConv2dBackpropInput(info, cached);

    return withWasmScope(backend, (s) => {
      if (plan === 'matmul-col2im') return s.own(matmulCol2im(s, dy, filter, info));
      const { filterHeight: kh, filterWidth: kw, padInfo: p } = info;
      const filters = cached
        ? derivedWeights(backend, filter, tag, () => relaidFilters(backend, filter, plan, info))
        : relaidFilters(backend, filter, plan, info).map((t) => s.own(t));
      if (plan === 'flipped-s1') {
        return conv(s, dy, filters[0], [
          [0, 0],
          [kh - 1 - p.top, kh - 1 - p.bottom],
          [kw - 1 - p.left, kw - 1 - p.right],
          [0, 0],
        ]);
      }
      const { batchSize: n, outHeight: h, outWidth: w, inChannels: ci } = info;
      const rows: tf.TensorInfo[] = [];
      for (const ry of [0, 1]) {
        const cols: tf.TensorInfo[] = [];
        for (const rx of [0, 1]) {
          const ph = conv(s, dy, filters[ry * 2 + rx], [
            [0, 0],
            [1 - ry, ry],
            [1 - rx, rx],
            [0, 0],
          ]);
          cols.push(s.run('Reshape', { x: ph }, { shape: [n * h * w, 1, ci] }));
        }
        // [n*h*w, 2, ci] is row phase ry at full width: pixel (m, l) then (m, l+1).
        const row = s.run('Concat', cols, { axis: 1 });
        rows.push(s.run('Reshape', { x: row }, { shape: [n * h, 1, 2 * w * ci] }));
      }
      const both = s.run('Concat', rows, { axis: 1 });
      return s.run('Reshape', { x: both }, { shape: [n, 2 * h, 2 * w, ci] });
    });
  };
  return fast as unknown as tf.KernelFunc;
}
