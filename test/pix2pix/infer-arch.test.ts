import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { initBackend } from '../../src/backends/index.js';
import { readPth } from '../../src/core/pth/index.js';
import { CheckpointError } from '../../src/core/errors.js';
import {
  inferGeneratorOptions,
  inferDiscriminatorOptions,
  inferModelOptions,
} from '../../src/pix2pix/infer-arch.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import type { StateDict } from '../../src/core/state-dict.js';
import { fixture } from '../support/env.js';

const pth = (cfg: string, f: string) =>
  readPth(new Uint8Array(readFileSync(fixture('golden', cfg, f))));
const manifest = (cfg: string) =>
  JSON.parse(readFileSync(fixture('golden', cfg, 'manifest.json'), 'utf8')).config;

const infer = suite('inferGeneratorOptions / inferDiscriminatorOptions');
infer.before(async () => {
  await initBackend('cpu');
});

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  infer(
    `reads the golden ${cfg} G.pth, G_legacy.pth and D.pth options as the reference's run had them`,
    () => {
      const c = manifest(cfg);
      for (const f of ['G.pth', 'G_legacy.pth']) {
        assert.equal(inferGeneratorOptions(pth(cfg, f)), {
          numDowns: c.num_downs,
          ngf: c.ngf,
          norm: c.norm,
          inputChannels: 3,
          outputChannels: 3,
        });
      }
      assert.equal(inferDiscriminatorOptions(pth(cfg, 'D.pth')), {
        ndf: c.ndf,
        nLayers: c.n_layers,
        norm: c.norm,
        inputChannels: 6,
      });
    },
  );
}

infer(
  'infers what our own exports were built with, for other sizes, channels and norm "none"',
  async () => {
    const cases = [
      {
        generator: {
          numDowns: 7,
          ngf: 4,
          inputChannels: 1,
          outputChannels: 3,
          norm: 'none' as const,
        },
        discriminator: { ndf: 4, nLayers: 1 },
      },
      {
        generator: {
          numDowns: 5,
          ngf: 6,
          inputChannels: 3,
          outputChannels: 1,
          norm: 'instance' as const,
        },
        discriminator: { ndf: 5, nLayers: 4 },
      },
    ];
    for (const opts of cases) {
      const m = new Pix2PixModel(opts);
      const got = inferModelOptions(await m.stateDict('G'), await m.stateDict('D'));
      assert.equal(got.generator, opts.generator);
      assert.equal(got.discriminator, { ...opts.discriminator, norm: opts.generator.norm });
      m.dispose();
    }
  },
);

infer('strips a DataParallel "module." prefix', () => {
  const sd = pth('unet64_batch', 'G.pth');
  const wrapped: StateDict = new Map([...sd].map(([k, v]) => [`module.${k}`, v]));
  assert.is(inferGeneratorOptions(wrapped).numDowns, 6);
});

function code(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CheckpointError);
    return { code: (e as CheckpointError).code, message: (e as Error).message };
  }
  assert.unreachable('should throw');
  return { code: '', message: '' };
}

infer('says a resnet_9blocks generator is not supported', () => {
  const t = {
    dtype: 'float32' as const,
    shape: [64, 3, 7, 7],
    data: new Float32Array(64 * 3 * 49),
  };
  const sd: StateDict = new Map([
    ['model.1.weight', t],
    [
      'model.10.conv_block.1.weight',
      { dtype: 'float32', shape: [256, 256, 3, 3], data: new Float32Array(0) },
    ],
  ]);
  const e = code(() => inferGeneratorOptions(sd));
  assert.is(e.code, 'E_ARCHITECTURE');
  assert.match(e.message, /ResNet generator .*not support/);
});

infer('names the problem when a U-Net key is missing or has the wrong shape', () => {
  const sd = new Map(pth('unet64_batch', 'G.pth'));
  sd.delete('model.model.1.model.2.running_var');
  assert.match(
    code(() => inferGeneratorOptions(sd)).message,
    /missing "model\.model\.1\.model\.2\.running_var"/,
  );
  const d = pth('unet64_batch', 'D.pth');
  assert.match(
    code(() => inferGeneratorOptions(d)).message,
    /not a pix2pix U-Net generator state dict/,
  );
  const g = pth('unet64_batch', 'G.pth');
  assert.match(code(() => inferDiscriminatorOptions(g)).message, /PatchGAN/);
});

infer('refuses a D whose input channels do not match the G', () => {
  const g = pth('unet64_batch', 'G.pth');
  const m = new Pix2PixModel({
    generator: { numDowns: 5, ngf: 4, inputChannels: 1 },
    discriminator: { ndf: 4 },
  });
  return m.stateDict('D').then((d) => {
    assert.match(code(() => inferModelOptions(g, d)).message, /takes 4 input channels.*3 to 3/);
    m.dispose();
  });
});

infer.run();
