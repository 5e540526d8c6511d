/**
 * The BatchNorm kernels of src/core/fused-kernels.ts for tfjs-backend-webgpu, as WGSL programs:
 * statistics in one program (one workgroup per channel, two passes over its values, tree sums in
 * workgroup memory), the normalisation in one, each running-statistics update in one, and the
 * backward pass in three (the two per-channel sums, then dx). The op chains they replace ran 13
 * programs per train-mode forward and ~10 per backward.
 */
import { tf } from '../../core/tf.js';
import {
  BN_GRAD_KERNEL,
  BN_RUNNING_MAX,
  runningStatsNames,
  type BatchNormKernelAttrs,
} from '../../core/fused-kernels.js';
import type { Uniform, WebGPUBackendLike, WebGPUProgramLike } from './program.js';

/** Threads per workgroup of the per-channel reductions (a power of two). */
const REDUCE_GROUP = 64;
const ELEMENTWISE_GROUP = 64;

const i32 = (d: number): Uniform => ({ type: 'int32', data: [d] });
const f32 = (d: number): Uniform => ({ type: 'float32', data: [d] });

/**
 * A per-channel reduction over an NHWC tensor: one workgroup per channel. `body` is WGSL that
 * runs with `c` (channel), `C` (channels), `n` (values per channel) and `lid` in scope and may
 * call `reduceSum(v)`, a workgroup-wide sum (every thread must call it, with its partial sum).
 */
function reduceProgram(
  key: string,
  variableNames: string[],
  outputShape: number[],
  channels: number,
  uniforms: string,
  body: string,
): WebGPUProgramLike {
  return {
    variableNames,
    outputShape,
    shaderKey: `pix2pixBN_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [channels, 1, 1],
    workgroupSize: [REDUCE_GROUP, 1, 1],
    size: false,
    uniforms: `channels : i32, count : i32, ${uniforms}`,
    getUserCode: () => `
      var<workgroup> partial : array<f32, ${REDUCE_GROUP}>;
      fn reduceSum(v : f32, lid : i32) -> f32 {
        partial[lid] = v;
        workgroupBarrier();
        for (var h = ${REDUCE_GROUP / 2}; h > 0; h = h / 2) {
          if (lid < h) {
            partial[lid] = partial[lid] + partial[lid + h];
          }
          workgroupBarrier();
        }
        let total = partial[0];
        workgroupBarrier();
        return total;
      }
      fn main(index : i32) {
        let lid = i32(localId.x);
        let c = index / ${REDUCE_GROUP};
        let C = uniforms.channels;
        let n = uniforms.count;
        ${body}
      }`,
  };
}

function elementwiseProgram(
  key: string,
  variableNames: string[],
  shape: number[],
  uniforms: string,
  body: string,
): WebGPUProgramLike {
  const size = tf.util.sizeFromShape(shape);
  return {
    variableNames,
    outputShape: shape,
    shaderKey: `pix2pixBN_${key}`,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / ELEMENTWISE_GROUP), 1, 1],
    workgroupSize: [ELEMENTWISE_GROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

function channelsOf(x: tf.TensorInfo): { C: number; n: number } {
  const C = x.shape[x.shape.length - 1]!;
  return { C, n: tf.util.sizeFromShape(x.shape) / C };
}

/** {@link BN_STATS_KERNEL} on webgpu (exported for the tests). */
export const batchStatsWebGPU: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { C, n } = channelsOf(x);
  const program = reduceProgram(
    'stats',
    ['X'],
    [2, C],
    C,
    '',
    `
        var s = 0.0;
        for (var k = lid; k < n; k = k + ${REDUCE_GROUP}) { s = s + X[k * C + c]; }
        let mean = reduceSum(s, lid) / f32(n);
        var q = 0.0;
        for (var k = lid; k < n; k = k + ${REDUCE_GROUP}) { let d = X[k * C + c] - mean; q = q + d * d; }
        let variance = reduceSum(q, lid) / f32(n);
        if (lid == 0) {
          setOutputAtIndex(c, mean);
          setOutputAtIndex(C + c, variance);
        }`,
  );
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(program, [x], 'float32', [
    i32(C),
    i32(n),
  ]);
};

/** {@link BN_APPLY_KERNEL} on webgpu. */
export const batchNormApplyWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, stats, gamma, beta } = inputs as Record<
    'x' | 'stats' | 'gamma' | 'beta',
    tf.TensorInfo
  >;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  const { C } = channelsOf(x);
  const act = slope != null;
  const program = elementwiseProgram(
    act ? 'applyAct' : 'apply',
    ['X', 'S', 'G', 'B'],
    x.shape,
    'channels : i32, eps : f32, slope : f32, ',
    `
          let c = index % uniforms.channels;
          let inv = G[c] * inverseSqrt(S[uniforms.channels + c] + uniforms.eps);
          let v = (X[index] - S[c]) * inv + B[c];
          ${act ? 'if (v < 0.0) { setOutputAtIndex(index, uniforms.slope * v); } else { setOutputAtIndex(index, v); }' : 'setOutputAtIndex(index, v);'}`,
  );
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program,
    [x, stats, gamma, beta],
    'float32',
    [i32(C), f32(epsilon!), f32(slope ?? 1)],
  );
};

/** {@link BN_RUNNING_KERNEL} on webgpu: one program for all the updates it is given. */
export const batchNormRunningWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, tf.TensorInfo>;
  const running = ins.running!;
  const stats = runningStatsNames(BN_RUNNING_MAX).filter((k) => ins[k] != null);
  const { row, momentum, scale } = attrs as unknown as BatchNormKernelAttrs;
  const C = running.shape[0]!;
  const names = stats.map((_, k) => `S${k}`);
  const program = elementwiseProgram(
    stats.length === 1 ? 'running' : `running${stats.length}`,
    ['R', ...names],
    running.shape,
    'offset : i32, a : f32, b : f32, ',
    `
          var r = R[index];
          ${names.map((S) => `r = r * uniforms.a + ${S}[uniforms.offset + index] * uniforms.b;`).join('\n          ')}
          setOutputAtIndex(index, r);`,
  );
  return (backend as unknown as WebGPUBackendLike).runWebGPUProgram(
    program,
    [running, ...stats.map((k) => ins[k]!)],
    'float32',
    [i32(row! * C), f32(1 - momentum!), f32(momentum! * scale!)],
  );
};

/** {@link BN_GRAD_KERNEL} on webgpu: two reduction programs and one elementwise program. */
export const batchNormGradWebGPU: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, stats, gamma, y } = inputs as Record<
    'dy' | 'x' | 'stats' | 'gamma' | 'y',
    tf.TensorInfo
  >;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  const be = backend as unknown as WebGPUBackendLike;
  const { C, n } = channelsOf(x);
  const act = slope != null;
  if (act && !y)
    throw new Error(`${BN_GRAD_KERNEL}: a fused activation needs the forward output "y"`);
  // The gradient into the normalisation: dy times the activation's derivative, read from y.
  const g = (i: string) =>
    act ? `select(uniforms.slope * DY[${i}], DY[${i}], Y[${i}] > 0.0)` : `DY[${i}]`;
  const withY = (names: string[]) => (act ? [...names, 'Y'] : names);
  const yIn = act ? [y!] : [];
  const dbeta = be.runWebGPUProgram(
    reduceProgram(
      act ? 'dbetaAct' : 'dbeta',
      withY(['DY']),
      [C],
      C,
      'slope : f32, ',
      `
        var s = 0.0;
        for (var k = lid; k < n; k = k + ${REDUCE_GROUP}) { s = s + ${g('k * C + c')}; }
        let total = reduceSum(s, lid);
        if (lid == 0) { setOutputAtIndex(c, total); }`,
    ),
    [dy, ...yIn],
    'float32',
    [i32(C), i32(n), f32(slope ?? 1)],
  );
  const dgamma = be.runWebGPUProgram(
    reduceProgram(
      act ? 'dgammaAct' : 'dgamma',
      withY(['DY', 'X', 'S']),
      [C],
      C,
      'slope : f32, eps : f32, ',
      `
        let mean = S[c];
        var s = 0.0;
        for (var k = lid; k < n; k = k + ${REDUCE_GROUP}) { s = s + ${g('k * C + c')} * (X[k * C + c] - mean); }
        let total = reduceSum(s, lid);
        if (lid == 0) { setOutputAtIndex(c, total * inverseSqrt(S[C + c] + uniforms.eps)); }`,
    ),
    [dy, x, stats, ...yIn],
    'float32',
    [i32(C), i32(n), f32(slope ?? 1), f32(epsilon!)],
  );
  const dx = be.runWebGPUProgram(
    elementwiseProgram(
      act ? 'dxAct' : 'dx',
      withY(['DY', 'X', 'S', 'G', 'DG', 'DB']),
      x.shape,
      'channels : i32, eps : f32, invCount : f32, slope : f32, ',
      `
          let C = uniforms.channels;
          let c = index % C;
          let rstd = inverseSqrt(S[C + c] + uniforms.eps);
          let xhat = (X[index] - S[c]) * rstd;
          setOutputAtIndex(index, (${g('index')} - DB[c] * uniforms.invCount - xhat * (DG[c] * uniforms.invCount)) * (G[c] * rstd));`,
    ),
    [dy, x, stats, gamma, dgamma, dbeta, ...yIn],
    'float32',
    [i32(C), f32(epsilon!), f32(1 / n), f32(slope ?? 1)],
  );
  return [dx, dgamma, dbeta];
};
