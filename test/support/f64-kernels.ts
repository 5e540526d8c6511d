/**
 * Float64 reference kernels for numerical attribution (scripts/fidelity.mjs `--f64`) and for the
 * fidelity tests: the convolution kernels and the reductions computed in JS doubles from the
 * float32 inputs and rounded once to float32 at the end. Registered on any backend that has
 * `readSync` and `makeTensorInfo` (cpu, wasm), they replace that backend's own kernel, so the
 * error one op adds to a training step can be measured by swapping it alone.
 */
import { tf } from '../../src/core/tf.js';
import { cpuFusedKernels } from '../../src/backends/cpu-kernels/batch-norm-loss.js';
import {
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
  BN_STATS_KERNEL,
  LOSS_GRAD_KERNEL,
  LOSS_KERNEL,
} from '../../src/core/fused-kernels.js';

interface Readable {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  /** tfjs-backend-wasm's way (its makeTensorInfo is the base class's, which throws). */
  makeOutput?(
    shape: number[],
    dtype: 'float32',
    offset?: number,
    values?: Float32Array,
  ): tf.TensorInfo;
}

const read = (backend: unknown, t: tf.TensorInfo): Float32Array =>
  Float32Array.from((backend as Readable).readSync(t.dataId) as ArrayLike<number>);
const make = (backend: unknown, shape: number[], v: ArrayLike<number>): tf.TensorInfo => {
  const b = backend as Readable;
  return b.makeOutput
    ? b.makeOutput(shape, 'float32', undefined, Float32Array.from(v))
    : b.makeTensorInfo(shape, 'float32', Float32Array.from(v));
};

/** A kernel of src/backends/cpu-kernels run on any backend {@link read} and {@link make} serve. */
const anyBackend =
  (f: tf.KernelFunc): tf.KernelFunc =>
  (args) =>
    f({
      ...args,
      backend: {
        readSync: (id: tf.DataId) => read(args.backend, { dataId: id } as tf.TensorInfo),
        makeTensorInfo: (shape: number[], _d: string, v: Float32Array) =>
          make(args.backend, shape, v),
      } as unknown as tf.KernelBackend,
    });

type Attrs = Record<string, unknown>;

function geometry(
  xShape: number[],
  filterShape: number[],
  attrs: Attrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC')
    throw new Error('f64 kernels: NHWC only');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    (attrs.dilations as number) ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    false,
    'channelsLast',
  );
}

/**
 * Calls `f(b, oy, ox, iy, ix, r, q)` for every output position and filter tap that reads an
 * input pixel inside the image.
 */
function forEachTap(
  info: tf.backend_util.Conv2DInfo,
  f: (b: number, oy: number, ox: number, iy: number, ix: number, r: number, q: number) => void,
): void {
  const { batchSize, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } =
    info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < batchSize; b++)
    for (let oy = 0; oy < outHeight; oy++)
      for (let r = 0; r < filterHeight; r++) {
        const iy = oy * strideHeight - top + r;
        if (iy < 0 || iy >= info.inHeight) continue;
        for (let ox = 0; ox < outWidth; ox++)
          for (let q = 0; q < filterWidth; q++) {
            const ix = ox * strideWidth - left + q;
            if (ix < 0 || ix >= info.inWidth) continue;
            f(b, oy, ox, iy, ix, r, q);
          }
      }
}

const conv2d: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as Record<string, tf.TensorInfo>;
  const info = geometry(x!.shape, filter!.shape, attrs as Attrs);
  const X = read(backend, x!),
    W = read(backend, filter!);
  const {
    inHeight: H,
    inWidth: Wd,
    inChannels: ci,
    outChannels: co,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const kw = info.filterWidth;
  const out = new Float64Array(info.batchSize * oh * ow * co);
  forEachTap(info, (b, oy, ox, iy, ix, r, q) => {
    const xo = ((b * H + iy) * Wd + ix) * ci;
    const yo = ((b * oh + oy) * ow + ox) * co;
    const wo = (r * kw + q) * ci * co;
    for (let i = 0; i < ci; i++) {
      const xv = X[xo + i]!;
      for (let o = 0; o < co; o++) out[yo + o] += xv * W[wo + i * co + o]!;
    }
  });
  return make(backend, info.outShape, out);
};

const backpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as Attrs;
  const info = geometry(a.inputShape as number[], filter!.shape, a);
  const DY = read(backend, dy!),
    W = read(backend, filter!);
  const {
    inHeight: H,
    inWidth: Wd,
    inChannels: ci,
    outChannels: co,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const kw = info.filterWidth;
  const out = new Float64Array(info.batchSize * H * Wd * ci);
  forEachTap(info, (b, oy, ox, iy, ix, r, q) => {
    const xo = ((b * H + iy) * Wd + ix) * ci;
    const yo = ((b * oh + oy) * ow + ox) * co;
    const wo = (r * kw + q) * ci * co;
    for (let i = 0; i < ci; i++) {
      let s = 0;
      for (let o = 0; o < co; o++) s += DY[yo + o]! * W[wo + i * co + o]!;
      out[xo + i] += s;
    }
  });
  return make(backend, a.inputShape as number[], out);
};

const backpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as Record<string, tf.TensorInfo>;
  const a = attrs as Attrs;
  const info = geometry(x!.shape, a.filterShape as number[], a);
  const X = read(backend, x!),
    DY = read(backend, dy!);
  const {
    inHeight: H,
    inWidth: Wd,
    inChannels: ci,
    outChannels: co,
    outHeight: oh,
    outWidth: ow,
  } = info;
  const kw = info.filterWidth;
  const out = new Float64Array(info.filterHeight * kw * ci * co);
  forEachTap(info, (b, oy, ox, iy, ix, r, q) => {
    const xo = ((b * H + iy) * Wd + ix) * ci;
    const yo = ((b * oh + oy) * ow + ox) * co;
    const wo = (r * kw + q) * ci * co;
    for (let i = 0; i < ci; i++) {
      const xv = X[xo + i]!;
      for (let o = 0; o < co; o++) out[wo + i * co + o] += xv * DY[yo + o]!;
    }
  });
  return make(backend, a.filterShape as number[], out);
};

/** Sum or Mean over `axis` (any axes, any rank) in doubles. */
function reduce(mean: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x!.shape.length;
    const axes = tf.util.parseAxisParam(a.axis, x!.shape);
    const X = read(backend, x!);
    const keep = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const outSize = tf.util.sizeFromShape(keep);
    const out = new Float64Array(outSize);
    const strides = tf.util.computeStrides(keep);
    const idx = new Array<number>(rank).fill(0);
    for (let i = 0; i < X.length; i++) {
      let o = 0;
      for (let d = 0; d < rank - 1; d++) if (!axes.includes(d)) o += idx[d]! * strides[d]!;
      if (!axes.includes(rank - 1)) o += idx[rank - 1]!;
      out[o] += X[i]!;
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d]! < x!.shape[d]!) break;
        idx[d] = 0;
      }
    }
    const n = X.length / Math.max(outSize, 1);
    if (mean) for (let i = 0; i < outSize; i++) out[i]! /= n;
    const shape = a.keepDims ? keep : x!.shape.filter((_, i) => !axes.includes(i));
    return make(backend, shape, out);
  };
}

/** The groups of kernels that `--f64` swaps, by the name the fidelity script takes. */
export const F64_GROUPS: Record<string, Array<[string, tf.KernelFunc]>> = {
  conv: [['Conv2D', conv2d]],
  dx: [['Conv2DBackpropInput', backpropInput]],
  dw: [['Conv2DBackpropFilter', backpropFilter]],
  sum: [
    ['Sum', reduce(false)],
    ['Mean', reduce(true)],
  ],
  bn: cpuFusedKernels()
    .filter(([k]) =>
      [BN_STATS_KERNEL, BN_APPLY_KERNEL, BN_GRAD_KERNEL, BN_RUNNING_KERNEL].includes(k),
    )
    .map(([k, f]) => [k, anyBackend(f)]),
  loss: cpuFusedKernels()
    .filter(([k]) => [LOSS_KERNEL, LOSS_GRAD_KERNEL].includes(k))
    .map(([k, f]) => [k, anyBackend(f)]),
};

/**
 * Registers the float64 kernels of `groups` (names of {@link F64_GROUPS}) for `backendName`,
 * replacing what it had.
 *
 * @example
 * ```ts
 * registerF64Kernels('wasm', ['dw']);
 * ```
 */
export function registerF64Kernels(backendName: string, groups: string[]): void {
  for (const g of groups) {
    const list = F64_GROUPS[g];
    if (!list)
      throw new Error(`Unknown f64 group "${g}"; expected one of ${Object.keys(F64_GROUPS)}`);
    for (const [kernelName, kernelFunc] of list) {
      const old = tf.getKernel(kernelName, backendName);
      if (old) tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}
