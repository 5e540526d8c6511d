import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/core/tf.js';
import {
  createPix2Pix,
  readPth,
  DisposedError,
  ShapeError,
  ValueError,
  StateDictMismatchError,
  LimitError,
} from '../src/index.js';
import { fixture } from './support/env.js';

const api = suite('createPix2Pix');
const opts = { generator: { numDowns: 6, ngf: 8 }, discriminator: { ndf: 8 } } as const;

api('says which backend it chose and why', async () => {
  const p = await createPix2Pix({ ...opts, backend: ['wasm', 'cpu'] });
  assert.is(p.backendInfo.name, 'wasm');
  assert.type(p.backendInfo.reason, 'string');
  await p.dispose();
});

api('translates an image of any size to RGBA of the same size', async () => {
  const p = await createPix2Pix({ ...opts, backend: 'cpu' });
  const out = await p.translate({
    data: new Uint8ClampedArray(100 * 70 * 4).fill(128),
    width: 100,
    height: 70,
  });
  assert.is(out.width, 100);
  assert.is(out.height, 70);
  assert.is(out.data.length, 100 * 70 * 4);
  assert.is(out.data[3], 255);
  await p.dispose();
});

api('a golden G.pth loaded through the API reproduces the reference output', async () => {
  const p = await createPix2Pix({
    ...opts,
    generator: { ...opts.generator, dropout: false },
    backend: 'cpu',
  });
  await p.loadPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  const a = new Float32Array(
    readFileSync(fixture('golden', 'unet64_batch', 'input__real_A.f32')).buffer.slice(0),
  );
  // NCHW -> HWC
  const hwc = new Float32Array(64 * 64 * 3);
  for (let c = 0; c < 3; c++) for (let i = 0; i < 64 * 64; i++) hwc[i * 3 + c] = a[c * 64 * 64 + i];
  const out = await p.translateFloat({ data: hwc, width: 64, height: 64, channels: 3 });
  const ref = new Float32Array(
    readFileSync(fixture('golden', 'unet64_batch', 'forward__G_eval.f32')).buffer.slice(0),
  );
  let num = 0,
    den = 0;
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < 64 * 64; i++) {
      num += (out.data[i * 3 + c] - ref[c * 4096 + i]) ** 2;
      den += ref[c * 4096 + i] ** 2;
    }
  assert.ok(Math.sqrt(num / den) < 1e-4, `rel err ${Math.sqrt(num / den)}`);
  await p.dispose();
});

api('exported .pth weights load back into a fresh model exactly', async () => {
  const p = await createPix2Pix({ ...opts, backend: 'cpu', seed: 1 });
  const bytes = await p.exportPth('G');
  const sd = readPth(bytes);
  assert.ok(sd.has('model.model.1.model.2.num_batches_tracked'));
  const q = await createPix2Pix({ ...opts, backend: 'cpu', seed: 2 });
  await q.loadPth(bytes);
  assert.equal(readPth(await q.exportPth('G')), sd);
  await Promise.all([p.dispose(), q.dispose()]);
});

api(
  'a checkpoint of another architecture is refused with the missing and unexpected keys',
  async () => {
    const p = await createPix2Pix({ generator: { numDowns: 7, ngf: 8 }, backend: 'cpu' });
    try {
      await p.loadPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, StateDictMismatchError);
      assert.match(
        (e as Error).message,
        /Missing key\(s\): "model\.model\.1\.model\.3\.model\.3\.model\.3\.model\.3\.model\.2\.weight"/,
      );
    }
    await p.dispose();
    const q = await createPix2Pix({ generator: { numDowns: 6, ngf: 16 }, backend: 'cpu' });
    try {
      await q.loadPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, StateDictMismatchError);
      assert.match(
        (e as Error).message,
        /Size mismatch: for model\.model\.0\.weight: copying a param with shape \[8, 3, 4, 4\] from checkpoint, the shape in current model is \[16, 3, 4, 4\]/,
      );
    }
    await q.dispose();
  },
);

api('bad images give clear errors', async () => {
  const p = await createPix2Pix({ ...opts, backend: 'cpu' });
  const nan = new Float32Array(64 * 64 * 3);
  nan[5] = NaN;
  try {
    await p.translate({ data: nan, width: 64, height: 64, channels: 3 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ValueError);
    assert.match((e as Error).message, /index 5 is NaN/);
  }
  try {
    await p.translate({ data: new Uint8ClampedArray(10), width: 64, height: 64 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ShapeError);
  }
  try {
    await p.trainStep(
      { data: new Uint8ClampedArray(48 * 48 * 4), width: 48, height: 48 },
      { data: new Uint8ClampedArray(48 * 48 * 4), width: 48, height: 48 },
    );
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ShapeError);
    assert.match((e as Error).message, /multiples of 64/);
  }
  await p.dispose();
});

api('dispose is idempotent, frees every tensor, and later calls reject', async () => {
  const before = tf.memory().numTensors;
  const p = await createPix2Pix({ ...opts, backend: 'cpu' });
  await p.translate({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 });
  await p.dispose();
  await p.dispose();
  assert.is(tf.memory().numTensors, before);
  try {
    await p.translate({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DisposedError);
  }
});

api(
  'trains on a dataset with progress and checkpoints, and resumes from the checkpoint',
  async () => {
    const { mkdtempSync, rmSync, existsSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'p2p-api-'));
    const size = 64;
    const pairs = [0, 1, 2].map((i) => {
      const a = new Float32Array(size * size * 3).map((_, k) => Math.sin(k * 0.01 + i));
      return {
        a,
        b: a.map((v) => -v),
        width: size,
        height: size,
        channelsA: 3,
        channelsB: 3,
        name: `p${i}`,
      };
    });
    const ds = { size: pairs.length, get: async (i: number) => pairs[i] };
    const p = await createPix2Pix({ ...opts, backend: 'cpu' });
    const steps: number[] = [];
    const target = join(dir, 'latest.ckpt');
    const st = await p.train(ds, {
      nEpochs: 1,
      nEpochsDecay: 1,
      preprocess: { preprocess: 'none', flip: false },
      maxSteps: 4,
      onProgress: (e) => steps.push(e.step),
      checkpoint: { every: 1, target },
    });
    assert.equal(steps, [1, 2, 3, 4]);
    assert.ok(existsSync(target));
    const q = await createPix2Pix({ ...opts, backend: 'cpu' });
    const st2 = await q.train(ds, {
      nEpochs: 1,
      nEpochsDecay: 1,
      preprocess: { preprocess: 'none', flip: false },
      resumeFrom: target,
    });
    assert.is(st2.step, 6);
    assert.equal(
      st2.history.slice(0, 4).map((h) => h.G_L1),
      st.history.map((h) => h.G_L1),
    );
    await Promise.all([p.dispose(), q.dispose()]);
    rmSync(dir, { recursive: true, force: true });
  },
);

api(
  'translate refuses a non-image with a TypeError and an image above maxPixels with a LimitError',
  async () => {
    const p2p = await createPix2Pix({ generator: { numDowns: 6, ngf: 8 }, backend: 'cpu' });
    try {
      for (const bad of [null, undefined, 3, { width: 4 }]) {
        try {
          await p2p.translate(bad as never);
          assert.unreachable();
        } catch (e) {
          assert.instance(e, TypeError, String((e as Error)?.stack ?? e));
          assert.match((e as Error).message, /translate\(image\) needs an image/);
        }
      }
      try {
        await p2p.translate({ data: new Uint8ClampedArray(4), width: 16000, height: 8000 });
        assert.unreachable();
      } catch (e) {
        assert.instance(e, LimitError, String((e as Error)?.stack ?? e));
        assert.is((e as LimitError).code, 'E_LIMIT');
      }
      try {
        await p2p.translate(
          { data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 },
          { maxPixels: 1000 },
        );
        assert.unreachable();
      } catch (e) {
        assert.instance(e, LimitError, String((e as Error)?.stack ?? e));
      }
      assert.is(
        (await p2p.translate({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 }))
          .width,
        64,
      );
    } finally {
      await p2p.dispose();
    }
  },
);

/** Awaits `p` and returns its rejection, checking the class and that the message matches. */
async function rejection(
  p: Promise<unknown> | (() => Promise<unknown>),
  Ctor: new (...a: never[]) => Error,
  re: RegExp,
): Promise<Error> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.instance(e, Ctor, String((e as Error)?.stack ?? e));
    assert.match((e as Error).message, re);
    return e as Error;
  }
  assert.unreachable(`expected ${Ctor.name} matching ${re}`);
  throw new Error('unreachable');
}

api('invalid options are refused with a named TypeError or RangeError', async () => {
  const small = { generator: { numDowns: 6, ngf: 4 }, backend: 'cpu' as const };
  const cases: [Record<string, unknown>, new (...a: never[]) => Error, RegExp][] = [
    [{ mode: 'bogus' }, TypeError, /Unsupported mode: "bogus"\. Should be one of: "eval", "paper"/],
    [{ train: { beta1: 5 } }, RangeError, /"train\.beta1" must be a number from 0 .* to 1/],
    [{ train: { beta2: 1 } }, RangeError, /"train\.beta2"/],
    [{ generator: null }, TypeError, /Option "generator" must be an object/],
    [{ discriminator: 7 }, TypeError, /Option "discriminator" must be an object/],
    [{ train: [] }, TypeError, /Option "train" must be an object/],
    [
      { generator: { numDowns: 6, ngf: 4, dropout: 'no' } },
      TypeError,
      /"generator\.dropout" must be true or false/,
    ],
    [{ purpose: 'fun' }, TypeError, /Unsupported purpose: "fun"/],
    [{ key: 3 }, TypeError, /Option "key" must be the name/],
    [{ weights: null }, TypeError, /Option "weights" is null/],
  ];
  for (const [opts, Ctor, re] of cases)
    await rejection(createPix2Pix({ ...small, ...opts } as never), Ctor, re);
  await rejection(createPix2Pix(null as never), TypeError, /options must be an object/);

  const p2p = await createPix2Pix(small);
  try {
    const img = { data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 };
    await rejection(
      p2p.loadPth(new Uint8Array(8), 'X' as never),
      TypeError,
      /Unsupported network for loadPth\(source, net\): "X"\. Should be one of: "G" \(generator\), "D"/,
    );
    await rejection(
      p2p.exportPth('Q' as never),
      TypeError,
      /Unsupported network for exportPth\(net\): "Q"/,
    );
    await rejection(
      p2p.loadPth(null as never),
      TypeError,
      /loadPth\(source\) needs the bytes of a \.pth/,
    );
    await rejection(
      p2p.loadPth(new Uint8Array(8), 'G', { key: 5 } as never),
      TypeError,
      /Option "key"/,
    );
    await rejection(
      p2p.loadPth(new Uint8Array(8), 'G', { strict: 'yes' } as never),
      TypeError,
      /Option "strict"/,
    );
    await rejection(p2p.translate(null as never), TypeError, /translate\(image\) needs an image/);
    await rejection(
      p2p.translate(img, { mode: 'bogus' } as never),
      TypeError,
      /Unsupported translate option "mode": "bogus"/,
    );
    await rejection(
      p2p.translate(img, { maxPixels: NaN }),
      RangeError,
      /"maxPixels" must be a number >= 1/,
    );
    await rejection(
      p2p.train(
        { size: 1, get: async () => ({}) as never },
        { checkpoint: { every: 0, target: 'x.ckpt' } },
      ),
      RangeError,
      /"checkpoint\.every" must be a positive integer/,
    );
    // Nothing above changed the model.
    assert.is((await p2p.translate(img)).width, 64);
  } finally {
    await p2p.dispose();
  }
});

api('loadPth takes the reader limits readPth takes', async () => {
  const p2p = await createPix2Pix({ generator: { numDowns: 6, ngf: 4 }, backend: 'cpu' });
  try {
    const bytes = await p2p.exportPth('G');
    const e = await rejection(
      p2p.loadPth(bytes, 'G', { limits: { maxElements: 10 } }),
      LimitError,
      /maxElements/,
    );
    assert.is((e as LimitError).code, 'E_LIMIT');
    await rejection(
      p2p.loadPth(bytes, 'G', { limits: { maxOpcodes: -1 } }),
      RangeError,
      /Limit "maxOpcodes"/,
    );
    await p2p.loadPth(bytes, 'G', { limits: { maxElements: 2 ** 20 } });
  } finally {
    await p2p.dispose();
  }
});

api(
  'a 4-input-channel model translates and trains on RGBA images, alpha as its fourth channel',
  async () => {
    const p2p = await createPix2Pix({
      generator: { numDowns: 5, ngf: 4, inputChannels: 4, outputChannels: 4 },
      backend: 'cpu',
    });
    try {
      const rgba = (alpha: number) => ({
        data: new Uint8ClampedArray(32 * 32 * 4).map((_, i) =>
          (i & 3) === 3 ? alpha : (i * 7) & 255,
        ),
        width: 32,
        height: 32,
      });
      const out = await p2p.translate(rgba(255));
      assert.equal([out.width, out.height, out.data.length], [32, 32, 32 * 32 * 4]);
      // The alpha channel is an input: changing it changes the output.
      const other = await p2p.translate(rgba(0));
      assert.not.equal(Array.from(out.data), Array.from(other.data));
      // The fourth output channel is the output's alpha (not forced opaque).
      const f = await p2p.translateFloat(rgba(255));
      assert.is(f.channels, 4);
      assert.is(out.data[3], Math.round((Math.min(1, Math.max(-1, f.data[3])) + 1) * 127.5));
      const losses = await p2p.trainStep(rgba(255), rgba(128));
      assert.ok(Number.isFinite(losses.G_L1));
      await rejection(
        p2p.translate({
          data: new Uint8ClampedArray(32 * 32 * 3),
          width: 32,
          height: 32,
          channels: 3,
        }),
        ShapeError,
        /Cannot convert a 3-channel image to the model's 4 input channels: .*RGBA/,
      );
    } finally {
      await p2p.dispose();
    }
  },
);

api('saves web weights that a new model loads back, and says what its weights were', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2p-save-weights-'));
  try {
    const p = await createPix2Pix({ ...opts, backend: 'cpu' });
    assert.is(p.loadedWeights, undefined, 'no weights given');
    const x = { data: new Uint8ClampedArray(64 * 64 * 4).fill(90), width: 64, height: 64 };
    const y = await p.translate(x);
    await p.saveWeights(join(dir, 'model.json'), { dtype: 'float16' });
    await p.dispose();
    const q = await createPix2Pix({ backend: 'cpu', weights: join(dir, 'model.json') });
    assert.equal(q.loadedWeights, { kind: 'weights', differences: [] });
    assert.is(q.options.generator.ngf, 8);
    const y2 = await q.translate(x);
    const worst = y.data.reduce((w, v, i) => Math.max(w, Math.abs(v - y2.data[i]!)), 0);
    assert.ok(worst <= 2, `float16 weights translate within 2/255 of float32 (${worst})`);
    await q.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

api.run();
