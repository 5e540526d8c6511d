import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { resolveModelOptions } from '../../src/pix2pix/config.js';
import { ShapeError, DisposedError } from '../../src/core/errors.js';

const small = { generator: { numDowns: 5, ngf: 4 }, discriminator: { ndf: 4, nLayers: 2 } };

const model = suite('Pix2PixModel');
model.before(async () => {
  await initBackend('cpu');
});

model(
  'rejects an image size the U-Net cannot halve numDowns times, naming the sizes that work',
  () => {
    const m = new Pix2PixModel(small);
    const x = tf.zeros([1, 48, 40, 3]) as tf.Tensor4D;
    try {
      m.generate(x);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, ShapeError);
      assert.match((e as Error).message, /48x40/);
      assert.match((e as Error).message, /multiples of 32 \(e\.g\. 32, 64, 128\)/);
    } finally {
      x.dispose();
      m.dispose();
    }
  },
);

model('rejects a wrong channel count and a non-4-D input', () => {
  const m = new Pix2PixModel(small);
  const x = tf.zeros([1, 32, 32, 4]) as tf.Tensor4D;
  const y = tf.zeros([32, 32, 3]);
  assert.throws(
    () => m.generate(x),
    (e: Error) => e instanceof ShapeError && /4 channels but the model expects 3/.test(e.message),
  );
  assert.throws(
    () => m.generate(y as unknown as tf.Tensor4D),
    (e: Error) => e instanceof ShapeError && /4-D NHWC/.test(e.message),
  );
  x.dispose();
  y.dispose();
  m.dispose();
});

model('rejects A and B of different sizes in a training step', async () => {
  const m = new Pix2PixModel(small);
  const a = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
  const b = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
  try {
    await m.trainStep(a, b);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ShapeError);
    assert.match((e as Error).message, /same batch size, height and width/);
  }
  tf.dispose([a, b]);
  m.dispose();
});

model('validates options with the option name and the valid values', () => {
  assert.throws(
    () => resolveModelOptions({ generator: { norm: 'group' as never } }),
    /Unsupported generator\.norm: "group"\. Should be one of: "batch", "instance", "none"/,
  );
  assert.throws(
    () => resolveModelOptions({ generator: { ngf: 0 } }),
    (e: Error) => e instanceof RangeError && /generator\.ngf/.test(e.message),
  );
  assert.throws(
    () => resolveModelOptions({ train: { lr: -1 } }),
    (e: Error) => e instanceof RangeError && /train\.lr/.test(e.message),
  );
});

model('has the paper defaults', () => {
  const o = resolveModelOptions();
  assert.equal(
    [o.generator.numDowns, o.generator.ngf, o.generator.norm, o.generator.dropout],
    [8, 64, 'batch', true],
  );
  assert.equal(
    [o.discriminator.ndf, o.discriminator.nLayers, o.discriminator.inputChannels],
    [64, 3, 6],
  );
  assert.equal(
    [o.train.lr, o.train.beta1, o.train.beta2, o.train.epsilon, o.train.lambdaL1, o.train.ganMode],
    [2e-4, 0.5, 0.999, 1e-8, 100, 'vanilla'],
  );
});

model(
  'UNet-256 ngf 64 and the 70x70 PatchGAN have the reference parameter counts (54.414 M, 2.769 M)',
  () => {
    // The counts the reference prints for unet_256 / basic D with batch norm.
    const m = new Pix2PixModel({});
    assert.is((m.G.countParams() / 1e6).toFixed(3), '54.414');
    assert.is((m.D.countParams() / 1e6).toFixed(3), '2.769');
    m.dispose();
  },
);

model('50 training steps leave the number of tensors unchanged', async () => {
  const m = new Pix2PixModel({ ...small, generator: { ...small.generator, dropout: true } });
  const a = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const b = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  await m.trainStep(a, b); // first step allocates nothing lasting, but warm up anyway
  const before = tf.memory().numTensors;
  let last = { G_L1: 0 };
  for (let i = 0; i < 50; i++) last = await m.trainStep(a, b);
  assert.is(tf.memory().numTensors, before);
  assert.ok(Number.isFinite(last.G_L1));
  tf.dispose([a, b]);
  m.dispose();
});

model('training lowers the L1 loss on a fixed pair', async () => {
  const m = new Pix2PixModel({ ...small, seed: 3, train: { lr: 2e-3 } });
  // A smooth image and its negative: a mapping a small U-Net learns in a few dozen steps.
  const a = tf.tidy(() =>
    tf.image.resizeBilinear(
      tf.randomUniform([1, 4, 4, 3], -1, 1, 'float32', 5) as tf.Tensor4D,
      [32, 32],
    ),
  ) as tf.Tensor4D;
  const b = tf.tidy(() => tf.neg(a)) as tf.Tensor4D;
  const first = await m.trainStep(a, b);
  let last = first;
  for (let i = 0; i < 30; i++) last = await m.trainStep(a, b);
  assert.ok(last.G_L1 < first.G_L1 * 0.8, `L1 ${first.G_L1} -> ${last.G_L1}`);
  tf.dispose([a, b]);
  m.dispose();
});

model('paper mode uses dropout and batch statistics; eval mode is deterministic', () => {
  const m = new Pix2PixModel({ generator: { numDowns: 6, ngf: 4 }, discriminator: { ndf: 4 } });
  const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
  const e1 = m.generate(x, 'eval');
  const e2 = m.generate(x, 'eval');
  const p1 = m.generate(x, 'paper');
  const p2 = m.generate(x, 'paper');
  assert.is(tf.max(tf.abs(tf.sub(e1, e2))).dataSync()[0], 0);
  assert.ok(
    tf.max(tf.abs(tf.sub(p1, p2))).dataSync()[0] > 1e-4,
    'dropout masks differ between calls',
  );
  assert.ok(tf.max(tf.abs(tf.sub(e1, p1))).dataSync()[0] > 1e-4);
  tf.dispose([x, e1, e2, p1, p2]);
  m.dispose();
});

model('a disposed model refuses work with a clear error', () => {
  const m = new Pix2PixModel(small);
  m.dispose();
  m.dispose();
  const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D;
  assert.throws(
    () => m.generate(x),
    (e: Error) => e instanceof DisposedError,
  );
  x.dispose();
});

model.run();
