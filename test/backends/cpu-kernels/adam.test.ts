import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../../src/core/tf.js';
import { initBackend } from '../../../src/backends/index.js';
import { ADAM_KERNEL, type AdamKernelAttrs } from '../../../src/core/fused-kernels.js';
import { NODE_BACKENDS } from '../../support/env.js';

/** The op chain the fused kernel replaces, for one parameter (src/pix2pix/adam.ts's fallback). */
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

const SHAPES = [[4, 4, 3, 37], [37], [5, 2]];

for (const backend of NODE_BACKENDS) {
  const test = suite(`${ADAM_KERNEL} on ${backend}`);
  test.before(async () => {
    await initBackend(backend);
  });

  test('is registered when the backend starts', () => {
    assert.ok(tf.getKernel(ADAM_KERNEL, backend));
  });

  test('updates a group with packed moments bitwise as the per-parameter op chain, over several steps', async () => {
    const before = tf.memory().numTensors;
    const sizes = SHAPES.map((s) => tf.util.sizeFromShape(s));
    const n = sizes.reduce((a, b) => a + b, 0);
    const p0 = SHAPES.map((s, k) => tf.randomNormal(s, 0, 0.02, 'float32', 1 + k));
    let ps = p0.map((p) => p.clone());
    let state = tf.zeros([2, n]);
    let pc = p0.map((p) => p.clone());
    let mc = SHAPES.map((s) => tf.zeros(s));
    let vc = SHAPES.map((s) => tf.zeros(s));
    for (let t = 1; t <= 3; t++) {
      const gs = SHAPES.map((s, k) =>
        tf.randomNormal(s, 0, t === 2 ? 1e-6 : 0.3, 'float32', 10 * t + k),
      );
      const attrs: AdamKernelAttrs = {
        beta1: 0.5,
        beta2: 0.999,
        epsilon: 1e-8,
        stepSize: 2e-4 / (1 - 0.5 ** t),
        bc2Sqrt: Math.sqrt(1 - 0.999 ** t),
      };
      const inputs: tf.NamedTensorMap = { state };
      ps.forEach((p, k) => {
        inputs[`p${k}`] = p;
        inputs[`g${k}`] = gs[k]!;
      });
      const [state2, ...ps2] = tf.engine().runKernel(ADAM_KERNEL, inputs, attrs) as tf.Tensor[];
      const ref = SHAPES.map((_, k) => chain(pc[k]!, gs[k]!, mc[k]!, vc[k]!, attrs));
      tf.dispose([...ps, state, ...pc, ...mc, ...vc, ...gs]);
      [state, ps] = [state2!, ps2];
      pc = ref.map((r) => r[0]!);
      mc = ref.map((r) => r[1]!);
      vc = ref.map((r) => r[2]!);
      const s = (await state.data()) as Float32Array;
      let off = 0;
      for (let k = 0; k < SHAPES.length; k++) {
        assert.equal(await ps[k]!.data(), await pc[k]!.data(), `param ${k} after step ${t}`);
        assert.equal(s.slice(off, off + sizes[k]!), await mc[k]!.data(), `m ${k}, step ${t}`);
        assert.equal(
          s.slice(n + off, n + off + sizes[k]!),
          await vc[k]!.data(),
          `v ${k}, step ${t}`,
        );
        off += sizes[k]!;
      }
    }
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(ps[0]!, p0[0]!))));
    assert.ok((await moved.data())[0]! > 1e-5, 'the parameter did not move');
    tf.dispose([...ps, state, ...pc, ...mc, ...vc, moved, ...p0]);
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  });

  test('rejects mismatched inputs with a message naming the input', () => {
    const p = tf.zeros([3]);
    const g = tf.zeros([4]);
    const s = tf.zeros([2, 3]);
    const attrs = { beta1: 0.5, beta2: 0.999, epsilon: 1e-8, stepSize: 1, bc2Sqrt: 1 };
    assert.throws(
      () => tf.engine().runKernel(ADAM_KERNEL, { state: s, p0: p, g0: g }, attrs),
      /input "g0" must be float32 of shape \[3\]/,
    );
    assert.throws(
      () => tf.engine().runKernel(ADAM_KERNEL, { state: g, p0: p, g0: p }, attrs),
      /input "state" must be float32 of shape \[2,3\]/,
    );
    tf.dispose([p, g, s]);
  });

  test.run();
}
