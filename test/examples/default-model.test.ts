import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { modelFromWeights } from '../../src/pix2pix/checkpoint.js';
import { openPairedDataset } from '../../src/node/dataset.js';
import { resizeBicubic } from '../../src/pix2pix/preprocess.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { ROOT } from '../support/env.js';

const t = suite('the shipped default model');

t(
  'loads from its 8-bit web weights and writes held-out characters in the brush style',
  async () => {
    await initBackend('wasm');
    const { model } = await modelFromWeights(join(ROOT, 'examples/models/fonts128-u8/model.json'));
    const g = model.options.generator;
    assert.equal([g.numDowns, g.ngf, g.inputChannels, g.outputChannels], [7, 16, 1, 1]);
    const untrained = new Pix2PixModel({ generator: { ...g } });
    // The shipped 64x64 held-out split, upscaled to the model's 128x128.
    const ds = await openPairedDataset({
      root: join(ROOT, 'data/fonts-zi2zi'),
      phase: 'test',
      inputChannels: 1,
      outputChannels: 1,
    });
    let l1 = 0,
      l1Untrained = 0,
      n = 0;
    for (let i = 0; i < 8; i++) {
      const s = await ds.get(i);
      const a = resizeBicubic({ data: s.a, width: 64, height: 64, channels: 1 }, 128, 128).data;
      const b = resizeBicubic({ data: s.b, width: 64, height: 64, channels: 1 }, 128, 128).data;
      const x = tf.tensor4d(a, [1, 128, 128, 1]);
      const [y, u] = [model.generate(x), untrained.generate(x)];
      const [yd, ud] = [(await y.data()) as Float32Array, (await u.data()) as Float32Array];
      tf.dispose([x, y, u]);
      for (let j = 0; j < yd.length; j++) {
        l1 += Math.abs(yd[j] - b[j]);
        l1Untrained += Math.abs(ud[j] - b[j]);
        n++;
      }
    }
    console.log(
      `# default model, 8 held-out characters (64 px upscaled to 128): L1 ${(l1 / n).toFixed(3)} vs ${(l1Untrained / n).toFixed(3)} untrained`,
    );
    assert.ok(l1 / n < 0.4, `L1 ${l1 / n}`);
    assert.ok(l1 / n < 0.5 * (l1Untrained / n));
    model.dispose();
    untrained.dispose();
  },
);

t.run();
