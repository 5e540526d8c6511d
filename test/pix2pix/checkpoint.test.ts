import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { CheckpointError, LimitError } from '../../src/core/errors.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import {
  saveCheckpoint,
  loadCheckpoint,
  restoreCheckpoint,
  checkpointToArtifacts,
  saveWeights,
  modelFromArtifacts,
} from '../../src/pix2pix/checkpoint.js';
import type { FsLike } from '../../src/core/io/index.js';
import type { TrainerState } from '../../src/pix2pix/trainer.js';

/** A trainer state with the given fields (the rest at a run's start). */
const trainerAt = (over: Partial<TrainerState>): TrainerState => ({
  epoch: 0,
  position: 0,
  step: 0,
  rng: [1, 2, 3, 4],
  history: [],
  ...over,
});

// numDowns 6 so one U-Net level has dropout (levels >= 4 except the innermost); batch norm.
const opts = { generator: { numDowns: 6, ngf: 4 }, discriminator: { ndf: 4, nLayers: 2 }, seed: 3 };
const dir = mkdtempSync(join(tmpdir(), 'p2p-ckpt-'));

function batch(i: number): [tf.Tensor4D, tf.Tensor4D] {
  return [
    tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 100 + i) as tf.Tensor4D,
    tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 200 + i) as tf.Tensor4D,
  ];
}
async function steps(m: Pix2PixModel, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const [a, b] = batch(i);
    await m.trainStep(a, b);
    tf.dispose([a, b]);
  }
}
/** Every variable of the model (params, running stats, Adam m/v) by name, as raw bits. */
async function snapshot(m: Pix2PixModel): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>();
  for (const [net, s] of [
    ['G', m.G],
    ['D', m.D],
  ] as const)
    for (const [k, v] of s.vars)
      out.set(`${net}/${k}`, new Uint32Array(((await v.data()) as Float32Array).slice().buffer));
  for (const [net, o] of [
    ['G', m.optG],
    ['D', m.optD],
  ] as const) {
    for (let i = 0; i < o.m.length; i++) {
      out.set(
        `opt${net}/m/${i}`,
        new Uint32Array(((await o.m[i].data()) as Float32Array).slice().buffer),
      );
      out.set(
        `opt${net}/v/${i}`,
        new Uint32Array(((await o.v[i].data()) as Float32Array).slice().buffer),
      );
    }
  }
  return out;
}
function bitwiseDiff(a: Map<string, Uint32Array>, b: Map<string, Uint32Array>): string[] {
  const bad: string[] = [];
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || y.length !== x.length || x.some((v, i) => v !== y[i])) bad.push(k);
  }
  return bad;
}

const ckpt = suite('checkpoints');
ckpt.before(async () => {
  await initBackend('cpu');
});
ckpt.after(() => rmSync(dir, { recursive: true, force: true }));

ckpt(
  'resuming from a checkpoint gives bitwise the same model as training straight through (dropout, batch norm)',
  async () => {
    const straight = new Pix2PixModel(opts);
    await steps(straight, 0, 4);

    const first = new Pix2PixModel(opts);
    await steps(first, 0, 2);
    const path = join(dir, 'resume.p2p');
    await saveCheckpoint(first, path, trainerAt({ step: 2 }));
    first.dispose();
    const { model: resumed, trainerState } = await loadCheckpoint(path);
    assert.equal(trainerState, trainerAt({ step: 2 }));
    assert.is(resumed.dropoutCounter, 2);
    assert.is(resumed.optG.step, 2);
    await steps(resumed, 2, 4);

    const diff = bitwiseDiff(await snapshot(straight), await snapshot(resumed));
    assert.equal(diff, [], `differs: ${diff.slice(0, 5).join(', ')}`);
    assert.equal([...resumed.G.counters], [...straight.G.counters]);
    assert.equal([...resumed.D.counters], [...straight.D.counters]);
    assert.is(resumed.dropoutCounter, straight.dropoutCounter);
    straight.dispose();
    resumed.dispose();
  },
);

ckpt('the resume test can fail: without the dropout counter the resumed run differs', async () => {
  const straight = new Pix2PixModel(opts);
  await steps(straight, 0, 3);
  const first = new Pix2PixModel(opts);
  await steps(first, 0, 2);
  const path = join(dir, 'resume2.p2p');
  await saveCheckpoint(first, path);
  first.dispose();
  const { model } = await loadCheckpoint(path);
  model.dropoutCounter = 0; // what a format without the counter would restore
  await steps(model, 2, 3);
  assert.ok(bitwiseDiff(await snapshot(straight), await snapshot(model)).length > 0);
  straight.dispose();
  model.dispose();
});

ckpt(
  'restoreCheckpoint loads into an existing model all or nothing and refuses another architecture, listing the differences',
  async () => {
    const m = new Pix2PixModel(opts);
    await steps(m, 0, 1);
    const path = join(dir, 'r.p2p');
    await saveCheckpoint(m, path, trainerAt({ epoch: 7 }));
    const other = new Pix2PixModel(opts);
    assert.equal(await restoreCheckpoint(other, path), trainerAt({ epoch: 7 }));
    assert.equal(bitwiseDiff(await snapshot(m), await snapshot(other)), []);
    const wrong = new Pix2PixModel({ ...opts, generator: { numDowns: 6, ngf: 8 } });
    const before = await snapshot(wrong);
    try {
      await restoreCheckpoint(wrong, path);
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, 'E_ARCHITECTURE');
      assert.match((e as Error).message, /generator\.ngf: checkpoint 4, model 8/);
    }
    assert.equal(bitwiseDiff(before, await snapshot(wrong)), []);
    const lr = new Pix2PixModel({ ...opts, train: { lr: 1e-3 } });
    try {
      await restoreCheckpoint(lr, path);
      assert.unreachable('strict restore should refuse another lr');
    } catch (e) {
      assert.match((e as Error).message, /train\.lr/);
    }
    await restoreCheckpoint(lr, path, { strict: false });
    for (const x of [m, other, wrong, lr]) x.dispose();
  },
);

/** fs/promises whose file writes fail after `limit` bytes: a crash in the middle of a save. */
function crashingFs(limit: number): FsLike {
  return {
    ...(fsp as unknown as FsLike),
    async open(path: string, flags: string) {
      const h = await fsp.open(path, flags);
      let written = 0;
      return {
        async write(
          buf: Uint8Array,
          offset = 0,
          length = buf.length - offset,
          position: number | null = null,
        ) {
          if (written + length > limit) {
            await h.write(buf, offset, Math.max(0, limit - written), position);
            throw Object.assign(new Error('simulated crash: ENOSPC'), { code: 'ENOSPC' });
          }
          written += length;
          return h.write(buf, offset, length, position);
        },
        sync: () => h.sync(),
        close: () => h.close(),
      };
    },
  };
}

ckpt(
  'a save that dies midway leaves the previous checkpoint loadable and no temp file behind',
  async () => {
    const m = new Pix2PixModel(opts);
    const path = join(dir, 'latest.p2p');
    await saveCheckpoint(m, path, trainerAt({ step: 0 }));
    const good = readFileSync(path);
    await steps(m, 0, 1);
    try {
      await saveCheckpoint(m, path, trainerAt({ step: 1 }), { fs: crashingFs(5000) });
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, 'E_IO_WRITE');
      assert.match((e as Error).message, /simulated crash.*previous file.*unchanged/);
    }
    assert.ok(Buffer.compare(good, readFileSync(path)) === 0, 'the target must be untouched');
    assert.equal(
      readdirSync(dir).filter((f) => f.includes('latest.p2p') && f.endsWith('.tmp')),
      [],
    );
    const { trainerState, model } = await loadCheckpoint(path);
    assert.equal(trainerState, trainerAt({ step: 0 }));
    model.dispose();
    m.dispose();
  },
);

ckpt(
  'a truncated, bit-flipped or foreign file gives a CheckpointError that says what is wrong',
  async () => {
    const m = new Pix2PixModel(opts);
    const path = join(dir, 'c.p2p');
    await saveCheckpoint(m, path);
    const bytes = readFileSync(path);
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      [
        'truncated',
        bytes.subarray(0, bytes.length - 1000),
        'E_CHECKPOINT_TRUNCATED',
        /truncated: \d+ bytes, expected \d+/,
      ],
      [
        'flipped',
        (() => {
          const b = Uint8Array.from(bytes);
          b[b.length >> 1] ^= 4;
          return b;
        })(),
        'E_CHECKPOINT_CORRUPT',
        /CRC32/,
      ],
      [
        'pth',
        readFileSync(
          join(process.env.PIX2PIX_ROOT ?? '.', 'test/fixtures/golden/unet64_batch/G.pth'),
        ),
        'E_CHECKPOINT_FORMAT',
        /PyTorch \.pth/,
      ],
      ['empty', new Uint8Array(0), 'E_CHECKPOINT_FORMAT', /empty file/],
    ];
    for (const [name, data, codeWanted, msg] of cases) {
      const p = join(dir, `bad-${name}.p2p`);
      writeFileSync(p, data);
      try {
        await loadCheckpoint(p);
        assert.unreachable(name);
      } catch (e) {
        assert.instance(e, CheckpointError, name);
        assert.is((e as CheckpointError).code, codeWanted, name);
        assert.match((e as Error).message, msg);
      }
    }
    try {
      await loadCheckpoint(join(dir, 'nope.p2p'));
      assert.unreachable();
    } catch (e) {
      assert.is((e as CheckpointError).code, 'E_IO_NOT_FOUND');
    }
    m.dispose();
  },
);

ckpt(
  'goes through a tfjs IOHandler (tf.io.withSaveHandler / fromMemory) as ModelArtifacts',
  async () => {
    const m = new Pix2PixModel(opts);
    await steps(m, 0, 1);
    let saved: tf.io.ModelArtifacts | undefined;
    await saveCheckpoint(
      m,
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      trainerAt({ step: 5 }),
    );
    assert.ok(
      saved?.weightSpecs?.some(
        (s) => s.name === 'optG/v/model.model.0.weight' && s.group === 'optimizer',
      ),
    );
    const { model, trainerState } = await loadCheckpoint(tf.io.fromMemory(saved!));
    assert.equal(trainerState, trainerAt({ step: 5 }));
    assert.equal(bitwiseDiff(await snapshot(m), await snapshot(model)), []);
    m.dispose();
    model.dispose();
  },
);

ckpt(
  'web weights in the model.json layout load back as the generator, and a model.json save replaces its weights file',
  async () => {
    const m = new Pix2PixModel(opts);
    await steps(m, 0, 1);
    const json = join(dir, 'web', 'model.json');
    await saveWeights(m, json, { dtype: 'float16' });
    await steps(m, 1, 2);
    await saveWeights(m, json, { dtype: 'float16' });
    const files = readdirSync(join(dir, 'web'));
    assert.is(
      files.filter((f) => f.endsWith('.bin')).length,
      1,
      `old weights file removed: ${files}`,
    );
    const { model, meta } = await loadCheckpoint(json);
    assert.is(meta.kind, 'weights');
    assert.is(meta.dtype, 'float16');
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const [y0, y1] = [m.generate(x), model.generate(x)];
    const err = tf.tidy(() => tf.div(tf.norm(tf.sub(y0, y1)), tf.norm(y0)).dataSync()[0]);
    assert.ok(err > 0 && err < 1e-2, `float16 relative error ${err}`);
    tf.dispose([x, y0, y1]);
    m.dispose();
    model.dispose();
  },
);

ckpt('saving and loading leaks no tensors', async () => {
  const m = new Pix2PixModel(opts);
  const path = join(dir, 'leak.p2p');
  await saveCheckpoint(m, path);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await saveCheckpoint(m, path);
    await restoreCheckpoint(m, path);
    await checkpointToArtifacts(m);
  }
  assert.is(tf.memory().numTensors, before);
  m.dispose();
});

ckpt.run();

const hostile = suite('checkpoints with options that do not match their weights');

/** The artifacts of a small model's checkpoint with its saved generator options replaced. */
async function withGenerator(
  generator: Record<string, unknown>,
): Promise<Parameters<typeof modelFromArtifacts>[0]> {
  await initBackend('cpu');
  const m = new Pix2PixModel(opts);
  const a = await checkpointToArtifacts(m, trainerAt({}));
  m.dispose();
  const meta = (
    a.userDefinedMetadata as { pix2pix: { options: { generator: Record<string, unknown> } } }
  ).pix2pix;
  meta.options.generator = { ...meta.options.generator, ...generator };
  return a;
}

hostile(
  'options saying ngf 4096 over small weights are refused before the model is built',
  async () => {
    const a = await withGenerator({ ngf: 4096 });
    const before = tf.memory().numBytes;
    try {
      await modelFromArtifacts(a);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, LimitError, String((e as Error)?.stack ?? e));
      assert.is((e as LimitError).code, 'E_LIMIT');
      assert.match((e as Error).message, /refused before building/);
    }
    assert.is(tf.memory().numBytes, before, 'no variable was allocated');
  },
);

hostile(
  'options that imply other weight shapes are refused before the model is built',
  async () => {
    const a = await withGenerator({ ngf: 6 });
    const before = tf.memory().numBytes;
    try {
      await modelFromArtifacts(a);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, CheckpointError, String((e as Error)?.stack ?? e));
      assert.is((e as CheckpointError).code, 'E_CHECKPOINT_CORRUPT');
      assert.match((e as Error).message, /Checked before building the model/);
    }
    assert.is(tf.memory().numBytes, before, 'no variable was allocated');
  },
);

hostile.run();
