import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { generatorForward } from '../../src/pix2pix/generator.js';
import { foldedConv } from '../../src/pix2pix/fold.js';
import type { StateDict } from '../../src/core/state-dict.js';

// A small U-Net whose BatchNorms do something: random gamma/beta and running statistics far from
// (0, 1), so a fold that is missing, stale or wrong shows in the output.
const OPTS = { generator: { numDowns: 5, ngf: 4 }, discriminator: { ndf: 4 }, seed: 3 };
const SIZE = 32;
const DOWN = 'model.model.1.model.1'; // level 1's down conv
const DOWN_NORM = 'model.model.1.model.2';

function randomizeNorms(model: Pix2PixModel, seed: number): void {
  let i = 0;
  for (const spec of model.G.specs) {
    const v = model.G.get(spec.key);
    const r = (lo: number, hi: number) => tf.randomUniform(v.shape, lo, hi, 'float32', seed + i++);
    if (spec.key.endsWith('.running_mean')) v.assign(r(-0.5, 0.5));
    else if (spec.key.endsWith('.running_var')) v.assign(r(0.2, 3));
    else if (spec.kind === 'vector') v.assign(r(-1, 1.5));
  }
}

/** Eval output of the layer-by-layer graph (no folding). */
function unfolded(model: Pix2PixModel, x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() =>
    generatorForward(model.G, model.options.generator, x, {
      batchStats: false,
      updateStats: false,
      fold: false,
    }),
  );
}

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

const test = suite('eval BatchNorm folded into conv weights');
let x: tf.Tensor4D;

test.before(async () => {
  await initBackend('cpu');
  x = tf.randomUniform([2, SIZE, SIZE, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
});
test.after(() => x.dispose());

test('eval output of the folded path matches the layer-by-layer graph', async () => {
  const model = new Pix2PixModel(OPTS);
  randomizeNorms(model, 100);
  const y = model.generate(x);
  const ref = unfolded(model, x);
  const d = await maxDiff(y, ref);
  console.log(`# cpu: folded vs layer-by-layer, max |diff| ${d.toExponential(2)}`);
  assert.ok(d < 2e-6, `folded and unfolded eval outputs differ by ${d}`);
  // Not trivially equal: the norms move the output.
  const plain = new Pix2PixModel(OPTS);
  const y0 = plain.generate(x);
  assert.ok((await maxDiff(y, y0)) > 1e-2);
  tf.dispose([y, ref, y0]);
  plain.dispose();
  model.dispose();
});

test('folds once per weight version: repeated evals reuse the folded tensors', async () => {
  const model = new Pix2PixModel(OPTS);
  const a = foldedConv(model.G, DOWN, 'conv', false, 'batch', DOWN_NORM);
  const b = foldedConv(model.G, DOWN, 'conv', false, 'batch', DOWN_NORM);
  assert.ok(a.filter === b.filter && a.bias === b.bias);
  const before = tf.memory().numTensors;
  tf.dispose([model.generate(x), model.generate(x)]);
  // Each folded BatchNorm keeps a filter and a bias; the one folded above is not made again.
  assert.is(tf.memory().numTensors, before + 2 * (model.G.derivedCount - 1));
  model.dispose();
});

test('a weight assigned directly invalidates its fold', async () => {
  const model = new Pix2PixModel(OPTS);
  randomizeNorms(model, 200);
  tf.dispose(model.generate(x));
  const old = foldedConv(model.G, DOWN, 'conv', false, 'batch', DOWN_NORM);
  model.G.assign(`${DOWN_NORM}.running_var`, tf.fill([8], 4));
  const y = model.generate(x);
  const ref = unfolded(model, x);
  assert.ok((await maxDiff(y, ref)) < 2e-6, 'the eval output used a stale fold');
  assert.ok(old.filter.isDisposed, 'the stale folded filter was not freed');
  tf.dispose([y, ref]);
  model.dispose();
});

test('a training step and a weight load each invalidate the folds', async () => {
  const model = new Pix2PixModel(OPTS);
  randomizeNorms(model, 300);
  const b = tf.randomUniform([2, SIZE, SIZE, 3], -1, 1, 'float32', 10) as tf.Tensor4D;
  tf.dispose(model.generate(x));
  await model.trainStep(x, b);
  let y = model.generate(x);
  let ref = unfolded(model, x);
  assert.ok((await maxDiff(y, ref)) < 2e-6, 'stale fold after a training step');
  tf.dispose([y, ref]);

  const other = new Pix2PixModel({ ...OPTS, seed: 4 });
  randomizeNorms(other, 400);
  const sd: StateDict = await other.stateDict('G');
  model.loadStateDict('G', sd);
  y = model.generate(x);
  ref = unfolded(other, x);
  assert.ok((await maxDiff(y, ref)) < 2e-6, 'stale fold after loading weights');
  tf.dispose([y, ref, b]);
  other.dispose();
  model.dispose();
});

test('dispose frees the folded tensors', () => {
  const before = tf.memory().numTensors;
  const model = new Pix2PixModel(OPTS);
  tf.dispose(model.generate(x));
  assert.ok(model.G.derivedCount > 0);
  model.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('the folded eval on wasm matches the layer-by-layer graph on cpu', async () => {
  const cpuModel = new Pix2PixModel(OPTS);
  randomizeNorms(cpuModel, 500);
  const sd = await cpuModel.stateDict('G');
  const ref = unfolded(cpuModel, x);
  const refData = await ref.data();
  tf.dispose(ref);
  cpuModel.dispose();
  await initBackend('wasm');
  try {
    const model = new Pix2PixModel(OPTS);
    model.loadStateDict('G', sd);
    const xw = tf.tensor4d(await x.data(), x.shape);
    for (let run = 0; run < 4; run++) {
      // Several runs: the wasm kernels switch to cached weight layouts after a few uses.
      const y = model.generate(xw);
      const d = await maxDiff(y, tf.tensor(refData, y.shape));
      if (run === 3)
        console.log(`# wasm folded vs cpu layer-by-layer, max |diff| ${d.toExponential(2)}`);
      assert.ok(d < 1e-5, `run ${run}: wasm folded eval differs from cpu by ${d}`);
      y.dispose();
    }
    xw.dispose();
    model.dispose();
  } finally {
    await initBackend('cpu');
  }
});

test.run();
