/**
 * The BatchNorm and loss kernels of src/core/fused-kernels.ts for the JS-array backends (cpu, and
 * wasm through src/backends/wasm-kernels/batch-norm-loss.ts, on views of its heap), as JS loops.
 * Numerics: every sum and every per-element formula is evaluated in float64 (JS numbers) and
 * rounded once to float32 when stored; the statistics take two passes (mean, then the mean
 * squared deviation from the float64 mean). On wasm these replaced tfjs op chains whose
 * per-channel means and sums ran sequentially in float32 over up to H*W values, which put the
 * step-0 gradients 1.5x further from float64 than PyTorch float32's (BENCHMARKS.md, "Fidelity
 * against float64"). With them the cpu backend runs the same kernel graph as webgl and webgpu, so
 * the golden suite checks that graph's numerics and test/pix2pix/op-count.test.ts counts it in
 * seconds.
 */
import { tf } from '../../core/tf.js';
import {
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
  BN_RUNNING_MAX,
  BN_STATS_KERNEL,
  runningStatsNames,
  LOSS_GRAD_KERNEL,
  LOSS_KERNEL,
  type BatchNormKernelAttrs,
  type LossKernelAttrs,
} from '../../core/fused-kernels.js';

type Ins = Record<string, tf.TensorInfo>;

/**
 * How a backend hands its float32 data to the array kernels: `outputs` allocates the results and
 * returns arrays to fill (called before any `read`: on wasm an allocation may grow the heap,
 * which detaches earlier views), `read` gives an input's values.
 */
export interface ArrayIO {
  outputs(
    backend: unknown,
    shapes: number[][],
  ): { arrays: Float32Array[]; infos(): tf.TensorInfo[] };
  read(backend: unknown, t: tf.TensorInfo): Float32Array;
}

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** The cpu backend's {@link ArrayIO}: its tensors hold plain Float32Arrays. */
const CPU_IO: ArrayIO = {
  outputs(backend, shapes) {
    const arrays = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
    return {
      arrays,
      infos: () =>
        shapes.map((s, i) => (backend as CpuLike).makeTensorInfo(s, 'float32', arrays[i]!)),
    };
  },
  read: (backend, t) => (backend as CpuLike).readSync(t.dataId) as Float32Array,
};

function channels(x: tf.TensorInfo): { C: number; n: number } {
  const C = x.shape[x.shape.length - 1]!;
  return { C, n: tf.util.sizeFromShape(x.shape) / C };
}

// The loops below walk NHWC arrays as `for (base ...) for (c ...)` with float64 accumulators per
// channel, written out in each kernel (no per-element callbacks: V8 does not inline those once a
// helper sees several, and they cost ~10 ns per element).

function statsKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs as Ins;
    const { C, n } = channels(x!);
    const o = io.outputs(backend, [[2, C]]);
    const X = io.read(backend, x!);
    const out = o.arrays[0]!;
    const L = X.length;
    const s = new Float64Array(C);
    for (let base = 0; base < L; base += C) for (let c = 0; c < C; c++) s[c] += X[base + c]!;
    const mean = s.map((v) => v / n);
    const q = new Float64Array(C);
    for (let base = 0; base < L; base += C)
      for (let c = 0; c < C; c++) {
        const d = X[base + c]! - mean[c]!;
        q[c] += d * d;
      }
    for (let c = 0; c < C; c++) {
      out[c] = mean[c]!;
      out[C + c] = q[c]! / n;
    }
    return o.infos()[0]!;
  };
}

function applyKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, stats: st, gamma, beta } = inputs as Ins;
    const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
    const { C } = channels(x!);
    const o = io.outputs(backend, [x!.shape]);
    const [X, S, G, B] = [x!, st!, gamma!, beta!].map((t) => io.read(backend, t)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    const out = o.arrays[0]!;
    const L = X.length;
    const inv = Float64Array.from({ length: C }, (_, c) => G[c]! / Math.sqrt(S[C + c]! + epsilon!));
    const mean = Float64Array.from(S.subarray(0, C));
    const shift = Float64Array.from(B);
    // slope undefined: no activation (a factor 1 for negatives).
    const neg = slope ?? 1;
    for (let base = 0; base < L; base += C)
      for (let c = 0; c < C; c++) {
        const v = (X[base + c]! - mean[c]!) * inv[c]! + shift[c]!;
        out[base + c] = v < 0 ? neg * v : v;
      }
    return o.infos()[0]!;
  };
}

function runningKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = inputs as Ins;
    const r = ins.running!;
    const { row, momentum, scale } = attrs as unknown as BatchNormKernelAttrs;
    const names = runningStatsNames(BN_RUNNING_MAX).filter((k) => ins[k] != null);
    const o = io.outputs(backend, [r.shape]);
    const R = io.read(backend, r);
    const stats = names.map((k) => io.read(backend, ins[k]!));
    const out = o.arrays[0]!;
    for (let i = 0; i < R.length; i++) {
      // Each update rounded to float32, as one kernel call per update stores it.
      let v = R[i]!;
      for (const S of stats)
        v = Math.fround(v * (1 - momentum!) + S[row! * R.length + i]! * (momentum! * scale!));
      out[i] = v;
    }
    return o.infos()[0]!;
  };
}

function gradKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, stats: st, gamma, y } = inputs as Ins;
    const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
    const { C, n } = channels(x!);
    const o = io.outputs(backend, [x!.shape, [C], [C]]);
    const [DY, X, S, G] = [dy!, x!, st!, gamma!].map((t) => io.read(backend, t)) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    // dy through the activation first: its mask is the sign of the forward output `y` (with no
    // activation, `Y = DY` and a factor 1 either way).
    const Y = slope != null ? io.read(backend, y!) : DY;
    const neg = slope ?? 1;
    const [dx, dgamma, dbeta] = o.arrays as [Float32Array, Float32Array, Float32Array];
    const L = X.length;
    const mean = Float64Array.from(S.subarray(0, C));
    const sb = new Float64Array(C),
      sg = new Float64Array(C);
    for (let base = 0; base < L; base += C)
      for (let c = 0; c < C; c++) {
        const i = base + c;
        const gi = Y[i]! > 0 ? DY[i]! : neg * DY[i]!;
        sb[c] += gi;
        sg[c] += gi * (X[i]! - mean[c]!);
      }
    const rstd = Float64Array.from({ length: C }, (_, c) => 1 / Math.sqrt(S[C + c]! + epsilon!));
    const dg = sg.map((v, c) => v * rstd[c]!);
    for (let c = 0; c < C; c++) {
      dbeta[c] = sb[c]!;
      dgamma[c] = dg[c]!;
    }
    // dx = (g - dbeta / n - xhat * dgamma / n) * gamma * rstd, xhat = (x - mean) * rstd.
    const scale = Float64Array.from({ length: C }, (_, c) => G[c]! * rstd[c]!);
    const bias = sb.map((v) => v / n);
    const slopeX = Float64Array.from({ length: C }, (_, c) => (rstd[c]! * dg[c]!) / n);
    for (let base = 0; base < L; base += C)
      for (let c = 0; c < C; c++) {
        const i = base + c;
        const gi = Y[i]! > 0 ? DY[i]! : neg * DY[i]!;
        dx[i] = (gi - bias[c]! - (X[i]! - mean[c]!) * slopeX[c]!) * scale[c]!;
      }
    return o.infos();
  };
}

const lossTerm = (kind: LossKernelAttrs['kind'], t: number) =>
  kind === 'bce'
    ? (x: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)))
    : kind === 'mse'
      ? (x: number) => (x - t) * (x - t)
      : (x: number, y: number) => Math.abs(x - y);

function lossKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, y } = inputs as Ins;
    const a = attrs as unknown as LossKernelAttrs;
    const o = io.outputs(backend, [[]]);
    const X = io.read(backend, x!),
      Y = a.kind === 'l1' ? io.read(backend, y!) : X;
    const f = lossTerm(a.kind, a.target);
    let s = 0;
    for (let i = 0; i < X.length; i++) s += f(X[i]!, Y[i]!);
    o.arrays[0]![0] = a.scale * (s / X.length);
    return o.infos()[0]!;
  };
}

function lossGradKernel(io: ArrayIO): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x, y } = inputs as Ins;
    const a = attrs as unknown as LossKernelAttrs;
    const o = io.outputs(backend, [x!.shape]);
    const X = io.read(backend, x!),
      Y = a.kind === 'l1' ? io.read(backend, y!) : X;
    const factor = io.read(backend, dy!)[0]! * (a.scale / X.length);
    const d =
      a.kind === 'bce'
        ? (v: number) => 1 / (1 + Math.exp(-v)) - a.target
        : a.kind === 'mse'
          ? (v: number) => 2 * (v - a.target)
          : (v: number, w: number) => Math.sign(v - w);
    const out = o.arrays[0]!;
    for (let i = 0; i < X.length; i++) out[i] = factor * d(X[i]!, Y[i]!);
    return o.infos()[0]!;
  };
}

/**
 * The BatchNorm and loss kernel functions, by kernel name, over the arrays `io` gives (default:
 * the cpu backend's).
 *
 * @example
 * ```ts
 * for (const [kernelName, kernelFunc] of cpuFusedKernels()) console.log(kernelName);
 * ```
 */
export function cpuFusedKernels(io: ArrayIO = CPU_IO): Array<[string, tf.KernelFunc]> {
  return [
    [BN_STATS_KERNEL, statsKernel(io)],
    [BN_APPLY_KERNEL, applyKernel(io)],
    [BN_GRAD_KERNEL, gradKernel(io)],
    [BN_RUNNING_KERNEL, runningKernel(io)],
    [LOSS_KERNEL, lossKernel(io)],
    [LOSS_GRAD_KERNEL, lossGradKernel(io)],
  ];
}

// The kernel functions by the names the kernel list (src/backends/kernels.ts) registers them as.
export const [
  batchStatsCpu,
  batchNormApplyCpu,
  batchNormGradCpu,
  batchNormRunningCpu,
  lossCpu,
  lossGradCpu,
] = cpuFusedKernels().map(([, f]) => f) as [
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
];
