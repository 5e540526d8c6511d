/**
 * The BatchNorm and loss kernels of src/core/fused-kernels.ts for the cpu backend, as JS loops
 * (sums in float64, results stored as float32). With them the cpu backend runs the same kernel
 * graph as webgl and webgpu, so the golden suite on cpu checks that graph's numerics and
 * test/pix2pix/op-count.test.ts counts it in seconds. wasm keeps the tfjs op chain, so the golden
 * suite on wasm still checks that chain.
 */
import { tf } from '../../core/tf.js';
import type { BatchNormKernelAttrs, LossKernelAttrs } from '../../core/fused-kernels.js';

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

type Ins = Record<string, tf.TensorInfo>;
const reader = (backend: unknown) => (t: tf.TensorInfo) =>
  (backend as CpuLike).readSync(t.dataId) as Float32Array;
const make = (backend: unknown, shape: number[], v: Float32Array) =>
  (backend as CpuLike).makeTensorInfo(shape, 'float32', v);

function channels(x: tf.TensorInfo): { C: number; n: number } {
  const C = x.shape[x.shape.length - 1]!;
  return { C, n: tf.util.sizeFromShape(x.shape) / C };
}

const stats: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as Ins;
  const X = reader(backend)(x!);
  const { C, n } = channels(x!);
  const out = new Float32Array(2 * C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += X[k * C + c]!;
    const mean = Math.fround(s / n);
    let q = 0;
    for (let k = 0; k < n; k++) {
      const d = X[k * C + c]! - mean;
      q += d * d;
    }
    out[c] = mean;
    out[C + c] = q / n;
  }
  return make(backend, [2, C], out);
};

const apply: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const read = reader(backend);
  const { x, stats: s, gamma, beta } = inputs as Ins;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  const [X, S, G, B] = [read(x!), read(s!), read(gamma!), read(beta!)];
  const { C } = channels(x!);
  const out = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) {
    const c = i % C;
    const v = (X[i]! - S[c]!) * (G[c]! / Math.sqrt(S[C + c]! + epsilon!)) + B[c]!;
    out[i] = slope != null && v < 0 ? slope * v : v;
  }
  return make(backend, x!.shape, out);
};

const running: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const read = reader(backend);
  const { running: r, stats: s } = inputs as Ins;
  const { row, momentum, scale } = attrs as unknown as BatchNormKernelAttrs;
  const [R, S] = [read(r!), read(s!)];
  const out = new Float32Array(R.length);
  for (let i = 0; i < R.length; i++)
    out[i] = R[i]! * (1 - momentum!) + S[row! * R.length + i]! * (momentum! * scale!);
  return make(backend, r!.shape, out);
};

const grad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const read = reader(backend);
  const { dy, x, stats: s, gamma, y } = inputs as Ins;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  const [DY, X, S, G] = [read(dy!), read(x!), read(s!), read(gamma!)];
  const Y = slope != null ? read(y!) : undefined;
  const { C, n } = channels(x!);
  // dy through the activation first (its mask is the sign of the forward output).
  const g = Y ? DY.map((d, i) => (Y[i]! > 0 ? d : slope! * d)) : DY;
  const dgamma = new Float32Array(C),
    dbeta = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    let sb = 0,
      sg = 0;
    for (let k = 0; k < n; k++) {
      sb += g[k * C + c]!;
      sg += g[k * C + c]! * (X[k * C + c]! - S[c]!);
    }
    dbeta[c] = sb;
    dgamma[c] = sg / Math.sqrt(S[C + c]! + epsilon!);
  }
  const dx = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) {
    const c = i % C;
    const rstd = 1 / Math.sqrt(S[C + c]! + epsilon!);
    const xhat = (X[i]! - S[c]!) * rstd;
    dx[i] = (g[i]! - dbeta[c]! / n - xhat * (dgamma[c]! / n)) * G[c]! * rstd;
  }
  return [make(backend, x!.shape, dx), make(backend, [C], dgamma), make(backend, [C], dbeta)];
};

const lossTerm = (kind: LossKernelAttrs['kind'], t: number) =>
  kind === 'bce'
    ? (x: number) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)))
    : kind === 'mse'
      ? (x: number) => (x - t) * (x - t)
      : (x: number, y: number) => Math.abs(x - y);

const loss: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const read = reader(backend);
  const { x, y } = inputs as Ins;
  const a = attrs as unknown as LossKernelAttrs;
  const X = read(x!),
    Y = a.kind === 'l1' ? read(y!) : X;
  const f = lossTerm(a.kind, a.target);
  let s = 0;
  for (let i = 0; i < X.length; i++) s += f(X[i]!, Y[i]!);
  return make(backend, [], new Float32Array([a.scale * (s / X.length)]));
};

const lossGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const read = reader(backend);
  const { dy, x, y } = inputs as Ins;
  const a = attrs as unknown as LossKernelAttrs;
  const X = read(x!),
    Y = a.kind === 'l1' ? read(y!) : X;
  const factor = read(dy!)[0]! * (a.scale / X.length);
  const d =
    a.kind === 'bce'
      ? (v: number) => 1 / (1 + Math.exp(-v)) - a.target
      : a.kind === 'mse'
        ? (v: number) => 2 * (v - a.target)
        : (v: number, w: number) => Math.sign(v - w);
  const out = new Float32Array(X.length);
  for (let i = 0; i < X.length; i++) out[i] = factor * d(X[i]!, Y[i]!);
  return make(backend, x!.shape, out);
};

// The kernel functions by the names the kernel list (src/backends/kernels.ts) registers them as.
export {
  stats as batchStatsCpu,
  apply as batchNormApplyCpu,
  grad as batchNormGradCpu,
  running as batchNormRunningCpu,
  loss as lossCpu,
  lossGrad as lossGradCpu,
};
