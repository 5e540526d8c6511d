// PyTorch as a live partner (test/support/torch_reference.py): every .pth pix2pix-ts writes
// (exportPth, convert, train; G and D) loads with torch.load(weights_only=True) +
// load_state_dict(strict=True) and gives our outputs; every form PyTorch writes (zip, legacy,
// DataParallel, {'state_dict': ...}, float16, a checkpoint dict under other keys, a PyTorch-0.3
// instance-norm file) gives PyTorch's outputs here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/core/tf.js';
import type { Tensor4D } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { createPix2Pix } from '../../src/index.js';
import { readPth } from '../../src/core/pth/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { modelFromWeights } from '../../src/pix2pix/checkpoint.js';
import { inferDiscriminatorOptions } from '../../src/pix2pix/infer-arch.js';
import { relL2 } from '../../src/pix2pix/golden.js';
import { convertCommand } from '../../src/cli/convert.js';
import { trainCommand } from '../../src/cli/train.js';
import { fixture, ROOT } from '../support/env.js';
import { torchPython, runReference, f32 } from '../support/torch.js';
import { runCommand, tinyTrainArgs } from '../support/cli.js';

type Cfg = {
  num_downs: number;
  ngf: number;
  ndf?: number;
  n_layers?: number;
  norm?: string;
  input_nc?: number;
  output_nc?: number;
  size: number;
};
/** Our float32 against PyTorch's float32 on the same weights: only the order of sums differs. */
const BOUND = 2e-5;

const python = torchPython('PyTorch interop tests');
const dir = mkdtempSync(join(tmpdir(), 'p2p-torch-interop-'));
const read = (p: string) => new Uint8Array(readFileSync(p));

const nhwc = (data: Float32Array, shape: number[]): Tensor4D =>
  tf.tidy(() =>
    tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
async function nchw(x: Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const d = (await t.data()) as Float32Array;
  tf.dispose([t, x]);
  return d;
}
function randomNCHW(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform(shape, -1, 1, 'float32', seed).dataSync() as Float32Array);
}

/** PyTorch's eval output of a file we wrote, on an NCHW input. */
function torchOutput(pth: string, net: 'G' | 'D', cfg: Cfg, input: Float32Array): Float32Array {
  const inp = `${pth}.in.f32`;
  const out = `${pth}.torch.f32`;
  writeFileSync(inp, input);
  const info = JSON.parse(
    runReference(python!, ['check', pth, net, JSON.stringify(cfg), inp, out]),
  );
  assert.ok(info.keys > 0);
  return f32(read(out));
}

async function oursG(
  model: Pix2PixModel,
  input: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const x = nhwc(input, shape);
  try {
    return await nchw(model.generate(x, 'eval'));
  } finally {
    x.dispose();
  }
}
async function oursD(
  model: Pix2PixModel,
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
): Promise<Float32Array> {
  const [x, y] = [nhwc(a, aShape), nhwc(b, bShape)];
  try {
    return await nchw(model.discriminate(x, y, false));
  } finally {
    tf.dispose([x, y]);
  }
}
/** A model holding D of a state dict (G of matching channels). */
function dModel(bytes: Uint8Array, inC: number, outC: number, key?: string): Pix2PixModel {
  const sd = readPth(bytes, { key });
  const d = inferDiscriminatorOptions(sd);
  const m = new Pix2PixModel({
    generator: { numDowns: 5, ngf: 2, inputChannels: inC, outputChannels: outC },
    discriminator: { ndf: d.ndf, nLayers: d.nLayers, norm: d.norm },
  });
  m.loadStateDict('D', sd);
  return m;
}

/** Writes G and D, checks both in PyTorch against our outputs. */
async function checkPair(gPath: string, dPath: string, cfg: Cfg, what: string): Promise<void> {
  const inC = cfg.input_nc ?? 3;
  const outC = cfg.output_nc ?? 3;
  const aShape = [2, inC, cfg.size, cfg.size];
  const bShape = [2, outC, cfg.size, cfg.size];
  const a = randomNCHW(aShape, 5);
  const b = randomNCHW(bShape, 6);
  const { model } = await modelFromWeights(read(gPath));
  try {
    const e = relL2(await oursG(model, a, aShape), torchOutput(gPath, 'G', cfg, a));
    assert.ok(e <= BOUND, `${what} G: PyTorch's output differs from ours by ${e}`);
  } finally {
    model.dispose();
  }
  const d = dModel(read(dPath), inC, outC);
  try {
    const ab = new Float32Array(a.length + b.length);
    // cat(A, B) along channels, NCHW, per image.
    const per = cfg.size * cfg.size;
    for (let n = 0; n < 2; n++) {
      ab.set(a.subarray(n * inC * per, (n + 1) * inC * per), n * (inC + outC) * per);
      ab.set(b.subarray(n * outC * per, (n + 1) * outC * per), n * (inC + outC) * per + inC * per);
    }
    const e = relL2(await oursD(d, a, aShape, b, bShape), torchOutput(dPath, 'D', cfg, ab));
    assert.ok(e <= BOUND, `${what} D: PyTorch's output differs from ours by ${e}`);
  } finally {
    d.dispose();
  }
}

const t = suite('PyTorch loads the .pth files pix2pix-ts writes');
t.before(async () => {
  await initBackend('cpu');
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

if (python) {
  t(
    'exportPth: G and D after a training step load strictly with weights_only and give our outputs',
    async () => {
      const p2p = await createPix2Pix({
        generator: { numDowns: 6, ngf: 8 },
        discriminator: { ndf: 8 },
        backend: 'cpu',
        seed: 3,
      });
      const img = (s: number) => ({
        data: tf.tidy(
          () => tf.randomUniform([64 * 64 * 3], -1, 1, 'float32', s).dataSync() as Float32Array,
        ),
        width: 64,
        height: 64,
        channels: 3 as const,
      });
      await p2p.trainStep([img(1), img(2)], [img(3), img(4)]); // running statistics move off their start
      writeFileSync(join(dir, 'exp_G.pth'), await p2p.exportPth('G'));
      writeFileSync(join(dir, 'exp_D.pth'), await p2p.exportPth('D'));
      await p2p.dispose();
      await checkPair(
        join(dir, 'exp_G.pth'),
        join(dir, 'exp_D.pth'),
        { num_downs: 6, ngf: 8, ndf: 8, size: 64 },
        'exportPth',
      );
    },
  );

  t(
    'convert: G and D written from a pix2pix-ts checkpoint load in PyTorch and give our outputs',
    async () => {
      const ckpt = join(dir, 'conv.ckpt');
      assert.is(
        (await runCommand(convertCommand, [fixture('golden', 'unet64_batch', 'G.pth'), ckpt])).code,
        0,
      );
      assert.is((await runCommand(convertCommand, [ckpt, join(dir, 'conv_G.pth')])).code, 0);
      assert.is(
        (await runCommand(convertCommand, [ckpt, join(dir, 'conv_D.pth'), '--net', 'D'])).code,
        0,
      );
      // A checkpoint made from a G alone has the default discriminator (ndf 64, 3 layers).
      await checkPair(
        join(dir, 'conv_G.pth'),
        join(dir, 'conv_D.pth'),
        { num_downs: 6, ngf: 8, ndf: 64, size: 64 },
        'convert',
      );
    },
  );

  t(
    'train: latest_net_G.pth and latest_net_D.pth load in PyTorch and give our outputs',
    async () => {
      const out = join(dir, 'run');
      const run = await runCommand(
        trainCommand,
        tinyTrainArgs(join(ROOT, 'data/fonts-zi2zi'), 'cpu', [
          '--epochs-decay',
          '0',
          '--max-steps',
          '2',
          '--out',
          out,
        ]),
      );
      assert.is(run.code, 0, run.err.join('\n'));
      await checkPair(
        join(out, 'latest_net_G.pth'),
        join(out, 'latest_net_D.pth'),
        { num_downs: 6, ngf: 4, ndf: 4, input_nc: 1, output_nc: 1, size: 64 },
        'train',
      );
    },
  );
}

const r = suite('pix2pix-ts loads every form of .pth PyTorch writes');
r.after(() => rmSync(dir, { recursive: true, force: true }));

if (python) {
  for (const norm of ['batch', 'instance'] as const) {
    r(`gives PyTorch's outputs for every form of a ${norm}-norm G and D`, async () => {
      await initBackend('cpu');
      const out = join(dir, `forms-${norm}`);
      runReference(python, [
        'forms',
        out,
        JSON.stringify({ num_downs: 6, ngf: 8, norm, size: 64 }),
      ]);
      const listing = JSON.parse(readFileSync(join(out, 'forms.json'), 'utf8'));
      const a = f32(read(join(out, 'input_A.f32')));
      const b = f32(read(join(out, 'input_B.f32')));
      const names = Object.keys(listing.files);
      assert.is(names.length, norm === 'instance' ? 9 : 8, names.join(', '));
      for (const name of names) {
        const info = listing.files[name] as { net: 'G' | 'D'; key: string | null; stale?: number };
        const bytes = read(join(out, name));
        const ref = f32(read(join(out, `${name}.out.f32`)));
        const key = info.key ?? undefined;
        const warnings: string[] = [];
        const warn = console.warn;
        console.warn = (...m: unknown[]) => void warnings.push(m.join(' '));
        let ours: Float32Array;
        try {
          if (info.net === 'G') {
            const { model } = await modelFromWeights(bytes, {}, { key });
            ours = await oursG(model, a, listing.input_A);
            model.dispose();
          } else {
            const m = dModel(bytes, 3, 3, key);
            ours = await oursD(m, a, listing.input_A, b, listing.input_B);
            m.dispose();
          }
        } finally {
          console.warn = warn;
        }
        const e = relL2(ours, ref);
        assert.ok(e <= BOUND, `${name}: ours differs from PyTorch's by ${e}`);
        if (info.stale) {
          // The PyTorch-0.3 instance-norm file: its InstanceNorm running buffers were dropped, and said so.
          assert.is(warnings.length, 1, warnings.join('\n'));
          assert.match(
            warnings[0],
            new RegExp(`running statistics of ${info.stale / 2} InstanceNorm layer`),
          );
        } else assert.equal(warnings, [], name);
      }
    });
  }

  r(
    'createPix2Pix({ key }), loadPth(..., { key }) and convert --key read a checkpoint dict under other keys',
    async () => {
      const out = join(dir, 'forms-batch');
      const ckpt = read(join(out, 'run_netG.pth'));
      const p2p = await createPix2Pix({
        weights: ckpt,
        key: 'netG',
        discriminator: { ndf: 8 },
        backend: 'cpu',
      });
      try {
        await p2p.loadPth(ckpt, 'D', { key: 'netD' });
        for (const [net, key] of [
          ['G', 'netG'],
          ['D', 'netD'],
        ] as const) {
          const want = readPth(ckpt, { key });
          const got = readPth(await p2p.exportPth(net));
          for (const [k, v] of want)
            assert.equal(
              Array.from(got.get(k)!.data as ArrayLike<number | bigint>),
              Array.from(v.data as ArrayLike<number | bigint>),
              `${net} ${k}`,
            );
        }
      } finally {
        await p2p.dispose();
      }
      // Without a key the error names the entries and the way out.
      try {
        await createPix2Pix({ weights: ckpt, backend: 'cpu' });
        assert.unreachable('a checkpoint dict without a key was accepted');
      } catch (e) {
        assert.match((e as Error).message, /netG, netD, opt, epoch\. Pass \{ key \}/);
      }
      const c = await runCommand(convertCommand, [
        join(out, 'run_netG.pth'),
        join(dir, 'key_G.pth'),
        '--key',
        'netG',
      ]);
      assert.is(c.code, 0, c.err.join('\n'));
      const a = readPth(read(join(dir, 'key_G.pth')));
      assert.equal([...a.keys()], [...readPth(ckpt, { key: 'netG' }).keys()]);
    },
  );
}

t.run();
r.run();
