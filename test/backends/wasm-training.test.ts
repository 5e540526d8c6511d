import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { openPairedDataset } from '../../src/node/dataset.js';
import { stackPairs } from '../../src/pix2pix/batches.js';
import { ROOT } from '../support/env.js';
import { join } from 'node:path';

const t = suite('training on wasm');

t(
  'trains end to end on real font pairs: the L1 loss falls, and the step time is reported against cpu',
  async () => {
    const ds = await openPairedDataset({
      root: join(ROOT, 'data/fonts-zi2zi'),
      phase: 'train',
      inputChannels: 1,
      outputChannels: 1,
    });
    const samples = await Promise.all([0, 1, 2, 3].map((i) => ds.get(i)));
    const { a, b, shapeA, shapeB } = stackPairs(samples);
    const opts = {
      generator: { numDowns: 6, ngf: 8, inputChannels: 1, outputChannels: 1 },
      discriminator: { ndf: 8 },
      seed: 1,
      train: { lr: 1e-3 },
    };
    const timing: Record<string, number> = {};
    const l1: Record<string, number[]> = {};
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      const model = new Pix2PixModel(opts);
      const ta = tf.tensor4d(a, shapeA);
      const tb = tf.tensor4d(b, shapeB);
      const steps = backend === 'wasm' ? 40 : 3;
      l1[backend] = [];
      await model.trainStep(ta, tb); // warm-up (kernel compilation, allocation)
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) l1[backend].push((await model.trainStep(ta, tb)).G_L1);
      timing[backend] = (performance.now() - t0) / steps;
      tf.dispose([ta, tb]);
      model.dispose();
    }
    const first = l1.wasm.slice(0, 5).reduce((x, y) => x + y) / 5;
    const last = l1.wasm.slice(-5).reduce((x, y) => x + y) / 5;
    console.log(
      `# wasm training, 4 font pairs 64x64, ngf 8, batch 4: G_L1 ${first.toFixed(2)} -> ${last.toFixed(2)} over 40 steps; step ${timing.wasm.toFixed(0)} ms on wasm vs ${timing.cpu.toFixed(0)} ms on cpu (${(timing.cpu / timing.wasm).toFixed(1)}x)`,
    );
    assert.ok(last < first * 0.7, `L1 ${first} -> ${last}`);
    // The same first step on both backends gives the same losses (same weights, same data).
    assert.ok(
      Math.abs(l1.wasm[0] - l1.cpu[0]) / l1.cpu[0] < 1e-4,
      `first-step L1 wasm ${l1.wasm[0]} vs cpu ${l1.cpu[0]}`,
    );
  },
);

t.run();
