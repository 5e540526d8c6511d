// The per-channel and whole-tensor sums of pix2pix's webgl kernels (src/backends/webgl-kernels/
// batch-norm.ts and loss.ts) against float64, at the sizes of a 256x256 model: a fragment sums in
// float32, so one running sum over 128x128 values is too coarse (see the kernels' header).
import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { BN_GRAD_KERNEL, BN_STATS_KERNEL, LOSS_KERNEL } from '../../../src/core/fused-kernels.js';

/** NHWC shape of a 256x256 generator's first BatchNorm input (128x128, batch 1), 4 channels. */
const SHAPE: [number, number, number, number] = [1, 128, 128, 4];
/** Channel means and standard deviations: means 20 to 200 standard deviations from 0. */
const MEANS = [10, -30, 3, 100];
const STDS = [0.5, 1, 0.1, 0.5];

/** Gradients into a BatchNorm: channel means 0 to 5 standard deviations from 0. */
const DY_MEANS = [1, -3, 0, 5];
const DY_STDS = [1, 1, 0.1, 1];

/** float32 values, channel c ~ N(means[c], stds[c]). */
function channels(seed: number, means = MEANS, stds = STDS): tf.Tensor4D {
  return tf.tidy(() =>
    tf.add(tf.mul(tf.randomNormal(SHAPE, 0, 1, 'float32', seed), stds), means),
  ) as tf.Tensor4D;
}

/** Per-channel float64 sums of f(i) over the elements i of channel c. */
function sums(C: number, n: number, f: (i: number) => number): number[] {
  const s = new Array<number>(C).fill(0);
  for (let i = 0; i < n * C; i++) s[i % C]! += f(i);
  return s;
}

const test = suite('webgl kernel sums at 256x256 sizes');

test.before(async () => {
  await initBackend('webgl', { purpose: 'train' });
  assert.is(tf.getBackend(), 'webgl');
});

test('batch statistics of channels far from 0 are float64-accurate, in units of the spread', async () => {
  const x = channels(1);
  const stats = tf.engine().runKernel(BN_STATS_KERNEL, { x }) as tf.Tensor;
  const xs = (await x.data()) as Float32Array;
  const got = (await stats.data()) as Float32Array;
  tf.dispose([x, stats]);
  const [, H, W, C] = SHAPE;
  const n = H * W;
  const mean = sums(C, n, (i) => xs[i]!).map((s) => s / n);
  const variance = sums(C, n, (i) => (xs[i]! - mean[i % C]!) ** 2).map((s) => s / n);
  let worstMean = 0;
  let worstVar = 0;
  for (let c = 0; c < C; c++) {
    // The mean's error against the channel's standard deviation: what moves (x - mean) / std.
    worstMean = Math.max(worstMean, Math.abs(got[c]! - mean[c]!) / Math.sqrt(variance[c]!));
    worstVar = Math.max(worstVar, Math.abs(got[C + c]! - variance[c]!) / variance[c]!);
  }
  measure('mean error / std, worst channel', worstMean.toExponential(2));
  measure('variance relative error, worst channel', worstVar.toExponential(2));
  // float32 itself holds a mean of 100 only to 3.8e-6 (half an ulp), 7.6e-6 of std 0.5. One
  // running float32 sum per channel (before the levels and the pilot value): 3.3e-4 and 4e-6.
  assert.ok(worstMean < 2e-5, `mean off by ${worstMean} standard deviations`);
  assert.ok(worstVar < 1e-6, `variance off by ${worstVar} (relative)`);
});

test('the BatchNorm gradient sums (dgamma, dbeta) are float64-accurate', async () => {
  const x = channels(2);
  const dy = channels(3, DY_MEANS, DY_STDS);
  const gamma = tf.ones([SHAPE[3]]);
  const stats = tf.engine().runKernel(BN_STATS_KERNEL, { x }) as tf.Tensor;
  const outs = tf
    .engine()
    .runKernel(BN_GRAD_KERNEL, { dy, x, stats, gamma }, { epsilon: 1e-5 }) as tf.Tensor[];
  const xs = (await x.data()) as Float32Array;
  const dys = (await dy.data()) as Float32Array;
  const st = (await stats.data()) as Float32Array;
  const dgamma = (await outs[1]!.data()) as Float32Array;
  const dbeta = (await outs[2]!.data()) as Float32Array;
  tf.dispose([x, dy, gamma, stats, ...outs]);
  const [, H, W, C] = SHAPE;
  const n = H * W;
  // From the kernel's own float32 statistics, so only the sums are measured.
  const refBeta = sums(C, n, (i) => dys[i]!);
  const refGamma = sums(C, n, (i) => dys[i]! * (xs[i]! - st[i % C]!)).map(
    (s, c) => s / Math.sqrt(st[C + c]! + 1e-5),
  );
  let worstBeta = 0;
  let worstGamma = 0;
  for (let c = 0; c < C; c++) {
    worstBeta = Math.max(worstBeta, Math.abs(dbeta[c]! - refBeta[c]!) / Math.abs(refBeta[c]!));
    worstGamma = Math.max(worstGamma, Math.abs(dgamma[c]! - refGamma[c]!) / Math.abs(refGamma[c]!));
  }
  measure('dbeta relative error, worst channel', worstBeta.toExponential(2));
  measure('dgamma relative error, worst channel', worstGamma.toExponential(2));
  // One running float32 sum per channel: 8e-6 and 3.7e-4.
  assert.ok(worstBeta < 2e-6, `dbeta off by ${worstBeta} (relative)`);
  assert.ok(worstGamma < 5e-5, `dgamma off by ${worstGamma} (relative)`);
});

test('the L1 loss over a 256x256x3 image is float64-accurate', async () => {
  const shape: [number, number, number, number] = [1, 256, 256, 3];
  const x = tf.randomUniform(shape, -1, 1, 'float32', 4);
  const y = tf.randomUniform(shape, -1, 1, 'float32', 5);
  const loss = tf
    .engine()
    .runKernel(LOSS_KERNEL, { x, y }, { kind: 'l1', target: 0, scale: 1 }) as tf.Tensor;
  const xs = (await x.data()) as Float32Array;
  const ys = (await y.data()) as Float32Array;
  const got = (await loss.data())[0]!;
  tf.dispose([x, y, loss]);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]! - ys[i]!);
  const ref = s / xs.length;
  const err = Math.abs(got - ref) / ref;
  measure('L1 loss relative error', err.toExponential(2));
  // One running float32 sum: 4.7e-6.
  assert.ok(err < 1e-7, `L1 loss off by ${err} (relative)`);
});

test.run();
