import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { trainLoop, lrFactor, type TrainProgress } from '../../src/pix2pix/trainer.js';
import type { PairSample } from '../../src/pix2pix/preprocess.js';
import { Rng } from '../../src/core/rng.js';
import { AbortError } from '../../src/core/errors.js';

/** Smooth random pairs (B = a fixed function of A) that a small U-Net can learn. */
function syntheticSource(n: number, size = 32) {
  const rng = new Rng(42);
  const items: PairSample[] = [];
  for (let i = 0; i < n; i++) {
    const a = new Float32Array(size * size * 3);
    const fx = rng.float() * 0.3,
      fy = rng.float() * 0.3,
      ph = rng.float() * 6;
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) a[(y * size + x) * 3 + c] = Math.sin(fx * x + fy * y + ph + c);
    const b = a.map((v) => -v * 0.8);
    items.push({ a, b, width: size, height: size, channelsA: 3, channelsB: 3, name: `s${i}` });
  }
  return { size: n, get: async (i: number) => items[i] };
}

const opts = { generator: { numDowns: 5, ngf: 4 }, discriminator: { ndf: 4, nLayers: 2 }, seed: 7 };
const pre = { preprocess: 'resize_and_crop' as const, loadSize: 36, cropSize: 32, flip: true };

const t = suite('trainLoop');
t.before(async () => {
  await initBackend('cpu');
});

t('the learning rate is constant for nEpochs then decays linearly toward zero', () => {
  assert.equal(
    [0, 1, 2, 3, 4, 5].map((e) => lrFactor(e, 2, 3)),
    [1, 1, 0.75, 0.5, 0.25, 1 - 4 / 4].slice(0, 5).concat([0]),
  );
  assert.is(lrFactor(99, 100, 100), 1);
  assert.is(lrFactor(100, 100, 100), 1 - 1 / 101);
});

t(
  'runs every epoch and batch, reports progress, and applies the schedule to both optimizers',
  async () => {
    const m = new Pix2PixModel(opts);
    const events: TrainProgress[] = [];
    const saved: number[] = [];
    const state = await trainLoop(m, syntheticSource(5), {
      nEpochs: 1,
      nEpochsDecay: 2,
      batchSize: 2,
      preprocess: pre,
      onProgress: (p) => events.push(p),
      checkpoint: {
        every: 2,
        save: async (s) => {
          saved.push(s.epoch);
        },
      },
    });
    assert.is(state.step, 9); // 3 epochs x ceil(5 / 2)
    assert.is(state.epoch, 3);
    assert.is(events.length, 9);
    assert.equal(
      events.map((e) => e.batchInEpoch),
      [1, 2, 3, 1, 2, 3, 1, 2, 3],
    );
    assert.equal(
      [...new Set(events.map((e) => e.lr))],
      [2e-4, 2e-4 * (1 - 1 / 3), 2e-4 * (1 - 2 / 3)],
    );
    assert.is(m.optG.lrScale, 1 - 2 / 3);
    assert.equal(saved, [2, 3]);
    assert.ok(events.every((e) => Number.isFinite(e.losses.G_L1) && e.imagesPerSecond > 0));
    assert.is(events[8].etaSeconds, 0);
    m.dispose();
  },
);

t(
  'a run stopped after some steps and resumed from its state equals an uninterrupted run',
  async () => {
    const src = syntheticSource(3);
    const common = { nEpochs: 2, nEpochsDecay: 1, batchSize: 1, preprocess: pre };
    const straight = new Pix2PixModel(opts);
    const s1 = await trainLoop(straight, src, common);
    const resumed = new Pix2PixModel(opts);
    const part = await trainLoop(resumed, src, { ...common, maxSteps: 4 }); // stops inside epoch 1
    assert.is(part.step, 4);
    assert.is(part.position, 1);
    const s2 = await trainLoop(resumed, src, { ...common, resume: part });
    assert.is(s2.step, s1.step);
    assert.equal(
      s2.history.map((h) => h.G_L1),
      s1.history.map((h) => h.G_L1),
    );
    const a = await straight.stateDict('G');
    const b = await resumed.stateDict('G');
    for (const [k, v] of a) assert.equal(b.get(k)!.data, v.data, k);
    straight.dispose();
    resumed.dispose();
  },
);

t('validation samples come at the requested cadence with input, output and target', async () => {
  const m = new Pix2PixModel(opts);
  const sets: number[] = [];
  await trainLoop(m, syntheticSource(4), {
    nEpochs: 1,
    nEpochsDecay: 0,
    preprocess: pre,
    validation: {
      source: syntheticSource(2),
      every: 2,
      count: 2,
      onSamples: (s) => {
        sets.push(s.step);
        assert.is(s.samples.length, 2);
        assert.is(s.samples[0].output.data.length, 32 * 32 * 3);
      },
    },
  });
  assert.equal(sets, [2, 4]);
  m.dispose();
});

t('an abort stops training between steps with an AbortError and leaks nothing', async () => {
  const m = new Pix2PixModel(opts);
  const before = tf.memory().numTensors;
  const ac = new AbortController();
  let steps = 0;
  try {
    await trainLoop(m, syntheticSource(6), {
      nEpochs: 5,
      nEpochsDecay: 0,
      preprocess: pre,
      signal: ac.signal,
      onProgress: () => {
        if (++steps === 3) ac.abort();
      },
    });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, AbortError);
  }
  assert.is(steps, 3);
  assert.is(tf.memory().numTensors, before);
  m.dispose();
});

/** Pairs of several sizes, in the order given (e.g. [32, 64, 32]). */
function mixedSource(sizes: number[]) {
  const items = sizes.map((size, i) => {
    const a = new Float32Array(size * size * 3).map((_, k) => Math.sin(k * 0.01 + i));
    return {
      a,
      b: a.map((v) => -v),
      width: size,
      height: size,
      channelsA: 3,
      channelsB: 3,
      name: `m${i}`,
    };
  });
  return { size: items.length, get: async (i: number) => items[i] as PairSample };
}

t(
  'a batch of mixed sizes runs one step per size; a mixed held-out split is translated',
  async () => {
    const m = new Pix2PixModel(opts);
    const events: TrainProgress[] = [];
    const outs: number[][] = [];
    const state = await trainLoop(m, mixedSource([32, 64, 32, 64]), {
      nEpochs: 1,
      nEpochsDecay: 0,
      batchSize: 4,
      preprocess: { preprocess: 'none', flip: false },
      onProgress: (p) => events.push(p),
      validation: {
        // 40 and 20 are not multiples of 2^numDowns: padded and cropped back, as translate() does.
        source: mixedSource([32, 40, 20]),
        every: 1,
        count: 3,
        onSamples: (s) => {
          outs.push(s.samples.map((x) => x.output.data.length));
          for (const x of s.samples) assert.ok(x.output.data.every(Number.isFinite));
        },
      },
    });
    // One batch of 4 samples in two sizes: two steps, one per size.
    assert.is(state.step, 2);
    assert.is(state.position, 0);
    assert.is(state.epoch, 1);
    assert.equal(
      events.map((e) => e.batchInEpoch),
      [1, 1],
    );
    assert.ok(events.every((e) => Number.isFinite(e.losses.G_L1)));
    assert.equal(outs, [
      [32 * 32 * 3, 40 * 40 * 3, 20 * 20 * 3],
      [32 * 32 * 3, 40 * 40 * 3, 20 * 20 * 3],
    ]);
    m.dispose();
  },
);

t.run();
