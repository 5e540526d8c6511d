import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import {
  ACT_GRAD_KERNEL,
  CONCAT_ACT_KERNEL,
  DROPOUT_KERNEL,
} from '../../../src/core/fused-kernels.js';
import { activation, concatChannels, dropout, maskMul, tanh } from '../../../src/pix2pix/layers.js';
import { countKernels } from '../../../src/bench/op-count.js';

// Odd sizes, both signs, exact zeros: the ReLU mask and the channel ranges at their edges.
const A: [number, number, number, number] = [1, 5, 7, 3];
const B: [number, number, number, number] = [1, 5, 7, 4];

const input = (shape: number[], seed: number) =>
  tf.tidy(() => {
    const n = tf.randomNormal(shape, 0, 1, 'float32', seed);
    return tf.sub(n, tf.clipByValue(n, -0.3, 0.3));
  });

/** Each fused op of the model, forward and gradients, by name (values as arrays). */
async function ops(): Promise<Record<string, Float32Array[]>> {
  const a = input(A, 1) as tf.Tensor4D;
  const b = input(B, 2) as tf.Tensor4D;
  const dyAB = tf.randomNormal([1, 5, 7, 7], 0, 1, 'float32', 3);
  const dyA = tf.randomNormal(A, 0, 1, 'float32', 4);
  const cases: Record<string, () => tf.Tensor[]> = {
    'relu(cat)': () => {
      const f = (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(concatChannels(x as tf.Tensor4D, y as tf.Tensor4D, 0), dyAB)) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(f)([a, b]);
      return [concatChannels(a, b, 0), value, ...grads];
    },
    'leaky 0.2': () => {
      const { value, grad } = tf.valueAndGrad(
        (x: tf.Tensor) => tf.sum(tf.mul(activation(x as tf.Tensor4D, 0.2), dyA)) as tf.Scalar,
      )(a);
      return [activation(a, 0.2), value, grad];
    },
    relu: () => {
      const { value, grad } = tf.valueAndGrad(
        (x: tf.Tensor) => tf.sum(tf.mul(activation(x as tf.Tensor4D, 0), dyA)) as tf.Scalar,
      )(a);
      return [value, grad];
    },
    dropout: () => {
      const u = tf.randomUniform(A, 0, 1, 'float32', 5);
      const fused = tf.getKernel(DROPOUT_KERNEL, tf.getBackend()) != null;
      const f = (x: tf.Tensor) => {
        const y = fused
          ? dropout(x as tf.Tensor4D, u)
          : maskMul(x as tf.Tensor4D, tf.mul(tf.step(tf.sub(u, 0.5)), 2));
        return tf.sum(tf.mul(y, dyA)) as tf.Scalar;
      };
      const { value, grad } = tf.valueAndGrad(f)(a);
      u.dispose();
      return [value, grad];
    },
    tanh: () => {
      const { value, grad } = tf.valueAndGrad(
        (x: tf.Tensor) => tf.sum(tf.mul(tanh(x as tf.Tensor4D), dyA)) as tf.Scalar,
      )(a);
      return [value, grad];
    },
  };
  const out: Record<string, Float32Array[]> = {};
  for (const [name, f] of Object.entries(cases)) {
    const ts = f();
    out[name] = await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(ts);
  }
  tf.dispose([a, b, dyAB, dyA]);
  return out;
}

/** The same ops as tfjs op chains on cpu, with none of pix2pix's kernels. */
async function reference(): Promise<Record<string, Float32Array[]>> {
  await initBackend('cpu');
  const backend = tf.getBackend();
  const saved = [ACT_GRAD_KERNEL, CONCAT_ACT_KERNEL, DROPOUT_KERNEL].map((k) =>
    tf.getKernel(k, backend)!,
  );
  for (const k of saved) tf.unregisterKernel(k.kernelName, backend);
  try {
    return await ops();
  } finally {
    for (const k of saved) tf.registerKernel(k);
  }
}

function maxRel(a: Float32Array, b: Float32Array): number {
  assert.is(a.length, b.length);
  let d = 0,
    s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

const test = suite('fused activation kernels on the GPU backends');

for (const backend of ['webgl', 'webgpu'] as const) {
  test(`${backend}: relu(concat), LeakyReLU, ReLU, dropout and tanh and their gradients match the cpu op chains, one kernel each way`, async () => {
    const ref = await reference();
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const { result: got, count } = await countKernels(ops);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
    const by = new Map(count.byKernel);
    // relu(cat) twice forward, its backward once per input; 3 activation backwards.
    assert.is(
      by.get(CONCAT_ACT_KERNEL),
      2,
      `${CONCAT_ACT_KERNEL} ran ${by.get(CONCAT_ACT_KERNEL) ?? 0} times`,
    );
    assert.is(by.get(DROPOUT_KERNEL), 2, 'dropout: one kernel each way');
    assert.is(
      by.get(ACT_GRAD_KERNEL),
      5,
      `${ACT_GRAD_KERNEL} ran ${by.get(ACT_GRAD_KERNEL) ?? 0} times`,
    );
    assert.not.ok(
      by.has('Step') || by.has('Concat') || by.has('SplitV') || by.has('Slice'),
      `an op chain ran: ${JSON.stringify(count.byKernel)}`,
    );
    const rows: string[] = [];
    for (const k of Object.keys(ref)) {
      ref[k]!.forEach((r, i) => {
        const e = maxRel(got[k]![i]!, r);
        rows.push(`${k}[${i}] ${e.toExponential(1)}`);
        assert.ok(e < 1e-6, `${backend} ${k} output ${i} differs by ${e}`);
      });
    }
    measure(`${backend} vs cpu op chains (max diff / max |value|)`, rows.join(', '));
  });
}

test.run();
