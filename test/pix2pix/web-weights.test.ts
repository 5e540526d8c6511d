import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { readPth } from '../../src/core/pth/index.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { inferModelOptions } from '../../src/pix2pix/infer-arch.js';
import {
  weightsToArtifacts,
  modelFromArtifacts,
  type WeightsDType,
} from '../../src/pix2pix/checkpoint.js';
import {
  compareOutputs,
  encodeFloat16,
  fromFloat16Bits,
  toFloat16Bits,
  quantizeAffineU8,
} from '../../src/core/quantize.js';
import { weightBytes } from '../../src/core/io/index.js';
import { fixture } from '../support/env.js';

const web = suite('web weights (float16, uint8)');
web.before(async () => {
  await initBackend('cpu');
});

web('float16 encoding rounds to nearest even and tfjs decodes it to the same values', () => {
  assert.is(toFloat16Bits(1), 0x3c00);
  assert.is(toFloat16Bits(65504), 0x7bff);
  assert.is(toFloat16Bits(1e6), 0x7c00);
  assert.is(toFloat16Bits(2 ** -24), 1); // smallest subnormal
  assert.is(toFloat16Bits(1 + 2 ** -11), 0x3c00); // tie -> even
  assert.is(toFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie -> even (up)
  const values = Float32Array.from(
    { length: 2000 },
    (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 12) - 8),
  );
  const h = encodeFloat16(values);
  const viaTfjs = tf.io.decodeWeights(h.buffer as ArrayBuffer, [
    { name: 'x', shape: [values.length], dtype: 'float32', quantization: { dtype: 'float16' } },
  ]).x;
  const got = viaTfjs.dataSync();
  h.forEach((bits, i) => assert.is(got[i], Math.fround(fromFloat16Bits(bits)), `value ${i}`));
  // Nearest: no other half value is closer.
  values.forEach((v, i) => {
    const err = Math.abs(fromFloat16Bits(h[i]) - v);
    assert.ok(
      (err <= Math.abs(fromFloat16Bits(h[i] + 1) - v) && (h[i] & 0x3ff) === 0) ||
        err <= Math.abs(fromFloat16Bits(h[i] - 1) - v),
      `value ${i}`,
    );
  });
  viaTfjs.dispose();
});

web('8-bit affine keeps 0 exact and stays within half a step, as tfjs decodes it', () => {
  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.cos(i) * 0.3 + 0.05);
  values[7] = 0;
  const q = quantizeAffineU8(values);
  const t = tf.io.decodeWeights(q.data.slice().buffer, [
    {
      name: 'x',
      shape: [1000],
      dtype: 'float32',
      quantization: { dtype: 'uint8', scale: q.scale, min: q.min },
    },
  ]).x;
  const got = t.dataSync();
  assert.is(got[7], 0);
  values.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= q.scale / 2 + 1e-7, `value ${i}`));
  t.dispose();
});

async function measure(
  model: Pix2PixModel,
  x: tf.Tensor4D,
  label: string,
): Promise<Record<WeightsDType, { relL2: number; psnr: number; bytes: number }>> {
  const ref = model.generate(x);
  const refData = ref.dataSync().slice();
  ref.dispose();
  const out = {} as Record<WeightsDType, { relL2: number; psnr: number; bytes: number }>;
  for (const dtype of ['float32', 'float16', 'uint8'] as const) {
    const a = await weightsToArtifacts(model, { dtype });
    const { model: m2 } = await modelFromArtifacts(a);
    const y = m2.generate(x);
    const { relL2, psnr } = compareOutputs(y.dataSync(), refData);
    out[dtype] = { relL2, psnr, bytes: weightBytes(a.weightData).length };
    console.log(
      `# web weights ${label} ${dtype}: ${(out[dtype].bytes / 1024).toFixed(1)} KiB, output rel L2 ${relL2.toExponential(2)}, PSNR ${Number.isFinite(psnr) ? psnr.toFixed(1) + ' dB' : 'inf'} (vs float32)`,
    );
    y.dispose();
    m2.dispose();
  }
  return out;
}

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  web(`golden ${cfg}: float32 is exact, float16 and uint8 lose little (measured)`, async () => {
    const sd = readPth(new Uint8Array(readFileSync(fixture('golden', cfg, 'G.pth'))));
    const model = new Pix2PixModel(inferModelOptions(sd));
    model.loadStateDict('G', sd);
    const nchw = new Float32Array(
      readFileSync(fixture('golden', cfg, 'input__real_A.f32')).buffer.slice(0),
    );
    const x = tf.tidy(() =>
      tf.transpose(tf.tensor4d(nchw, [1, 3, 64, 64]), [0, 2, 3, 1]),
    ) as tf.Tensor4D;
    const r = await measure(model, x, cfg);
    assert.is(r.float32.relL2, 0);
    assert.ok(r.float16.relL2 < 5e-3, `float16 ${r.float16.relL2}`);
    assert.ok(r.uint8.relL2 < 0.1, `uint8 ${r.uint8.relL2}`);
    assert.ok(r.float16.bytes < 0.55 * r.float32.bytes && r.uint8.bytes < 0.3 * r.float32.bytes);
    x.dispose();
    model.dispose();
  });
}

web('random ngf 32 UNet-128 at 128x128: float16 and uint8 output error (measured)', async () => {
  const model = new Pix2PixModel({
    generator: { numDowns: 7, ngf: 32 },
    discriminator: { ndf: 4, nLayers: 1 },
    seed: 5,
  });
  const x = tf.randomUniform([1, 128, 128, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const r = await measure(model, x, 'random ngf32 128x128');
  assert.ok(r.float16.relL2 < 5e-3, `float16 ${r.float16.relL2}`);
  assert.ok(r.uint8.relL2 < 0.1, `uint8 ${r.uint8.relL2}`);
  x.dispose();
  model.dispose();
});

web.run();
