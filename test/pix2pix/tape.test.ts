import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { holdForBackward, tapeOp } from '../../src/pix2pix/tape.js';
import { countKernels } from '../../src/bench/op-count.js';

const test = suite('ops that save references instead of clones');

test.before(async () => {
  await initBackend('cpu');
});

// relu(x * w) through tapeOp, its backward reading an intermediate (x * w) that the forward scope
// of the gradient function disposes before backprop.
function reluOfProduct(x: tf.Tensor, w: tf.Variable): tf.Tensor {
  const h = tf.mul(x, w);
  return tapeOp(
    { h },
    () => tf.relu(h),
    (dy, [hs]) => ({ h: () => tf.mul(dy, tf.step(hs!)) }),
    { tensors: [h] },
  );
}

const x = () => tf.tensor1d([-2, -0.5, 0.5, 2]);
const identities = (c: { byKernel: Array<[string, number]> }) =>
  c.byKernel.find(([n]) => n === 'Identity')?.[1] ?? 0;

test('gives tfjs gradients inside holdForBackward without cloning what it saves, and frees it', async () => {
  const w = tf.variable(tf.tensor1d([1, -2, 1, 3]));
  const xs = x();
  const reference = tf.variableGrads(() => tf.sum(tf.relu(tf.mul(xs, w))), [w]);
  const before = tf.memory().numTensors;
  const held = await countKernels(() =>
    holdForBackward(() => tf.variableGrads(() => tf.sum(reluOfProduct(xs, w)), [w])),
  );
  const cloned = await countKernels(() =>
    tf.variableGrads(() => tf.sum(reluOfProduct(xs, w)), [w]),
  );
  for (const { result } of [held, cloned]) {
    assert.equal(await result.grads[w.name].array(), await reference.grads[w.name].array());
    assert.equal(await result.grads[w.name].array(), [0, -0.5, 0.5, 2]);
    tf.dispose([result.value, result.grads[w.name]]);
  }
  // The Multiply (a plain tfjs op) clones its inputs either way; the tapeOp only without a hold.
  assert.is(identities(held.count), identities(cloned.count) - 1);
  assert.is(tf.memory().numTensors, before, 'held references leaked');
  tf.dispose([reference.value, reference.grads[w.name], xs, w]);
});

test.run();
