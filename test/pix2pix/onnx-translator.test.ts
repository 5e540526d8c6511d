import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPix2Pix, type Pix2Pix, type PixelImage } from '../../src/index.js';
import { readPth } from '../../src/core/pth/index.js';
import { inferGeneratorOptions } from '../../src/pix2pix/infer-arch.js';
import { openPairedDataset } from '../../src/node/dataset.js';
import { fixture, ROOT } from '../support/env.js';

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** NCHW float32 file -> HWC float image. */
function goldenInput(cfg: string): PixelImage {
  const chw = new Float32Array(
    readFileSync(fixture('golden', cfg, 'input__real_A.f32')).buffer.slice(0),
  );
  const n = 64 * 64;
  const data = new Float32Array(n * 3);
  for (let k = 0; k < 3; k++) for (let p = 0; p < n; p++) data[p * 3 + k] = chw[k * n + p];
  return { data, width: 64, height: 64, channels: 3 };
}

function seededRGBA(width: number, height: number, seed: number): PixelImage {
  let s = seed >>> 0;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height, channels: 4 };
}

async function pair(
  opts: Parameters<typeof createPix2Pix>[0] & object,
): Promise<[Pix2Pix, Pix2Pix]> {
  const ort = await createPix2Pix({ ...opts, backend: 'ort-node', threads: 1 });
  const wasm = await createPix2Pix({ ...opts, backend: 'wasm', threads: 1 });
  assert.is(ort.backendInfo.name, 'ort-node');
  return [ort, wasm];
}

const parity = suite('ort-node engine parity with the tfjs wasm path');

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  parity(
    `translates the golden ${cfg} input as wasm does (1e-5 relative L2) and as PyTorch does`,
    async () => {
      const weights = new Uint8Array(readFileSync(fixture('golden', cfg, 'G.pth')));
      const [ort, wasm] = await pair({ weights, mode: 'eval' });
      try {
        const x = goldenInput(cfg);
        const [a, b] = [await ort.translateFloat(x), await wasm.translateFloat(x)];
        const err = relL2(a.data, b.data);
        // PyTorch's eval output, NCHW, back to HWC.
        const torch = new Float32Array(
          readFileSync(fixture('golden', cfg, 'forward__G_eval.f32')).buffer.slice(0),
        );
        const n = 64 * 64;
        const torchHwc = new Float32Array(n * 3);
        for (let k = 0; k < 3; k++)
          for (let p = 0; p < n; p++) torchHwc[p * 3 + k] = torch[k * n + p];
        const errTorch = relL2(a.data, torchHwc);
        console.log(
          `# ${cfg}: ort-node vs wasm rel L2 ${err.toExponential(2)}, vs PyTorch ${errTorch.toExponential(2)}`,
        );
        assert.ok(err <= 1e-5, `rel L2 vs wasm ${err}`);
        assert.ok(errTorch <= 1e-5, `rel L2 vs PyTorch ${errTorch}`);
        // Any size: the same reflect-pad to a multiple of 64 and crop; 8-bit outputs at most 1 level apart.
        const odd = seededRGBA(70, 45, 3);
        const [pa, pb] = [await ort.translate(odd), await wasm.translate(odd)];
        assert.equal([pa.width, pa.height], [70, 45]);
        assert.ok(
          relL2((await ort.translateFloat(odd)).data, (await wasm.translateFloat(odd)).data) <=
            1e-5,
        );
        assert.ok(
          maxAbsDiff(pa.data, pb.data) <= 1,
          `8-bit difference ${maxAbsDiff(pa.data, pb.data)}`,
        );
      } finally {
        await ort.dispose();
        await wasm.dispose();
      }
    },
  );
}

parity('translates held-out characters with the shipped model as wasm does', async () => {
  const weights = join(ROOT, 'examples/models/fonts128-u8/model.json');
  const [ort, wasm] = await pair({ weights, mode: 'eval' });
  try {
    const ds = await openPairedDataset({
      root: join(ROOT, 'data/fonts-zi2zi'),
      phase: 'test',
      inputChannels: 1,
      outputChannels: 1,
    });
    let worst = 0;
    let worst8 = 0;
    for (let i = 0; i < 3; i++) {
      const s = await ds.get(i);
      const img = { data: s.a, width: 64, height: 64, channels: 1 };
      worst = Math.max(
        worst,
        relL2((await ort.translateFloat(img)).data, (await wasm.translateFloat(img)).data),
      );
      worst8 = Math.max(
        worst8,
        maxAbsDiff((await ort.translate(img)).data, (await wasm.translate(img)).data),
      );
    }
    console.log(
      `# shipped model: ort-node vs wasm worst rel L2 ${worst.toExponential(2)}, worst 8-bit difference ${worst8}`,
    );
    assert.ok(worst <= 1e-5, `rel L2 ${worst}`);
    assert.ok(worst8 <= 1);
  } finally {
    await ort.dispose();
    await wasm.dispose();
  }
});

parity(
  'new weights reach the session: loadPth after create translates with the loaded weights',
  async () => {
    const weights = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
    const generator = inferGeneratorOptions(readPth(weights));
    const ort = await createPix2Pix({ generator, backend: 'ort-node', threads: 1 });
    const wasm = await createPix2Pix({ weights, backend: 'wasm', threads: 1 });
    try {
      const x = goldenInput('unet64_batch');
      const before = await ort.translateFloat(x);
      await ort.loadPth(weights);
      const after = await ort.translateFloat(x);
      const want = await wasm.translateFloat(x);
      assert.ok(relL2(before.data, want.data) > 0.1, 'random weights differ');
      assert.ok(relL2(after.data, want.data) <= 1e-5, `rel L2 ${relL2(after.data, want.data)}`);
    } finally {
      await ort.dispose();
      await wasm.dispose();
    }
  },
);

parity('paper mode runs on the tfjs backend under the engine', async () => {
  const weights = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  const generator = { ...inferGeneratorOptions(readPth(weights)), dropout: false };
  const [ort, wasm] = await pair({ weights, generator });
  try {
    const x = goldenInput('unet64_batch');
    const paperOrt = await ort.translateFloat(x, { mode: 'paper' });
    const paperWasm = await wasm.translateFloat(x, { mode: 'paper' });
    const evalOrt = await ort.translateFloat(x, { mode: 'eval' });
    assert.equal(paperOrt.data, paperWasm.data, 'same tfjs computation');
    assert.ok(relL2(paperOrt.data, evalOrt.data) > 1e-3, 'batch statistics, not running ones');
  } finally {
    await ort.dispose();
    await wasm.dispose();
  }
});

const errors = suite('ort-node engine errors for bad input');

errors('bad images get the same named errors as on the tfjs path', async () => {
  const weights = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  const [ort, wasm] = await pair({ weights });
  const nan = new Float32Array(64 * 64 * 3);
  nan[7] = NaN;
  const bad: [string, PixelImage][] = [
    ['wrong channel count', { data: new Uint8Array(64 * 64 * 5), width: 64, height: 64 }],
    ['buffer size not matching', { data: new Uint8Array(100), width: 64, height: 64, channels: 3 }],
    ['NaN pixels', { data: nan, width: 64, height: 64, channels: 3 }],
    ['zero width', { data: new Uint8Array(0), width: 0, height: 64 }],
  ];
  try {
    for (const [what, img] of bad) {
      const caught: { name: string; code: string; message: string }[] = [];
      for (const p of [ort, wasm]) {
        try {
          await p.translate(img);
          assert.unreachable(`${what}: no error`);
        } catch (e) {
          caught.push({
            name: (e as Error).name,
            code: (e as { code: string }).code,
            message: (e as Error).message,
          });
        }
      }
      assert.equal(caught[0], caught[1], what);
      assert.match(caught[0].name, /^(ShapeError|ValueError)$/, what);
    }
    // Still usable after bad input.
    const ok = await ort.translate(seededRGBA(64, 64, 1));
    assert.is(ok.width, 64);
  } finally {
    await ort.dispose();
    await wasm.dispose();
  }
});

parity.run();
errors.run();
