import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPix2Pix, CheckpointError, writePict } from '../../src/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { modelFromWeights, saveWeights } from '../../src/pix2pix/checkpoint.js';
import { fixture } from '../support/env.js';

const img = {
  data: Uint8ClampedArray.from({ length: 64 * 64 * 4 }, (_, i) => (i * 37) % 251),
  width: 64,
  height: 64,
};
const dir = mkdtempSync(join(tmpdir(), 'p2p-weights-'));

const mw = suite('createPix2Pix({ weights }) / modelFromWeights');
mw.after(() => rmSync(dir, { recursive: true, force: true }));

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  mw(
    `builds the golden ${cfg} generator from G.pth and G_legacy.pth alone and translates as an explicitly configured model`,
    async () => {
      const path = fixture('golden', cfg, 'G.pth');
      const norm = cfg.endsWith('batch') ? 'batch' : 'instance';
      const explicit = await createPix2Pix({
        backend: 'cpu',
        generator: { numDowns: 6, ngf: 8, norm },
      });
      await explicit.loadPth(readFileSync(path));
      const want = await explicit.translate(img);
      for (const weights of [
        path,
        new Uint8Array(readFileSync(fixture('golden', cfg, 'G_legacy.pth'))),
        readFileSync(path).buffer.slice(0) as ArrayBuffer,
      ]) {
        const p = await createPix2Pix({ backend: 'cpu', weights });
        assert.is(p.options.generator.ngf, 8);
        assert.is(p.options.generator.norm, norm);
        assert.is(p.mode, 'eval');
        assert.equal((await p.translate(img)).data, want.data);
        await p.dispose();
      }
      await explicit.dispose();
    },
  );
}

mw('keeps explicit generator options and reports a mismatch with the weights', async () => {
  try {
    await createPix2Pix({
      backend: 'cpu',
      weights: fixture('golden', 'unet64_batch', 'G.pth'),
      generator: { numDowns: 6, ngf: 16 },
    });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.match((e as Error).message, /size mismatch|shape/i);
  }
});

mw('loads web weights (model.json) and .pict bytes; .pict defaults to mode "paper"', async () => {
  const m = new Pix2PixModel({ generator: { numDowns: 5, ngf: 4 } });
  const json = join(dir, 'w', 'model.json');
  await saveWeights(m, json, { dtype: 'uint8' });
  const p = await createPix2Pix({ backend: 'cpu', weights: json });
  assert.equal(p.options.generator, m.options.generator);
  await p.dispose();
  const pict = writePict([
    ...[1, 2, 3, 4, 5].flatMap((k) => {
      const c = (i: number) => 4 * Math.min(2 ** (i - 1), 8);
      const inC = k === 1 ? 3 : c(k - 1);
      const outC = k === 1 ? 3 : c(k - 1);
      const inD = k === 5 ? c(k) : 2 * c(k);
      const t = (name: string, shape: number[], v = 0.01) => ({
        name: `generator/${name}`,
        shape,
        data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
      });
      return [
        t(`encoder_${k}/conv2d/kernel`, [4, 4, inC, c(k)]),
        t(`decoder_${k}/conv2d_transpose/kernel`, [4, 4, outC, inD]),
        ...(k > 1
          ? [
              t(`encoder_${k}/batch_normalization/gamma`, [c(k)], 1),
              t(`encoder_${k}/batch_normalization/beta`, [c(k)]),
              t(`decoder_${k}/batch_normalization/gamma`, [outC], 1),
              t(`decoder_${k}/batch_normalization/beta`, [outC]),
            ]
          : []),
      ];
    }),
  ]);
  const q = await createPix2Pix({ backend: 'cpu', weights: pict });
  assert.is(q.mode, 'paper');
  assert.is(q.options.generator.dropout, false);
  const out = await q.translate({
    data: new Uint8ClampedArray(32 * 32 * 4),
    width: 32,
    height: 32,
  });
  assert.is(out.width, 32);
  await q.dispose();
  m.dispose();
});

mw('refuses bytes of an unknown kind, naming what they look like', async () => {
  try {
    await modelFromWeights(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.match((e as Error).message, /Unrecognised weights \(9 bytes starting 01 02/);
  }
});

mw.run();
