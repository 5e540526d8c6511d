import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  BATCH_NORM_KERNELS,
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
  BN_STATS_KERNEL,
} from '../../../src/core/fused-kernels.js';
import { norm, normSpecs, NORM_EPS } from '../../../src/pix2pix/layers.js';
import { ParamStore } from '../../../src/pix2pix/params.js';
import { countKernels } from '../../../src/bench/op-count.js';

const SHAPE: [number, number, number, number] = [2, 5, 6, 7];
const C = SHAPE[3];

/** Inputs with a channel mean far from 0 (a one-pass variance would lose digits there). */
function inputs(): Record<'x' | 'dy' | 'gamma' | 'beta' | 'rm' | 'rv', tf.Tensor> {
  return {
    x: tf.tidy(() => tf.add(tf.randomNormal(SHAPE, 0, 2, 'float32', 1), tf.linspace(-30, 30, C))),
    dy: tf.randomNormal(SHAPE, 0, 1, 'float32', 2),
    gamma: tf.randomNormal([C], 1, 0.3, 'float32', 3),
    beta: tf.randomNormal([C], 0, 0.3, 'float32', 4),
    rm: tf.randomNormal([C], 0, 1, 'float32', 5),
    rv: tf.randomUniform([C], 0.5, 2, 'float32', 6),
  };
}

type Results = Record<string, Float32Array>;

/** The reference on cpu: tfjs's own ops and their autodiff. */
async function reference(): Promise<Results> {
  await initBackend('cpu');
  const t = inputs();
  const out = tf.tidy(() => {
    const { mean, variance } = tf.moments(t.x, [0, 1, 2]);
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, m.mean, m.variance, b, g, NORM_EPS);
    };
    const [dx, dgamma, dbeta] = tf.grads(f)([t.x, t.gamma, t.beta], t.dy);
    const fAct = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.leakyRelu(f(x, g, b), 0.2);
    const [dxAct, dgammaAct, dbetaAct] = tf.grads(fAct)([t.x, t.gamma, t.beta], t.dy);
    const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
    return {
      mean,
      variance,
      y: f(t.x, t.gamma, t.beta),
      dx: dx!,
      dgamma: dgamma!,
      dbeta: dbeta!,
      yAct: fAct(t.x, t.gamma, t.beta),
      dxAct: dxAct!,
      dgammaAct: dgammaAct!,
      dbetaAct: dbetaAct!,
      rm: tf.add(tf.mul(t.rm, 0.9), tf.mul(mean, 0.1)),
      rv: tf.add(tf.mul(t.rv, 0.9), tf.mul(variance, 0.1 * (n / (n - 1)))),
    };
  });
  const res: Results = {};
  for (const [k, v] of Object.entries(out)) res[k] = (await v.data()) as Float32Array;
  tf.dispose([...Object.values(out), ...Object.values(t)]);
  return res;
}

/** The same through the fused kernels of the active backend. */
async function fused(): Promise<Results> {
  const t = inputs();
  const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const run = (name: string, ins: tf.NamedTensorMap, attrs: Record<string, number> = {}) =>
    tf.engine().runKernel(name, ins, attrs);
  const stats = run(BN_STATS_KERNEL, { x: t.x }) as tf.Tensor;
  const [mean, variance] = tf.unstack(stats);
  const y = run(
    BN_APPLY_KERNEL,
    { x: t.x, stats, gamma: t.gamma, beta: t.beta },
    { epsilon: NORM_EPS },
  ) as tf.Tensor;
  const [dx, dgamma, dbeta] = run(
    BN_GRAD_KERNEL,
    { dy: t.dy, x: t.x, stats, gamma: t.gamma },
    { epsilon: NORM_EPS },
  ) as tf.Tensor[];
  const yAct = run(
    BN_APPLY_KERNEL,
    { x: t.x, stats, gamma: t.gamma, beta: t.beta },
    { epsilon: NORM_EPS, slope: 0.2 },
  ) as tf.Tensor;
  const [dxAct, dgammaAct, dbetaAct] = run(
    BN_GRAD_KERNEL,
    { dy: t.dy, x: t.x, stats, gamma: t.gamma, y: yAct },
    { epsilon: NORM_EPS, slope: 0.2 },
  ) as tf.Tensor[];
  const rm = run(
    BN_RUNNING_KERNEL,
    { running: t.rm, stats },
    { row: 0, momentum: 0.1, scale: 1 },
  ) as tf.Tensor;
  const rv = run(
    BN_RUNNING_KERNEL,
    { running: t.rv, stats },
    { row: 1, momentum: 0.1, scale: n / (n - 1) },
  ) as tf.Tensor;
  const out = {
    mean: mean!,
    variance: variance!,
    y,
    dx: dx!,
    dgamma: dgamma!,
    dbeta: dbeta!,
    yAct,
    dxAct: dxAct!,
    dgammaAct: dgammaAct!,
    dbetaAct: dbetaAct!,
    rm,
    rv,
  };
  const res: Results = {};
  for (const [k, v] of Object.entries(out)) res[k] = (await v.data()) as Float32Array;
  tf.dispose([stats, ...Object.values(out), ...Object.values(t)]);
  return res;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

const test = suite('fused BatchNorm kernels on the GPU backends');

for (const backend of ['webgl', 'webgpu'] as const) {
  test(`${backend}: statistics, normalisation (with and without a LeakyReLU), running update and gradients match tfjs's ops on cpu, without leaks`, async () => {
    const ref = await reference();
    await initBackend(backend);
    for (const k of BATCH_NORM_KERNELS)
      assert.ok(tf.getKernel(k, backend), `${k} is not registered for ${backend}`);
    const before = tf.memory().numTensors;
    const got = await fused();
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
    const errors = Object.keys(ref).map((k) => [k, maxRel(got[k]!, ref[k]!)] as const);
    measure(
      `${backend} vs cpu ops (max diff / max |value|)`,
      errors.map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', '),
    );
    for (const [k, e] of errors)
      assert.ok(e < 2e-5, `${backend} ${k} differs from the cpu ops by ${e}`);
  });

  test(`${backend}: a train-mode BatchNorm + LeakyReLU layer runs the fused kernels (4 kernels forward, 1 backward)`, async () => {
    await initBackend(backend);
    const store = new ParamStore(normSpecs('bn', C, 'batch'), 1, `bn-${backend}`);
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 7) as tf.Tensor4D;
    try {
      const { count } = await countKernels(async () => {
        const g = tf.grads((xx: tf.Tensor) =>
          norm(
            store,
            'bn',
            xx as tf.Tensor4D,
            'batch',
            { batchStats: true, updateStats: true },
            0.2,
          ),
        )([x]);
        await g[0]!.data();
        tf.dispose(g);
      });
      const by = new Map(count.byKernel);
      for (const k of [BN_STATS_KERNEL, BN_APPLY_KERNEL, BN_GRAD_KERNEL])
        assert.is(by.get(k), 1, `${k} ran ${by.get(k) ?? 0} times`);
      assert.is(by.get(BN_RUNNING_KERNEL), 2);
      assert.not.ok(
        by.has('Mean') || by.has('FusedBatchNorm') || by.has('LeakyRelu'),
        `the op chain ran: ${JSON.stringify(count.byKernel)}`,
      );
      assert.is(store.counters.get('bn'), 1);
    } finally {
      store.dispose();
      x.dispose();
    }
  });
}

for (const backend of ['cpu', 'webgl', 'webgpu'] as const) {
  test(`${backend}: the running updates of three forwards in one kernel equal three kernel calls in turn`, async () => {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const stats = [7, 8, 9].map((seed) => tf.randomUniform([2, C], 0.1, 3, 'float32', seed));
    const running = tf.randomUniform([C], 0.5, 2, 'float32', 10);
    for (const row of [0, 1]) {
      const attrs = { row, momentum: 0.1, scale: row === 1 ? 4 / 3 : 1 };
      const run = (inputs: tf.NamedTensorMap) =>
        tf.engine().runKernel(BN_RUNNING_KERNEL, inputs, attrs) as tf.Tensor;
      const three = { running, stats: stats[0]!, stats1: stats[1]!, stats2: stats[2]! };
      run(three).dispose(); // webgl uploads its inputs in programs of their own on first use
      const { result: once, count } = await countKernels(() => run(three));
      assert.is(count.programs ?? 1, 1, `${count.programs} programs`);
      let inTurn = running.clone();
      for (const s of stats) {
        const next = run({ running: inTurn, stats: s });
        inTurn.dispose();
        inTurn = next;
      }
      assert.equal(Array.from(await once.data()), Array.from(await inTurn.data()), `row ${row}`);
      tf.dispose([once, inTurn]);
    }
    tf.dispose([...stats, running]);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });
}

test.run();
