import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';
import { NODE_BACKENDS } from '../../support/env.js';

/** The op chain the fused kernel replaces (the Adam of src/pix2pix/adam.ts without the kernel). */
function chain(
  p: tf.Tensor,
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  a: AdamKernelAttrs,
): tf.Tensor[] {
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
    const v2 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v2), a.bc2Sqrt), a.epsilon);
    return [tf.sub(p, tf.mul(tf.div(m2, denom), a.stepSize)), m2, v2];
  });
}

for (const backend of NODE_BACKENDS) {
  const test = suite(`${ADAM_KERNEL} on ${backend}`);
  test.before(async () => {
    await initBackend(backend);
  });

  test('is registered when the backend starts', () => {
    assert.ok(tf.getKernel(ADAM_KERNEL, backend));
  });

  test('gives bitwise the results of the op chain it replaces, over several steps', async () => {
    const before = tf.memory().numTensors;
    const shape = [4, 4, 3, 37];
    const p0 = tf.randomNormal(shape, 0, 0.02, 'float32', 1);
    let p = p0.clone();
    let m = tf.zeros(shape);
    let v = tf.zeros(shape);
    let pc = p0.clone(),
      mc = m.clone(),
      vc = v.clone();
    for (let t = 1; t <= 3; t++) {
      const g = tf.randomNormal(shape, 0, t === 2 ? 1e-6 : 0.3, 'float32', 10 + t);
      const attrs: AdamKernelAttrs = {
        beta1: 0.5,
        beta2: 0.999,
        epsilon: 1e-8,
        stepSize: 2e-4 / (1 - 0.5 ** t),
        bc2Sqrt: Math.sqrt(1 - 0.999 ** t),
      };
      const [p2, m2, v2] = tf
        .engine()
        .runKernel(ADAM_KERNEL, { param: p, grad: g, m, v }, attrs) as tf.Tensor[];
      const [pc2, mc2, vc2] = chain(pc, g, mc, vc, attrs);
      tf.dispose([p, m, v, pc, mc, vc, g]);
      [p, m, v, pc, mc, vc] = [p2!, m2!, v2!, pc2!, mc2!, vc2!];
      assert.equal(await p.data(), await pc.data(), `param after step ${t}`);
      assert.equal(await m.data(), await mc.data(), `m after step ${t}`);
      assert.equal(await v.data(), await vc.data(), `v after step ${t}`);
    }
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(p, p0))));
    assert.ok((await moved.data())[0]! > 1e-5, 'the parameter did not move');
    tf.dispose([p, m, v, pc, mc, vc, moved, p0]);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });

  test('rejects mismatched inputs with a message naming the input', () => {
    const p = tf.zeros([3]);
    const g = tf.zeros([4]);
    assert.throws(
      () =>
        tf
          .engine()
          .runKernel(
            ADAM_KERNEL,
            { param: p, grad: g, m: p, v: p },
            { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 1, bc2Sqrt: 1 },
          ),
      /input "grad" must be float32 of shape \[3\]/,
    );
    tf.dispose([p, g]);
  });

  test.run();
}
