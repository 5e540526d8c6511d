/**
 * pix2pix's fused BatchNorm kernels (src/core/fused-kernels.ts: statistics, normalize +
 * activation, and the gradient through both) on the wasm backend through pix2pix-ts's own SIMD
 * module (`kernels.c` `bn_*`): the element loops of src/backends/cpu-kernels/batch-norm-loss.ts
 * in float64 SIMD with the same operations in the same order, so the results are bitwise those of
 * the JS kernels they replace (`wasm-kernels/batch-norm-loss.ts`, on which they fall back when the
 * module is not loaded or the channel count is odd). The per-channel float64 vectors are computed
 * here in JS (C values each) and handed over in a scratch tensor.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../core/tf.js';
import type { BatchNormKernelAttrs } from '../../core/fused-kernels.js';
import {
  batchNormApplyWasm,
  batchNormGradWasm,
  batchStatsWasm,
} from '../wasm-kernels/batch-norm-loss.js';
import { heapOffset, wasmSimd, type WasmSimd } from './index.js';

type Ins = Record<string, tf.TensorInfo>;

function channels(x: tf.TensorInfo): { C: number; n: number } {
  const C = x.shape[x.shape.length - 1]!;
  return { C, n: tf.util.sizeFromShape(x.shape) / C };
}

/** A scratch tensor of `count` float64 vectors of C values, and views of them (after `outs`). */
function scratch(backend: BackendWasm, C: number, count: number) {
  const t = backend.makeOutput([2 * C * count], 'float32');
  const at = heapOffset(backend, t.dataId);
  return {
    at: (i: number) => at + 8 * C * i,
    views: (simd: WasmSimd) =>
      Array.from(
        { length: count },
        (_, i) => new Float64Array(simd.memory.buffer, at + 8 * C * i, C),
      ),
    free: () => backend.disposeData(t.dataId),
  };
}

/** The module when it can take this call (loaded, even channel count), else undefined. */
function usable(backend: BackendWasm, C: number): WasmSimd | undefined {
  return C % 2 === 0 && C > 0 ? wasmSimd(backend) : undefined;
}

/** {@link BN_STATS_KERNEL}: `[2, C]` = per-channel mean and (biased) variance. */
export const batchStatsSimd: tf.KernelFunc = (args) => {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as Ins;
  const { C, n } = channels(x!);
  const simd = usable(backend, C);
  if (!simd) return batchStatsWasm(args);
  const out = backend.makeOutput([2, C], 'float32');
  const s = scratch(backend, C, 2);
  try {
    const X = heapOffset(backend, x!.dataId);
    simd.exports.bn_sum(X, s.at(0), n, C);
    const [sum] = s.views(simd) as [Float64Array, Float64Array];
    for (let c = 0; c < C; c++) sum[c] = sum[c]! / n;
    simd.exports.bn_sqdev(X, s.at(0), s.at(1), n, C);
    const [mean, q] = s.views(simd) as [Float64Array, Float64Array];
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    for (let c = 0; c < C; c++) {
      o[c] = mean[c]!;
      o[C + c] = q[c]! / n;
    }
  } finally {
    s.free();
  }
  return out;
};

/** {@link BN_APPLY_KERNEL}: `act((x - mean) * gamma / sqrt(var + eps) + beta)`. */
export const batchNormApplySimd: tf.KernelFunc = (args) => {
  const backend = args.backend as BackendWasm;
  const { x, stats: st, gamma, beta } = args.inputs as Ins;
  const { epsilon, slope } = args.attrs as unknown as BatchNormKernelAttrs;
  const { C, n } = channels(x!);
  const simd = usable(backend, C);
  if (!simd) return batchNormApplyWasm(args);
  const out = backend.makeOutput(x!.shape, 'float32');
  const s = scratch(backend, C, 3);
  try {
    const [mean, inv, shift] = s.views(simd) as [Float64Array, Float64Array, Float64Array];
    const read = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    const [S, G, B] = [read(st!), read(gamma!), read(beta!)];
    for (let c = 0; c < C; c++) {
      inv[c] = G[c]! / Math.sqrt(S[C + c]! + epsilon!);
      mean[c] = S[c]!;
      shift[c] = B[c]!;
    }
    simd.exports.bn_apply(
      heapOffset(backend, x!.dataId),
      heapOffset(backend, out.dataId),
      s.at(0),
      s.at(1),
      s.at(2),
      n,
      C,
      slope ?? 1,
    );
  } finally {
    s.free();
  }
  return out;
};

/** {@link BN_GRAD_KERNEL}: `[dx, dgamma, dbeta]` through the activation and the normalization. */
export const batchNormGradSimd: tf.KernelFunc = (args) => {
  const backend = args.backend as BackendWasm;
  const { dy, x, stats: st, gamma, y } = args.inputs as Ins;
  const { epsilon, slope } = args.attrs as unknown as BatchNormKernelAttrs;
  const { C, n } = channels(x!);
  const simd = usable(backend, C);
  if (!simd) return batchNormGradWasm(args);
  const dx = backend.makeOutput(x!.shape, 'float32');
  const dgamma = backend.makeOutput([C], 'float32');
  const dbeta = backend.makeOutput([C], 'float32');
  const s = scratch(backend, C, 6);
  try {
    const read = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    const neg = slope ?? 1;
    const DY = heapOffset(backend, dy!.dataId);
    const X = heapOffset(backend, x!.dataId);
    // Without an activation the mask reads dy itself (a factor 1 either way), as in the JS kernel.
    const Y = slope != null ? heapOffset(backend, y!.dataId) : DY;
    {
      const [mean] = s.views(simd) as Float64Array[];
      const S = read(st!);
      for (let c = 0; c < C; c++) mean![c] = S[c]!;
    }
    simd.exports.bn_grad_sums(DY, X, Y, s.at(0), s.at(1), s.at(2), n, C, neg);
    const [, sb, sg, bias, slopeX, scale] = s.views(simd) as Float64Array[];
    const [S, G] = [read(st!), read(gamma!)];
    const [dg, db] = [read(dgamma), read(dbeta)];
    for (let c = 0; c < C; c++) {
      const rstd = 1 / Math.sqrt(S[C + c]! + epsilon!);
      const dgc = sg![c]! * rstd;
      db[c] = sb![c]!;
      dg[c] = dgc;
      scale![c] = G[c]! * rstd;
      bias![c] = sb![c]! / n;
      slopeX![c] = (rstd * dgc) / n;
    }
    simd.exports.bn_grad_dx(
      DY,
      X,
      Y,
      heapOffset(backend, dx.dataId),
      s.at(0),
      s.at(3),
      s.at(4),
      s.at(5),
      n,
      C,
      neg,
    );
  } finally {
    s.free();
  }
  return [dx, dgamma, dbeta];
};
