import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { tf } from '../../src/core/tf.js';
import type { Tensor4D } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { readPth } from '../../src/core/pth/index.js';
import { CheckpointError } from '../../src/core/errors.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import {
  exportGeneratorOnnx,
  exportModelOnnx,
  inferGeneratorOptions,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
  ENGINE_EXPORT_OPTIONS,
} from '../../src/pix2pix/onnx-export.js';
import { fixture } from '../support/env.js';

type Ort = typeof import('onnxruntime-node');

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Our eval-mode generator output, NCHW, for an NCHW input. */
function ours(model: Pix2PixModel, nchw: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.transpose(
      tf.tensor4d(nchw, shape as [number, number, number, number]),
      [0, 2, 3, 1],
    ) as Tensor4D;
    return tf.transpose(model.generate(x, 'eval'), [0, 3, 1, 2]).dataSync() as Float32Array;
  });
}

async function runOnnx(
  ort: Pick<Ort, 'InferenceSession' | 'Tensor'>,
  bytes: Uint8Array,
  nchw: Float32Array,
  shape: number[],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [ONNX_INPUT_NAME]: new ort.Tensor('float32', nchw, shape) });
    return out[ONNX_OUTPUT_NAME].data as Float32Array;
  } finally {
    await session.release();
  }
}

const cases = ['unet64_batch', 'unet64_instance'] as const;

const node = suite('ONNX export on onnxruntime-node');
let ortNode: Ort;
node.before(async () => {
  await initBackend('cpu');
  ortNode = await import('onnxruntime-node');
});

for (const cfg of cases) {
  node(`matches generate(x, 'eval') on the golden ${cfg} generator`, async () => {
    const sd = readPth(readFileSync(fixture('golden', cfg, 'G.pth')));
    const g = inferGeneratorOptions(sd);
    assert.equal(g, {
      numDowns: 6,
      ngf: 8,
      inputChannels: 3,
      outputChannels: 3,
      norm: cfg === 'unet64_batch' ? 'batch' : 'instance',
    });
    const model = new Pix2PixModel({ generator: g });
    model.loadStateDict('G', sd);
    const before = tf.memory().numTensors;
    const x = new Float32Array(
      readFileSync(fixture('golden', cfg, 'input__real_A.f32')).buffer.slice(0),
    );
    const bytes = exportGeneratorOnnx(sd, g);
    const want = ours(model, x, [1, 3, 64, 64]);
    const got = await runOnnx(ortNode, bytes, x, [1, 3, 64, 64]);
    const err = relL2(got, want);
    console.log(
      `# onnx export ${cfg}: onnxruntime-node vs generate(eval) rel L2 ${err.toExponential(2)} (${(bytes.length / 1024).toFixed(0)} KiB)`,
    );
    assert.ok(err <= 1e-5, `rel L2 ${err}`);
    // Dynamic N, H, W: a batch of two non-square images through the same file.
    const x2 = seeded(2 * 3 * 64 * 128, 7);
    const err2 = relL2(
      await runOnnx(ortNode, bytes, x2, [2, 3, 64, 128]),
      ours(model, x2, [2, 3, 64, 128]),
    );
    assert.ok(err2 <= 1e-5, `rel L2 on [2,3,64,128]: ${err2}`);
    // The model keeps its folded eval weights (a filter and a bias per BatchNorm) until they change.
    assert.is(tf.memory().numTensors, before + 2 * model.G.derivedCount, 'tensors leaked');
    model.dispose();
  });
}

node('exports a model whose weights are not the golden ones, with a fixed shape', async () => {
  const model = new Pix2PixModel({
    generator: { numDowns: 5, ngf: 4, inputChannels: 1, outputChannels: 2, norm: 'none' },
    seed: 3,
  });
  const bytes = await exportModelOnnx(model, { fixedShape: [1, 32, 32] });
  const session = await ortNode.InferenceSession.create(bytes);
  assert.equal(session.inputNames, [ONNX_INPUT_NAME]);
  assert.equal(session.outputNames, [ONNX_OUTPUT_NAME]);
  await session.release();
  const x = seeded(32 * 32, 11);
  const err = relL2(
    await runOnnx(ortNode, bytes, x, [1, 1, 32, 32]),
    ours(model, x, [1, 1, 32, 32]),
  );
  assert.ok(err <= 1e-5, `rel L2 ${err}`);
  model.dispose();
});

node('refuses a state dict that is not a U-Net generator, naming the keys', () => {
  const sd = readPth(readFileSync(fixture('golden', 'unet64_batch', 'D.pth')));
  try {
    inferGeneratorOptions(sd);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.match((e as Error).message, /model\.0\.weight/);
  }
  const g = readPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  try {
    exportGeneratorOnnx(g, { numDowns: 6, ngf: 16 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.match((e as Error).message, /has shape \[8, 3, 4, 4\], expected \[16, 3, 4, 4\]/);
  }
});
node.run();

const web = suite('ONNX export on onnxruntime-web (wasm)');
web("matches generate(x, 'eval') on the golden batch-norm generator", async () => {
  const ortWeb = await import('onnxruntime-web');
  ortWeb.env.wasm.numThreads = 1;
  const sd = readPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  const model = new Pix2PixModel({ generator: inferGeneratorOptions(sd) });
  model.loadStateDict('G', sd);
  const x = new Float32Array(
    readFileSync(fixture('golden', 'unet64_batch', 'input__real_A.f32')).buffer.slice(0),
  );
  const err = relL2(
    await runOnnx(ortWeb, exportGeneratorOnnx(sd, model.options.generator), x, [1, 3, 64, 64]),
    ours(model, x, [1, 3, 64, 64]),
  );
  console.log(
    `# onnx export unet64_batch: onnxruntime-web vs generate(eval) rel L2 ${err.toExponential(2)}`,
  );
  assert.ok(err <= 1e-5, `rel L2 ${err}`);
  model.dispose();
});
web.run();

const engine = suite('ONNX export for the onnxruntime engines (sub-pixel, BatchNorm folded)');
let ortNode2: Ort;
engine.before(async () => {
  await initBackend('cpu');
  ortNode2 = await import('onnxruntime-node');
});

/** How many nodes of type `op` a model has (NodeProto.op_type: field 4, a short string). */
const countOp = (bytes: Uint8Array, op: string): number =>
  new TextDecoder('latin1').decode(bytes).split(`\x22${String.fromCharCode(op.length)}${op}`)
    .length - 1;

for (const cfg of cases) {
  engine(
    `equals the ConvTranspose graph and generate(x, 'eval') on the golden ${cfg} generator`,
    async () => {
      const sd = readPth(readFileSync(fixture('golden', cfg, 'G.pth')));
      const g = inferGeneratorOptions(sd);
      const model = new Pix2PixModel({ generator: g });
      model.loadStateDict('G', sd);
      const plain = exportGeneratorOnnx(sd, g);
      const fast = exportGeneratorOnnx(sd, g, ENGINE_EXPORT_OPTIONS);
      // Sub-pixel on all but the two innermost of the 6 levels; no BatchNormalization left where
      // the norm is batch (folded).
      assert.is(countOp(plain, 'ConvTranspose'), 6);
      assert.is(countOp(fast, 'ConvTranspose'), 2);
      assert.is(countOp(fast, 'DepthToSpace'), 4);
      assert.is(countOp(plain, 'BatchNormalization'), cfg === 'unet64_batch' ? 9 : 0);
      assert.is(countOp(fast, 'BatchNormalization'), 0);
      assert.is(countOp(fast, 'InstanceNormalization'), cfg === 'unet64_batch' ? 0 : 9);
      // A batch of two non-square images (dynamic N, H, W).
      const shape = [2, 3, 64, 128];
      const x = seeded(2 * 3 * 64 * 128, 5);
      const got = await runOnnx(ortNode2, fast, x, shape);
      const errPlain = relL2(got, await runOnnx(ortNode2, plain, x, shape));
      const errOurs = relL2(got, ours(model, x, shape));
      console.log(
        `# engine graph ${cfg}: vs ConvTranspose graph rel L2 ${errPlain.toExponential(2)}, vs generate(eval) ${errOurs.toExponential(2)}`,
      );
      assert.ok(errPlain <= 1e-5, `rel L2 vs the ConvTranspose graph ${errPlain}`);
      assert.ok(errOurs <= 1e-5, `rel L2 vs generate(eval) ${errOurs}`);
      model.dispose();
    },
  );
}

engine(
  'folds random running statistics and keeps un-normed biases (norm none, 1 -> 2 channels)',
  async () => {
    for (const norm of ['batch', 'none'] as const) {
      const generator = { numDowns: 5, ngf: 4, inputChannels: 1, outputChannels: 2, norm };
      const model = new Pix2PixModel({ generator, seed: 4 });
      const sd = await model.stateDict('G');
      // Running statistics far from (0, 1), so that a wrong fold shows.
      let s = 9;
      for (const [k, t] of sd) {
        const d = t.data as Float32Array;
        for (let i = 0; i < d.length; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          if (k.endsWith('running_mean')) d[i] = (s / 2 ** 32) * 0.6 - 0.3;
          if (k.endsWith('running_var')) d[i] = 0.3 + (s / 2 ** 32) * 2;
          if (k.endsWith('.bias') && norm === 'none') d[i] = (s / 2 ** 32) * 0.2 - 0.1;
        }
      }
      model.loadStateDict('G', sd);
      const x = seeded(32 * 64, 13);
      const shape = [1, 1, 32, 64];
      const want = ours(model, x, shape);
      const got = await runOnnx(
        ortNode2,
        exportGeneratorOnnx(sd, generator, ENGINE_EXPORT_OPTIONS),
        x,
        shape,
      );
      const err = relL2(got, want);
      assert.ok(err <= 1e-5, `norm ${norm}: rel L2 ${err}`);
      model.dispose();
    }
  },
);

engine('refuses an unknown up-sampling form, naming the valid ones', () => {
  const sd = readPth(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  try {
    exportGeneratorOnnx(sd, inferGeneratorOptions(sd), { upsample: 'pixelshuffle' as 'subpixel' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
    assert.match((e as Error).message, /'convtranspose' or 'subpixel'/);
  }
});
engine.run();
