import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import {
  ADAM_KERNEL,
  BN_RUNNING_KERNEL,
  BN_STATS_KERNEL,
  DROPOUT_KERNEL,
  LOSS_GRAD_KERNEL,
  LOSS_KERNEL,
  UP_CONV_KERNEL,
} from '../../src/core/fused-kernels.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { dropoutShapes } from '../../src/pix2pix/generator.js';
import { countKernels, formatKernelCount } from '../../src/bench/op-count.js';

// The kernel count of a step depends on the topology (numDowns, nLayers, norm), not on image size
// or width: this is the paper's UNet-256 / 70x70 PatchGAN topology with 1-8 channels per layer.
// On GPU backends every kernel costs a fixed dispatch overhead, so these are regression bounds on
// that overhead. The cpu backend registers the same fused BatchNorm and loss kernels as webgl and
// webgpu, so it runs (and counts) their kernel graph: 288 kernels, 280 launching GPU work, 59 per
// eval G pass (before one G forward per step, the fused activation and dropout kernels, D's
// running statistics updated once per step and the D loss halves scaled in the loss kernels:
// 398 / 388 / 66;
// before Adam on packed moment groups: 459 / 437; before the ops that save without clones:
// 682 / 448; before the fused BatchNorm/activation/loss kernels: 1530 / 1066; before the fused
// Adam too: 3276 / 2243 / 118).
const STEP_BOUND = 290;
const STEP_DISPATCH_BOUND = 282;
// tfjs clones every tensor it saves for backprop (one Identity kernel each): 218 per step before
// src/pix2pix/tape.ts; the few left come from outside the model's ops.
const IDENTITY_BOUND = 8;
// An eval G pass with unchanged weights: BatchNorm folded into the conv weights (once per weight
// version), one FusedConv2D per down level and one Pix2PixUpConv per up level: 16 kernels (66
// before the folding; 39 with it but the up level as tfjs ops).
const INFER_BOUND = 16;

const test = suite('kernels per pix2pix step (UNet-256 topology, batch norm)');
let model: Pix2PixModel;
let a: tf.Tensor4D;
let b: tf.Tensor4D;

test.before(async () => {
  await initBackend('cpu');
  model = new Pix2PixModel({
    generator: { numDowns: 8, ngf: 1 },
    discriminator: { ndf: 1, nLayers: 3 },
  });
  a = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  b = tf.randomUniform([1, 256, 256, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  await model.trainStep(a, b);
});

test.after(() => {
  model.dispose();
  tf.dispose([a, b]);
});

test(`a training step stays below ${STEP_BOUND} kernels, Adam, BatchNorm and losses running fused kernels`, async () => {
  const { count } = await countKernels(() => model.trainStep(a, b));
  console.log(
    `# training step: ${count.total} kernels (${count.dispatching} launch GPU work); top: ${count.byKernel
      .slice(0, 6)
      .map(([n, c]) => `${n} ${c}`)
      .join(', ')}`,
  );
  assert.ok(
    count.total <= STEP_BOUND,
    `${count.total} kernels per step > ${STEP_BOUND}:\n${formatKernelCount(count)}`,
  );
  assert.ok(
    count.dispatching <= STEP_DISPATCH_BOUND,
    `${count.dispatching} dispatching kernels per step > ${STEP_DISPATCH_BOUND}`,
  );
  const identity = count.byKernel.find(([n]) => n === 'Identity')?.[1] ?? 0;
  assert.ok(identity <= IDENTITY_BOUND, `${identity} Identity kernels > ${IDENTITY_BOUND}`);
  // One Adam kernel per group of packed moments, not one per parameter.
  const groups = model.optG.groupCount + model.optD.groupCount;
  assert.ok(groups < model.G.trainable().length + model.D.trainable().length);
  assert.is(count.byKernel.find(([n]) => n === ADAM_KERNEL)?.[1], groups);
  // What the unfused Adam would add: Sqrt and RealDiv per parameter.
  assert.not.ok(
    count.byKernel.some(([n]) => n === 'Sqrt'),
    'an unfused Adam ran (Sqrt kernels)',
  );
  // One loss kernel each way per loss term (D fake, D real, G GAN, L1); no BatchNorm op chain.
  assert.is(count.byKernel.find(([n]) => n === LOSS_KERNEL)?.[1], 4);
  assert.is(count.byKernel.find(([n]) => n === LOSS_GRAD_KERNEL)?.[1], 4);
  assert.not.ok(
    count.byKernel.some(([n]) => n === 'Mean' || n === 'Log1p'),
    'an unfused BatchNorm or loss ran',
  );
  // G's forward runs once (as in the reference), D's three times: one statistics kernel per
  // BatchNorm layer and forward.
  const bnLayers = (keys: string[]) => keys.filter((k) => k.endsWith('.running_mean')).length;
  const gBn = bnLayers(model.G.specs.map((s) => s.key));
  const dBn = bnLayers(model.D.specs.map((s) => s.key));
  assert.is(count.byKernel.find(([n]) => n === BN_STATS_KERNEL)?.[1], gBn + 3 * dBn);
  // One running update per buffer and layer a step: D's three forwards' updates in one kernel.
  assert.is(count.byKernel.find(([n]) => n === BN_RUNNING_KERNEL)?.[1], 2 * (gBn + dBn));
  // Activation backwards, the skip concatenation's split and dropout (masks included) run as
  // fused kernels: one dropout kernel each way per dropout layer.
  assert.not.ok(
    count.byKernel.some(([n]) => n === 'Step' || n === 'SplitV'),
    `an unfused activation backward, concat split or dropout mask ran: ${formatKernelCount(count)}`,
  );
  const masks = dropoutShapes(model.options.generator, 1, 256, 256).size;
  assert.is(count.byKernel.find(([n]) => n === DROPOUT_KERNEL)?.[1], 2 * masks);
});

test(`an eval-mode generator pass stays below ${INFER_BOUND} kernels`, async () => {
  // Warm: the first pass after a weight change folds each BatchNorm into its conv (a few kernels
  // per layer, once per weight version); inference loops run the passes after it.
  tf.dispose(model.generate(a));
  const before = tf.memory().numTensors;
  const { count } = await countKernels(async () => {
    const y = model.generate(a);
    await y.data();
    y.dispose();
  });
  console.log(`# eval G pass: ${count.total} kernels`);
  const numDowns = model.options.generator.numDowns;
  assert.is(count.byKernel.find(([n]) => n === 'FusedConv2D')?.[1], numDowns);
  assert.is(count.byKernel.find(([n]) => n === UP_CONV_KERNEL)?.[1], numDowns);
  // No fold recomputed on a pass whose weights did not change.
  assert.not.ok(
    count.byKernel.some(([n]) => n === 'Multiply' || n === 'Rsqrt'),
    'a fold ran again',
  );
  assert.ok(
    count.total <= INFER_BOUND,
    `${count.total} kernels > ${INFER_BOUND}:\n${formatKernelCount(count)}`,
  );
  assert.is(tf.memory().numTensors, before);
});

test('the count does not depend on the width of the network', async () => {
  const wide = new Pix2PixModel({
    generator: { numDowns: 8, ngf: 2 },
    discriminator: { ndf: 2, nLayers: 3 },
  });
  try {
    await wide.trainStep(a, b);
    const w = (await countKernels(() => wide.trainStep(a, b))).count;
    const n = (await countKernels(() => model.trainStep(a, b))).count;
    assert.equal(w.byKernel, n.byKernel);
  } finally {
    wide.dispose();
  }
});

test.run();
