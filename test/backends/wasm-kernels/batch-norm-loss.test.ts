import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { BN_GRAD_KERNEL, BN_STATS_KERNEL, LOSS_KERNEL } from '../../../src/core/fused-kernels.js';
import { onCpuAndWasm, randn } from './support.js';

const bn = suite('BatchNorm and loss kernels on wasm');

bn.before(async () => {
  await initBackend('wasm');
});

/** 2 channels of 128x128 values around 3 (std 0.5): a mean far from 0 makes float32 sums drift. */
const shape: [number, number, number, number] = [1, 128, 128, 2];
const xv = randn(128 * 128 * 2, 11).map((v) => 3 + 0.5 * v);
const dyv = randn(128 * 128 * 2, 12).map((v) => 0.2 + v);

function f64Stats(X: Float32Array, C: number): number[] {
  const n = X.length / C;
  const out: number[] = [];
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += X[k * C + c]!;
    const m = s / n;
    let q = 0;
    for (let k = 0; k < n; k++) q += (X[k * C + c]! - m) ** 2;
    out.push(m, q / n);
  }
  return out;
}

const ulp = 2 ** -24;

bn(
  'computes batch statistics to float32 rounding of float64 (the tf.moments chain does not)',
  async () => {
    const stats = tf
      .engine()
      .runKernel(BN_STATS_KERNEL, { x: tf.tensor4d(xv, shape) }) as tf.Tensor;
    const got = stats.dataSync();
    const want = f64Stats(xv, 2);
    for (let c = 0; c < 2; c++) {
      for (const [row, w] of [
        [0, want[2 * c]!],
        [1, want[2 * c + 1]!],
      ] as const) {
        const err = Math.abs(got[row * 2 + c]! - w) / Math.abs(w);
        assert.ok(err <= ulp, `channel ${c} ${row ? 'variance' : 'mean'}: relative error ${err}`);
      }
    }
    // The op chain it replaced, for the figure: sequential float32 sums over 16384 values.
    const { mean, variance } = tf.moments(tf.tensor4d(xv, shape), [0, 1, 2]);
    const m = mean.dataSync();
    const v = variance.dataSync();
    const chain = Math.max(
      ...[0, 1].flatMap((c) => [
        Math.abs(m[c]! - want[2 * c]!) / want[2 * c]!,
        Math.abs(v[c]! - want[2 * c + 1]!) / want[2 * c + 1]!,
      ]),
    );
    console.log(
      `# batch statistics, relative error against float64: tf.moments on wasm ${chain.toExponential(2)}, the kernel <= 2^-24`,
    );
    tf.dispose([stats, mean, variance]);
  },
);

bn(
  "the backward pass gives cpu's values, with dbeta and dgamma to float32 rounding of float64",
  async () => {
    const r = await onCpuAndWasm(() => {
      const x = tf.tensor4d(xv, shape);
      const stats = tf.engine().runKernel(BN_STATS_KERNEL, { x }) as tf.Tensor;
      return tf
        .engine()
        .runKernel(
          BN_GRAD_KERNEL,
          { dy: tf.tensor4d(dyv, shape), x, stats, gamma: tf.tensor1d([1.5, -0.7]) },
          { epsilon: 1e-5 },
        ) as tf.Tensor[];
    });
    for (let i = 0; i < 3; i++)
      assert.equal(Array.from(r.wasm[i]!), Array.from(r.cpu[i]!), `output ${i}`);
    // float64 sums over the kernel's float32 statistics (what the kernel is given).
    const S = Float32Array.from(f64Stats(xv, 2));
    for (let c = 0; c < 2; c++) {
      let dbeta = 0,
        dgamma = 0;
      for (let i = c; i < xv.length; i += 2) {
        dbeta += dyv[i]!;
        dgamma += dyv[i]! * (xv[i]! - S[2 * c]!);
      }
      dgamma /= Math.sqrt(S[2 * c + 1]! + 1e-5);
      for (const [name, got, want] of [
        ['dgamma', r.wasm[1]![c]!, dgamma],
        ['dbeta', r.wasm[2]![c]!, dbeta],
      ] as const) {
        const err = Math.abs(got - want) / Math.abs(want);
        assert.ok(err <= ulp, `${name}[${c}]: relative error ${err}`);
      }
    }
  },
);

bn('computes an L1 loss mean to float32 rounding of float64', async () => {
  const y = randn(xv.length, 13);
  const loss = tf
    .engine()
    .runKernel(
      LOSS_KERNEL,
      { x: tf.tensor4d(xv, shape), y: tf.tensor4d(y, shape) },
      { kind: 'l1', target: 0, scale: 100 },
    ) as tf.Tensor;
  let s = 0;
  for (let i = 0; i < xv.length; i++) s += Math.abs(xv[i]! - y[i]!);
  const want = (100 * s) / xv.length;
  const err = Math.abs(loss.dataSync()[0]! - want) / want;
  assert.ok(err <= ulp, `relative error ${err}`);
  loss.dispose();
});

bn.run();
