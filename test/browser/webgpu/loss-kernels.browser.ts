import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { LOSS_GRAD_KERNEL, LOSS_KERNEL } from '../../../src/core/fused-kernels.js';
import { ganLoss, l1 } from '../../../src/pix2pix/losses.js';
import { countKernels } from '../../../src/bench/op-count.js';

const SHAPE: [number, number, number, number] = [1, 9, 7, 3];

/** Each loss of the model and its gradient, by name: [value, gradient]. */
async function losses(): Promise<Record<string, Float32Array[]>> {
  const x = tf.tidy(() =>
    tf.mul(tf.randomNormal(SHAPE, 0, 1, 'float32', 1), tf.linspace(0.5, 30, 3)),
  ) as tf.Tensor4D;
  const y = tf.randomNormal(SHAPE, 0, 1, 'float32', 2);
  const cases: Record<string, (t: tf.Tensor) => tf.Scalar> = {
    'bce real': (t) => ganLoss(t, true, 'vanilla'),
    'bce fake': (t) => ganLoss(t, false, 'vanilla'),
    'mse real': (t) => ganLoss(t, true, 'lsgan'),
    'l1 x100': (t) => l1(t, y, 100),
  };
  const out: Record<string, Float32Array[]> = {};
  for (const [name, f] of Object.entries(cases)) {
    const { value, grad } = tf.valueAndGrad(f)(x);
    out[name] = [(await value.data()) as Float32Array, (await grad.data()) as Float32Array];
    tf.dispose([value, grad]);
  }
  tf.dispose([x, y]);
  return out;
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

const test = suite('fused loss kernels on the GPU backends');

for (const backend of ['webgl', 'webgpu'] as const) {
  test(`${backend}: BCE-with-logits, MSE and weighted L1 and their gradients match the op chain on cpu, one kernel each way`, async () => {
    await initBackend('cpu');
    const ref = await losses();
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const { result: got, count } = await countKernels(losses);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
    const by = new Map(count.byKernel);
    assert.is(by.get(LOSS_KERNEL), 4, `${LOSS_KERNEL} ran ${by.get(LOSS_KERNEL) ?? 0} times`);
    assert.is(by.get(LOSS_GRAD_KERNEL), 4);
    assert.not.ok(
      by.has('Log1p') || by.has('Abs'),
      `the op chain ran: ${JSON.stringify(count.byKernel)}`,
    );
    const errors = Object.keys(ref).map(
      (k) => [k, maxRel(got[k]![0]!, ref[k]![0]!), maxRel(got[k]![1]!, ref[k]![1]!)] as const,
    );
    measure(
      `${backend} vs cpu op chain (value, gradient: max diff / max |value|)`,
      errors.map(([k, v, g]) => `${k} ${v.toExponential(1)} ${g.toExponential(1)}`).join(', '),
    );
    for (const [k, v, g] of errors) {
      assert.ok(v < 1e-5, `${backend} ${k} loss differs by ${v}`);
      assert.ok(g < 1e-5, `${backend} ${k} gradient differs by ${g}`);
    }
  });
}

test.run();
