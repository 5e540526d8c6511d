/**
 * The activation kernels of src/core/fused-kernels.ts ({@link ACT_GRAD_KERNEL},
 * {@link CONCAT_ACT_KERNEL}) for the cpu backend, as JS loops in float32: with them the cpu
 * backend runs (and test/pix2pix/op-count.test.ts counts) the kernel graph of webgl and webgpu.
 */
import { tf } from '../../core/tf.js';
import type { ActKernelAttrs, DropoutKernelAttrs } from '../../core/fused-kernels.js';

interface CpuLike {
  readSync(id: tf.DataId): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const read = (backend: unknown, t: tf.TensorInfo) =>
  (backend as CpuLike).readSync(t.dataId) as Float32Array;

/** {@link CONCAT_ACT_KERNEL} on cpu. */
export const concatActCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as Record<'a' | 'b', tf.TensorInfo>;
  const { slope } = attrs as unknown as ActKernelAttrs;
  const ca = a.shape[3]!;
  const cb = b.shape[3]!;
  const C = ca + cb;
  const av = read(backend, a);
  const bv = read(backend, b);
  const pixels = av.length / ca;
  const out = new Float32Array(pixels * C);
  // As tfjs's cpu Relu and LeakyRelu: `slope * v` in float64, rounded once when stored.
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < C; c++) {
      const v = c < ca ? av[p * ca + c]! : bv[p * cb + c - ca]!;
      out[p * C + c] = v < 0 ? (slope === 0 ? 0 : slope * v) : v;
    }
  }
  return (backend as CpuLike).makeTensorInfo([...a.shape.slice(0, 3), C], 'float32', out);
};

/** {@link ACT_GRAD_KERNEL} on cpu. */
export const actGradCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, y } = inputs as Record<'dy' | 'y', tf.TensorInfo>;
  const {
    kind = 'leaky',
    slope,
    begin = 0,
    size = dy.shape[3]!,
  } = attrs as unknown as ActKernelAttrs;
  const C = dy.shape[3]!;
  const dv = read(backend, dy);
  const yv = read(backend, y);
  const pixels = dv.length / C;
  const out = new Float32Array(pixels * size);
  const s = Math.fround(slope);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < size; c++) {
      const i = p * C + begin + c;
      const yi = yv[i]!;
      const d = kind === 'tanh' ? Math.fround(1 - Math.fround(yi * yi)) : yi > 0 ? 1 : s;
      out[p * size + c] = Math.fround(dv[i]! * d);
    }
  }
  return (backend as CpuLike).makeTensorInfo([...dy.shape.slice(0, 3), size], 'float32', out);
};

/** {@link DROPOUT_KERNEL} on cpu: `x * (u > threshold ? scale : 0)` rounded to float32. */
export const dropoutCpu: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, u } = inputs as Record<'x' | 'u', tf.TensorInfo>;
  const { threshold, scale } = attrs as unknown as DropoutKernelAttrs;
  const xv = read(backend, x);
  const uv = read(backend, u);
  const out = new Float32Array(xv.length);
  for (let i = 0; i < xv.length; i++) out[i] = xv[i]! * (uv[i]! > threshold ? scale : 0);
  return (backend as CpuLike).makeTensorInfo(x.shape, 'float32', out);
};
