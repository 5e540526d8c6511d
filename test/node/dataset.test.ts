import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { findDefaultDataset, openPairedDataset } from '../../src/node/dataset.js';
import { iterateEpoch, stackPairs } from '../../src/pix2pix/batches.js';
import { preprocessSample, resolvePreprocessOptions } from '../../src/pix2pix/preprocess.js';
import { ROOT } from '../support/env.js';

const DATA = join(ROOT, 'data', 'fonts-zi2zi');
const meanAbsDiff = (x: Float32Array, y: Float32Array): number =>
  x.reduce((s, v, i) => s + Math.abs(v - y[i]), 0) / x.length;

const shipped = suite('shipped fonts-zi2zi dataset');

shipped('has 500 train and 100 held-out test pairs of 64x64 gray glyphs', async () => {
  const train = await openPairedDataset({
    root: DATA,
    phase: 'train',
    inputChannels: 1,
    outputChannels: 1,
  });
  const test = await openPairedDataset({
    root: DATA,
    phase: 'test',
    inputChannels: 1,
    outputChannels: 1,
  });
  assert.is(train.size, 500);
  assert.is(test.size, 100);
  assert.is(train.layout, 'aligned');
  const trainSet = new Set(train.names);
  assert.ok(
    test.names.every((n) => !trainSet.has(n)),
    'no test name in train',
  );
  // chars.tsv agrees with the folders, and no character appears twice.
  const rows = readFileSync(join(DATA, 'chars.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'));
  assert.is(rows.length, 600);
  assert.is(new Set(rows.map((r) => r[1])).size, 600);
  assert.equal(
    rows
      .filter((r) => r[4] === 'test')
      .map((r) => r[0])
      .sort(),
    [...test.names],
  );
  for (const ds of [train, test]) {
    for (const i of [0, ds.size - 1]) {
      const s = await ds.get(i);
      assert.equal(
        [s.width, s.height, s.channelsA, s.channelsB, s.a.length, s.b.length],
        [64, 64, 1, 1, 4096, 4096],
      );
      for (const half of [s.a, s.b]) {
        const min = Math.min(...half);
        const max = Math.max(...half);
        assert.ok(min >= -1 && max <= 1, 'values in [-1, 1]');
        assert.ok(min < -0.9 && max > 0.99, `black ink on white: [${min}, ${max}]`);
        // Background is white: most pixels are near 1, and the border row is blank.
        assert.ok(half.filter((v) => v > 0.9).length > 2048);
        assert.ok(half.subarray(0, 64).every((v) => v > 0.9));
      }
      assert.ok(meanAbsDiff(s.a, s.b) > 0.05, `A and B differ for ${s.name}`);
    }
  }
});

shipped('findDefaultDataset finds it from the test bundle location', () => {
  assert.is(findDefaultDataset(), DATA);
  assert.is(findDefaultDataset(join(ROOT, 'src', 'node')), DATA);
  assert.throws(
    () => findDefaultDataset('/'),
    (e: Error) => e instanceof DatasetError && /was not found above "\/"/.test(e.message),
  );
});

shipped('BtoA swaps input and target; RGB by default replicates the gray', async () => {
  const ab = await (
    await openPairedDataset({ root: DATA, phase: 'test', inputChannels: 1, outputChannels: 1 })
  ).get(3);
  const ba = await (
    await openPairedDataset({
      root: DATA,
      phase: 'test',
      direction: 'BtoA',
      inputChannels: 1,
      outputChannels: 1,
    })
  ).get(3);
  assert.equal(Array.from(ba.a), Array.from(ab.b));
  assert.equal(Array.from(ba.b), Array.from(ab.a));
  const rgb = await (await openPairedDataset({ root: DATA, phase: 'test', maxSize: 5 })).get(3);
  assert.is(rgb.channelsA, 3);
  for (let p = 0; p < 4096; p += 97)
    for (let c = 0; c < 3; c++) assert.is(rgb.a[3 * p + c], ab.a[p]);
});

shipped('streams seeded, augmented batches deterministically', async () => {
  const ds = await openPairedDataset({
    root: DATA,
    phase: 'train',
    inputChannels: 1,
    outputChannels: 1,
  });
  const opts = resolvePreprocessOptions({ loadSize: 72, cropSize: 64 });
  const run = async () => {
    const rng = new Rng(1);
    const out: { names: string[]; sum: number; shape: number[] }[] = [];
    for await (const batch of iterateEpoch(ds, {
      batchSize: 4,
      seed: 7,
      epoch: 0,
      map: (s) => preprocessSample(s, opts, rng),
    })) {
      const { a, b, shapeA } = stackPairs(batch.samples);
      out.push({
        names: batch.samples.map((s) => s.name),
        sum: a.reduce((x, y) => x + y, 0) + b.reduce((x, y) => x + y, 0),
        shape: shapeA,
      });
      if (out.length === 3) break;
    }
    return out;
  };
  const first = await run();
  assert.equal(first[0].shape, [4, 64, 64, 1]);
  assert.equal(await run(), first);
});

const errors = suite('dataset errors');
let tmp = '';
errors.before.each(() => {
  tmp = mkdtempSync(join(tmpdir(), 'p2p-ds-'));
});
errors.after.each(() => rmSync(tmp, { recursive: true, force: true }));

const png = (w: number, h: number, v = 128): Promise<Buffer> =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: v, g: v, b: v } } })
    .png()
    .toBuffer();
async function put(path: string, data: Buffer | Promise<Buffer>): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, await data);
}
async function rejects(
  p: Promise<unknown>,
  ...patterns: (string | RegExp)[]
): Promise<DatasetError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, DatasetError);
    assert.is((e as DatasetError).code, 'E_DATASET');
    for (const pat of patterns) assert.match((e as Error).message, pat);
    return e as DatasetError;
  }
  assert.unreachable('expected a DatasetError');
  throw new Error('unreachable');
}

errors(
  'a corrupt PNG opens fine and fails at its get(), naming the file; validate() lists it',
  async () => {
    await put(join(tmp, 'train', 'good.png'), png(8, 4));
    await put(join(tmp, 'train', 'bad.png'), Buffer.from('\x89PNG\r\n\x1a\n not really'));
    const ds = await openPairedDataset({ root: tmp });
    assert.equal(ds.names, ['bad.png', 'good.png']);
    await rejects(ds.get(0), `Cannot read image "${join(tmp, 'train', 'bad.png')}"`);
    assert.is((await ds.get(1)).width, 4);
    const issues = await ds.validate();
    assert.equal(
      issues.map((i) => i.name),
      ['bad.png'],
    );
    assert.match(issues[0].error.message, 'bad.png');
  },
);

errors('an odd-width A|B image is refused, naming the file and its size', async () => {
  await put(join(tmp, 'train', 'odd.png'), png(9, 4));
  const ds = await openPairedDataset({ root: tmp });
  await rejects(ds.get(0), `"${join(tmp, 'train', 'odd.png')}" is 9x4`, /must have an even width/);
  assert.equal(
    (await ds.validate()).map((i) => i.name),
    ['odd.png'],
  );
});

errors('an empty folder, or a missing root, is refused at open', async () => {
  mkdirSync(join(tmp, 'train'));
  writeFileSync(join(tmp, 'train', 'notes.txt'), 'not an image');
  await rejects(
    openPairedDataset({ root: tmp }),
    `No images in "${join(tmp, 'train')}"`,
    /\.png, \.jpg/,
  );
  await rejects(
    openPairedDataset({ root: join(tmp, 'nope') }),
    /does not exist or is not a folder/,
  );
  await rejects(openPairedDataset({ root: tmp, phase: 'val' }), /No dataset for phase "val"/);
});

errors('two-folder layout pairs files by name and checks sizes per pair', async () => {
  await put(join(tmp, 'A', 'train', 'x.png'), png(6, 4, 0));
  await put(
    join(tmp, 'B', 'train', 'x.jpg'),
    sharp({ create: { width: 6, height: 4, channels: 3, background: '#fff' } })
      .jpeg()
      .toBuffer(),
  );
  await put(join(tmp, 'A', 'train', 'y.png'), png(6, 4));
  await put(join(tmp, 'B', 'train', 'y.png'), png(6, 5));
  const ds = await openPairedDataset({ root: tmp, inputChannels: 1, outputChannels: 3 });
  assert.is(ds.layout, 'two-folder');
  assert.equal(ds.names, ['x.png', 'y.png']);
  const x = await ds.get(0);
  assert.equal([x.width, x.height, x.channelsA, x.channelsB], [6, 4, 1, 3]);
  assert.ok(x.a.every((v) => v === -1) && x.b.every((v) => v > 0.95));
  await rejects(
    ds.get(1),
    `"${join(tmp, 'A', 'train', 'y.png')}" is 6x4`,
    `"${join(tmp, 'B', 'train', 'y.png')}" is 6x5`,
    /same size/,
  );
  assert.equal(
    (await ds.validate()).map((i) => i.name),
    ['y.png'],
  );
  const ba = await (await openPairedDataset({ root: tmp, direction: 'BtoA' })).get(0);
  assert.ok(ba.a.every((v) => v > 0.95) && ba.b.every((v) => v === -1));
});

errors('a file without a counterpart is refused at open, naming it', async () => {
  await put(join(tmp, 'train', 'A', 'x.png'), png(4, 4));
  await put(join(tmp, 'train', 'B', 'x.png'), png(4, 4));
  await put(join(tmp, 'train', 'A', 'only-a.png'), png(4, 4));
  await rejects(
    openPairedDataset({ root: tmp }),
    /1 file\(s\) without a counterpart/,
    `"${join(tmp, 'train', 'A', 'only-a.png')}" has no counterpart "${join(tmp, 'train', 'B', 'only-a')}.*"`,
  );
  await put(join(tmp, 'train', 'B', 'x.jpg'), png(4, 4));
  await rejects(
    openPairedDataset({ root: tmp, layout: 'two-folder' }),
    /same name without extension/,
  );
});

errors('bad options are TypeError/RangeError naming the option', async () => {
  for (const [opts, Ctor, re] of [
    [
      { root: tmp, direction: 'AB' },
      TypeError,
      /Unsupported direction: "AB"\. Should be one of: "AtoB", "BtoA"/,
    ],
    [{ root: tmp, inputChannels: 2 }, RangeError, /"inputChannels" must be 1 or 3/],
    [{ root: tmp, layout: 'zip' }, TypeError, /Unsupported layout/],
    [{ root: tmp, phaseFallback: 'no' }, TypeError, /"phaseFallback" must be true or false/],
    [{ root: tmp, phase: '../x' }, TypeError, /"phase" must be the name of a split folder/],
  ] as const) {
    try {
      await openPairedDataset(opts as never);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, Ctor);
      assert.match((e as Error).message, re);
    }
  }
  await put(join(tmp, 'train', 'p.png'), png(4, 2));
  const ds = await openPairedDataset({ root: tmp });
  try {
    await ds.get(1);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
  }
});

const noisy = (w: number, h: number): ReturnType<typeof sharp> =>
  sharp({
    create: {
      width: w,
      height: h,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });

errors('validate() decodes every file fully: truncated PNGs and JPEGs are listed', async () => {
  const fullPng = await noisy(64, 32).png().toBuffer();
  const fullJpg = await noisy(64, 32).jpeg().toBuffer();
  // Headers intact, pixels cut: a header-only check passes these.
  await put(join(tmp, 'train', 'a-cut.png'), fullPng.subarray(0, Math.floor(fullPng.length * 0.6)));
  await put(join(tmp, 'train', 'b-cut.jpg'), fullJpg.subarray(0, Math.floor(fullJpg.length * 0.6)));
  await put(join(tmp, 'train', 'c-good.png'), fullPng);
  await put(join(tmp, 'train', 'd-good.jpg'), fullJpg);
  const ds = await openPairedDataset({ root: tmp });
  const issues = await ds.validate();
  assert.equal(
    issues.map((i) => i.name),
    ['a-cut.png', 'b-cut.jpg'],
  );
  for (const i of issues) {
    assert.instance(i.error, DatasetError);
    assert.match(i.error.message, `Cannot read image "${join(tmp, 'train', i.name)}"`);
  }
  // Two-folder layout: a truncated B half is caught too.
  await put(join(tmp, 'two', 'A', 'x.png'), fullPng);
  await put(join(tmp, 'two', 'B', 'x.png'), fullPng.subarray(0, fullPng.length - 200));
  const two = await openPairedDataset({ root: join(tmp, 'two') });
  assert.equal(
    (await two.validate()).map((i) => i.name),
    ['x.png'],
  );
});

errors(
  'symbolic links to images inside the folder are followed, others listed as skipped',
  async () => {
    await put(join(tmp, 'pool', 'p.png'), png(8, 4));
    await put(join(tmp, 'outside.png'), png(8, 4));
    await put(join(tmp, 'data', 'train', 'real.png'), png(8, 4));
    symlinkSync(join(tmp, 'data', 'train', 'real.png'), join(tmp, 'data', 'train', 'inside.png'));
    symlinkSync(join(tmp, 'outside.png'), join(tmp, 'data', 'train', 'out.png'));
    symlinkSync(join(tmp, 'nowhere.png'), join(tmp, 'data', 'train', 'broken.png'));
    symlinkSync(join(tmp, 'pool'), join(tmp, 'data', 'train', 'linked-dir'));
    const ds = await openPairedDataset({ root: join(tmp, 'data') });
    assert.equal(ds.names, ['inside.png', 'real.png']);
    assert.is((await ds.get(0)).width, 4);
    assert.equal(ds.skipped.map((s) => s.name).sort(), ['broken.png', 'linked-dir', 'out.png']);
    const why = Object.fromEntries(ds.skipped.map((s) => [s.name, s.error.message]));
    assert.match(why['out.png'], /points outside the dataset folder/);
    assert.match(why['broken.png'], /does not exist/);
    assert.match(why['linked-dir'], /linked folder/);
    // A folder of nothing but outside links says why it is empty.
    mkdirSync(join(tmp, 'links', 'train'), { recursive: true });
    symlinkSync(join(tmp, 'outside.png'), join(tmp, 'links', 'train', 'o.png'));
    await rejects(openPairedDataset({ root: join(tmp, 'links') }), /symbolic link\(s\) not used/);
  },
);

errors(
  'an evaluation split without a phase folder is an error, not the training images',
  async () => {
    await put(join(tmp, 'train', 'x.png'), png(8, 4));
    const train = await openPairedDataset({ root: tmp });
    assert.is(train.phase, 'train');
    // The default fallback reads the folder itself (and so the training images) for a missing phase...
    const fallback = await openPairedDataset({ root: tmp, phase: 'test' });
    assert.is(fallback.phase, null);
    // ...which an evaluation split refuses.
    await rejects(
      openPairedDataset({ root: tmp, phase: 'test', phaseFallback: false }),
      /No "test" split/,
    );
    await put(join(tmp, 'two', 'A', 'x.png'), png(4, 4));
    await put(join(tmp, 'two', 'B', 'x.png'), png(4, 4));
    assert.is((await openPairedDataset({ root: join(tmp, 'two'), phase: 'test' })).phase, null);
    await rejects(
      openPairedDataset({ root: join(tmp, 'two'), phase: 'test', phaseFallback: false }),
      /No "test" split/,
    );
    await put(join(tmp, 'two', 'A', 'test', 'y.png'), png(4, 4));
    await put(join(tmp, 'two', 'B', 'test', 'y.png'), png(4, 4));
    const test = await openPairedDataset({
      root: join(tmp, 'two'),
      phase: 'test',
      phaseFallback: false,
    });
    assert.is(test.phase, 'test');
    assert.equal(test.names, ['y.png']);
  },
);

shipped.run();
errors.run();
