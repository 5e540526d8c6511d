import * as assert from 'uvu/assert';
import { suite, measure } from './support/runner.js';
import {
  decodeBrowserImage,
  splitPair,
  browserPairedDataset,
} from '../../src/core/browser-image.js';
import { DatasetError } from '../../src/core/errors.js';
import { initBackend } from '../../src/backends/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { trainLoop } from '../../src/pix2pix/trainer.js';

/** An A|B canvas: A is a dark square on white, B its inverse. */
function pairCanvas(w: number, h: number): OffscreenCanvas {
  const c = new OffscreenCanvas(w * 2, h);
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#000';
  ctx.fillRect(w / 4, h / 4, w / 2, h / 2);
  ctx.fillStyle = '#000';
  ctx.fillRect(w, 0, w, h);
  ctx.fillStyle = '#fff';
  ctx.fillRect(w + w / 4, h / 4, w / 2, h / 2);
  return c;
}

const s = suite('browser image inputs and datasets');

s(
  'decodes a PNG File, a Blob URL, ImageData, an ImageBitmap and a canvas to the same pixels',
  async () => {
    const canvas = pairCanvas(32, 32);
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const file = new File([blob], 'pair.png', { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    const bmp = await createImageBitmap(canvas);
    const data = canvas.getContext('2d')!.getImageData(0, 0, 64, 32);
    const outs = await Promise.all([
      decodeBrowserImage(file),
      decodeBrowserImage(url),
      decodeBrowserImage(data),
      decodeBrowserImage(bmp),
      decodeBrowserImage(canvas),
    ]);
    for (const o of outs) {
      assert.is(o.width, 64);
      assert.is(o.height, 32);
      assert.equal(Array.from(o.data.slice(0, 8)), Array.from(outs[0].data.slice(0, 8)));
    }
    URL.revokeObjectURL(url);
  },
);

s('splits an A|B image into input and target in [-1, 1], and BtoA swaps them', async () => {
  const img = await decodeBrowserImage(pairCanvas(32, 32));
  const p = splitPair(img, { name: 'x', inputChannels: 1, outputChannels: 1 });
  assert.is(p.width, 32);
  assert.is(p.a[0], 1); // white corner of A
  assert.is(p.b[0], -1); // black corner of B
  assert.is(p.a[16 * 32 + 16], -1); // dark square in A
  const q = splitPair(img, { direction: 'BtoA', inputChannels: 1, outputChannels: 1 });
  assert.equal(Array.from(q.a), Array.from(p.b));
});

s(
  'an odd width, an unreadable file and a 404 URL give DatasetErrors that name the file',
  async () => {
    const odd = { data: new Uint8ClampedArray(33 * 8 * 4), width: 33, height: 8, channels: 4 };
    assert.throws(
      () => splitPair(odd, { name: 'odd.png' }),
      (e: Error) =>
        e instanceof DatasetError &&
        /"odd\.png" is 33x8: an A\|B pair needs an even width/.test(e.message),
    );
    try {
      await decodeBrowserImage(
        new File([new Uint8Array([1, 2, 3])], 'broken.png', { type: 'image/png' }),
      );
      assert.unreachable();
    } catch (e) {
      assert.instance(e, DatasetError);
      assert.match((e as Error).message, /Cannot decode "broken\.png"/);
    }
    try {
      await decodeBrowserImage(new URL('/fixtures/nope.png', location.href).href);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, DatasetError);
      assert.match((e as Error).message, /HTTP 404/);
    }
  },
);

s('trains a few steps in the page on files the user would drop', async () => {
  await initBackend('wasm');
  const files = await Promise.all(
    [0, 1, 2].map(
      async (i) =>
        new File([await pairCanvas(32, 32).convertToBlob()], `p${i}.png`, { type: 'image/png' }),
    ),
  );
  const ds = browserPairedDataset(files, { inputChannels: 1, outputChannels: 1 });
  const model = new Pix2PixModel({
    generator: { numDowns: 5, ngf: 4, inputChannels: 1, outputChannels: 1 },
    discriminator: { ndf: 4, nLayers: 2 },
  });
  const state = await trainLoop(model, ds, {
    nEpochs: 2,
    nEpochsDecay: 0,
    preprocess: { preprocess: 'none', flip: false },
  });
  assert.is(state.step, 6);
  measure(
    'G_L1 first -> last step',
    `${state.history[0].G_L1.toFixed(2)} -> ${state.history[5].G_L1.toFixed(2)}`,
  );
  model.dispose();
});

s.run();
