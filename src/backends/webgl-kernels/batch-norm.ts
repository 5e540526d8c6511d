/**
 * The BatchNorm kernels of src/core/fused-kernels.ts for tfjs-backend-webgl, as GLSL programs:
 * statistics in one program (one fragment per channel and row, looping over the channel's values;
 * the variance two-pass), the normalisation in one, each running-statistics update in one, and
 * the backward pass in three (the two per-channel sums, then dx). The op chains they replace ran
 * 13 programs per train-mode forward and ~10 per backward.
 *
 * A fragment sums a channel's values in float32, so every per-channel sum is taken in levels (a
 * row's W values, then an image's H rows, then the N images: round-off that grows with W + H + N
 * rather than N*H*W), and the mean is taken of the values minus the channel's first value, so its
 * error scales with the channel's spread, not with its mean. With one running float32 sum per
 * channel, a mean was off by 3e-4 standard deviations (a channel of 128x128 values 200 standard
 * deviations from 0), and in a 256x256 discriminator (31x31 values) one LeakyReLU input came out
 * -6.6e-7 where wasm (float64 sums) has +3.2e-6: its slope flipped, and every gradient of the step
 * moved by ~5e-4 (PyTorch float32 is 3e-6 from float64 there; its CPU kernels accumulate these
 * sums in float64). test/browser/webgl/sum-accuracy.browser.ts holds the sums to float64.
 */
import { tf } from '../../core/tf.js';
import {
  BN_GRAD_KERNEL,
  BN_RUNNING_MAX,
  runningStatsNames,
  type BatchNormKernelAttrs,
} from '../../core/fused-kernels.js';

/** The subset of tfjs-backend-webgl's `GPGPUProgram` these programs fill in. */
interface GPGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms?: Array<{ name: string; type: 'float' }>;
}

interface WebGLBackendLike {
  runWebGLProgram(
    program: GPGPUProgramLike,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    customUniformValues?: number[][],
  ): tf.TensorInfo;
}

/**
 * GLSL that adds `term` (an expression of `v`, the value of channel `c` of the rank-4 NHWC input
 * `name` at `ib, iy, ix`, with those in scope) over every value of the channel into the float
 * `target`, in levels: each row's W terms first, then each image's H rows, then the N images.
 */
function sumOverChannel(shape: number[], name: string, target: string, term: string): string {
  const [N, H, W] = shape;
  return `
        for (int ib = 0; ib < ${N}; ib++) {
          float image = 0.0;
          for (int iy = 0; iy < ${H}; iy++) {
            float row = 0.0;
            for (int ix = 0; ix < ${W}; ix++) {
              float v = get${name}(ib, iy, ix, c);
              row += ${term};
            }
            image += row;
          }
          ${target} += image;
        }`;
}

function countOf(x: tf.TensorInfo): number {
  if (x.shape.length !== 4)
    throw new Error(`Pix2Pix BatchNorm kernels take NHWC tensors, got shape [${x.shape}]`);
  return x.shape[0]! * x.shape[1]! * x.shape[2]!;
}

const run = (backend: unknown, p: GPGPUProgramLike, inputs: tf.TensorInfo[], u?: number[][]) =>
  (backend as WebGLBackendLike).runWebGLProgram(p, inputs, 'float32', u);

/** {@link BN_STATS_KERNEL} on webgl (exported for the tests). */
export const batchStatsWebGL: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const n = countOf(x);
  const C = x.shape[3]!;
  return run(
    backend,
    {
      variableNames: ['x'],
      outputShape: [2, C],
      userCode: `
      void main() {
        ivec2 rc = getOutputCoords();
        int c = rc.y;
        // The mean of the values less the first one: the sum's round-off scales with the spread.
        float pilot = getX(0, 0, 0, c);
        float s = 0.0;
        ${sumOverChannel(x.shape, 'X', 's', 'v - pilot')}
        float mean = pilot + s / float(${n});
        if (rc.x == 0) {
          setOutput(mean);
          return;
        }
        float q = 0.0;
        ${sumOverChannel(x.shape, 'X', 'q', '(v - mean) * (v - mean)')}
        setOutput(q / float(${n}));
      }`,
    },
    [x],
  );
};

/** {@link BN_APPLY_KERNEL} on webgl. */
export const batchNormApplyWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, stats, gamma, beta } = inputs as Record<
    'x' | 'stats' | 'gamma' | 'beta',
    tf.TensorInfo
  >;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  countOf(x);
  const act = slope != null;
  return run(
    backend,
    {
      variableNames: ['x', 's', 'g', 'b'],
      outputShape: x.shape,
      customUniforms: [
        { name: 'eps', type: 'float' },
        { name: 'slope', type: 'float' },
      ],
      userCode: `
      void main() {
        int c = getOutputCoords()[3];
        float inv = getG(c) * inversesqrt(getS(1, c) + eps);
        float v = (getXAtOutCoords() - getS(0, c)) * inv + getB(c);
        ${act ? 'setOutput(v < 0.0 ? slope * v : v);' : 'setOutput(v);'}
      }`,
    },
    [x, stats, gamma, beta],
    [[epsilon!], [slope ?? 1]],
  );
};

/** {@link BN_RUNNING_KERNEL} on webgl: one program for all the updates it is given. */
export const batchNormRunningWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const ins = inputs as Record<string, tf.TensorInfo>;
  const running = ins.running!;
  const stats = runningStatsNames(BN_RUNNING_MAX).filter((k) => ins[k] != null);
  const { row, momentum, scale } = attrs as unknown as BatchNormKernelAttrs;
  const names = stats.map((_, k) => `s${k}`);
  const get = (name: string) => `get${name[0]!.toUpperCase()}${name.slice(1)}`;
  return run(
    backend,
    {
      variableNames: ['r', ...names],
      outputShape: running.shape,
      customUniforms: [
        { name: 'a', type: 'float' },
        { name: 'w', type: 'float' },
      ],
      userCode: `
      void main() {
        int i = getOutputCoords();
        float r = getR(i);
        ${names.map((n) => `r = r * a + ${get(n)}(${row! === 1 ? 1 : 0}, i) * w;`).join('\n        ')}
        setOutput(r);
      }`,
    },
    [running, ...stats.map((k) => ins[k]!)],
    [[1 - momentum!], [momentum! * scale!]],
  );
};

/** {@link BN_GRAD_KERNEL} on webgl: two reduction programs and one elementwise program. */
export const batchNormGradWebGL: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, x, stats, gamma, y } = inputs as Record<
    'dy' | 'x' | 'stats' | 'gamma' | 'y',
    tf.TensorInfo
  >;
  const { epsilon, slope } = attrs as unknown as BatchNormKernelAttrs;
  const n = countOf(x);
  const C = x.shape[3]!;
  const act = slope != null;
  if (act && !y)
    throw new Error(`${BN_GRAD_KERNEL}: a fused activation needs the forward output "y"`);
  // The gradient into the normalisation: dy times the activation's derivative, read from y.
  const gAt = (dyv: string, yv: string) => (act ? `(${yv} > 0.0 ? ${dyv} : slope * ${dyv})` : dyv);
  const withY = (names: string[]) => (act ? [...names, 'y'] : names);
  const yIn = act ? [y!] : [];
  const dbeta = run(
    backend,
    {
      variableNames: withY(['dy']),
      outputShape: [C],
      customUniforms: [{ name: 'slope', type: 'float' }],
      userCode: `
      void main() {
        int c = getOutputCoords();
        float s = 0.0;
        ${sumOverChannel(x.shape, 'Dy', 's', gAt('v', 'getY(ib, iy, ix, c)'))}
        setOutput(s);
      }`,
    },
    [dy, ...yIn],
    [[slope ?? 1]],
  );
  const dgamma = run(
    backend,
    {
      variableNames: withY(['dy', 'x', 's']),
      outputShape: [C],
      customUniforms: [
        { name: 'eps', type: 'float' },
        { name: 'slope', type: 'float' },
      ],
      userCode: `
      void main() {
        int c = getOutputCoords();
        float mean = getS(0, c);
        float s = 0.0;
        ${sumOverChannel(x.shape, 'Dy', 's', `${gAt('v', 'getY(ib, iy, ix, c)')} * (getX(ib, iy, ix, c) - mean)`)}
        setOutput(s * inversesqrt(getS(1, c) + eps));
      }`,
    },
    [dy, x, stats, ...yIn],
    [[epsilon!], [slope ?? 1]],
  );
  const dx = run(
    backend,
    {
      variableNames: withY(['dy', 'x', 's', 'g', 'dg', 'db']),
      outputShape: x.shape,
      customUniforms: [
        { name: 'eps', type: 'float' },
        { name: 'slope', type: 'float' },
      ],
      userCode: `
      void main() {
        int c = getOutputCoords()[3];
        float rstd = inversesqrt(getS(1, c) + eps);
        float xhat = (getXAtOutCoords() - getS(0, c)) * rstd;
        float inv = 1.0 / float(${n});
        float g = ${gAt('getDyAtOutCoords()', 'getYAtOutCoords()')};
        setOutput((g - getDb(c) * inv - xhat * (getDg(c) * inv)) * (getG(c) * rstd));
      }`,
    },
    [dy, x, stats, gamma, dgamma, dbeta, ...yIn],
    [[epsilon!], [slope ?? 1]],
  );
  return [dx, dgamma, dbeta];
};
