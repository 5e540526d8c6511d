import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tf } from '../../src/core/tf.js';
import { initBackend } from '../../src/backends/index.js';
import { readPict, writePict, type PictTensor } from '../../src/core/pict.js';
import { CheckpointError } from '../../src/core/errors.js';
import { pictToStateDict } from '../../src/pix2pix/pict-import.js';
import { Pix2PixModel } from '../../src/pix2pix/model.js';
import { compareOutputs } from '../../src/core/quantize.js';

const N = 6;
const NGF = 4;

/** A random TF-port generator (tf.layers names, as the .pict demos read them). */
function tfPortWeights(seed: number, enc1Bias: boolean): PictTensor[] {
  const out: PictTensor[] = [];
  let s = seed;
  const add = (name: string, shape: number[], mean: number, std: number) => {
    const t = tf.randomNormal(shape, mean, std, 'float32', s++);
    out.push({ name, shape, data: t.dataSync() as Float32Array });
    t.dispose();
  };
  const ch = (k: number) => NGF * Math.min(2 ** (k - 1), 8); // encoder_k output channels
  for (let k = 1; k <= N; k++) {
    const inC = k === 1 ? 3 : ch(k - 1);
    add(`generator/encoder_${k}/conv2d/kernel`, [4, 4, inC, ch(k)], 0, 0.1);
    add(`generator/encoder_${k}/conv2d/bias`, [ch(k)], 0, k === 1 && !enc1Bias ? 0 : 0.1);
    if (k > 1) {
      add(`generator/encoder_${k}/batch_normalization/gamma`, [ch(k)], 1, 0.1);
      add(`generator/encoder_${k}/batch_normalization/beta`, [ch(k)], 0, 0.1);
    }
    const outC = k === 1 ? 3 : ch(k - 1);
    const inD = k === N ? ch(k) : 2 * ch(k);
    add(`generator/decoder_${k}/conv2d_transpose/kernel`, [4, 4, outC, inD], 0, 0.1);
    add(`generator/decoder_${k}/conv2d_transpose/bias`, [outC], 0, 0.1);
    if (k > 1) {
      add(`generator/decoder_${k}/batch_normalization/gamma`, [outC], 1, 0.1);
      add(`generator/decoder_${k}/batch_normalization/beta`, [outC], 0, 0.1);
    }
  }
  return out;
}

/**
 * The TF port's generator as affinelayer's server/static/index.html runs it (batch statistics,
 * no dropout, [decoder, encoder] concatenation), written independently of our model code.
 */
function tfPortForward(tensors: PictTensor[], x: tf.Tensor4D, innermostBN: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const w = (name: string) => {
      const t = tensors.find((q) => q.name === name)!;
      return tf.tensor(t.data, t.shape);
    };
    // Without the innermost BatchNorm, its conv's bias (which that BatchNorm cancels) is left out too.
    const conv = (input: tf.Tensor4D, k: number) => {
      const y = tf.conv2d(
        input,
        w(`generator/encoder_${k}/conv2d/kernel`) as tf.Tensor4D,
        2,
        'same',
      );
      return (
        k === N && !innermostBN ? y : tf.add(y, w(`generator/encoder_${k}/conv2d/bias`))
      ) as tf.Tensor4D;
    };
    const deconv = (input: tf.Tensor4D, k: number) => {
      const f = w(`generator/decoder_${k}/conv2d_transpose/kernel`) as tf.Tensor4D;
      const [n, h, wd] = input.shape;
      return tf.add(
        tf.conv2dTranspose(input, f, [n, h * 2, wd * 2, f.shape[2]], 2, 'same'),
        w(`generator/decoder_${k}/conv2d_transpose/bias`),
      ) as tf.Tensor4D;
    };
    const bn = (input: tf.Tensor4D, scope: string) => {
      const { mean, variance } = tf.moments(input, [0, 1, 2]);
      return tf.batchNorm(
        input,
        mean,
        variance,
        w(`${scope}/batch_normalization/beta`) as tf.Tensor1D,
        w(`${scope}/batch_normalization/gamma`) as tf.Tensor1D,
        1e-5,
      ) as tf.Tensor4D;
    };
    const layers: tf.Tensor4D[] = [conv(x, 1)];
    for (let k = 2; k <= N; k++) {
      const c = conv(tf.leakyRelu(layers[layers.length - 1], 0.2), k);
      layers.push(k < N || innermostBN ? bn(c, `generator/encoder_${k}`) : c);
    }
    for (let k = N; k >= 2; k--) {
      const input =
        k === N
          ? layers[layers.length - 1]
          : tf.concat([layers[layers.length - 1], layers[k - 1]], 3);
      layers.push(bn(deconv(tf.relu(input), k), `generator/decoder_${k}`));
    }
    return tf.tanh(deconv(tf.relu(tf.concat([layers[layers.length - 1], layers[0]], 3)), 1));
  });
}

async function mapped(bytes: Uint8Array): Promise<{ model: Pix2PixModel; differences: string[] }> {
  const imp = pictToStateDict(readPict(bytes).tensors);
  const model = new Pix2PixModel({ generator: imp.generator });
  model.loadStateDict('G', imp.stateDict);
  return { model, differences: imp.differences };
}

const imp = suite('pictToStateDict');
imp.before(async () => {
  await initBackend('cpu');
});

imp(
  'reproduces the TF port exactly apart from the innermost BatchNorm (skip order, layouts, bias cancellation)',
  async () => {
    const bytes = writePict(tfPortWeights(11, false));
    const decoded = readPict(bytes).tensors; // the reference runs on the same quantised values
    const { model, differences } = await mapped(bytes);
    assert.equal(model.options.generator, {
      numDowns: N,
      ngf: NGF,
      inputChannels: 3,
      outputChannels: 3,
      norm: 'batch',
      dropout: false,
    });
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    const ours = model.generate(x, 'paper');
    const ref = tfPortForward(decoded, x, false);
    const { relL2 } = compareOutputs(ours.dataSync(), ref.dataSync());
    console.log(
      `# .pict mapping vs TF-port forward without the innermost BatchNorm: rel L2 ${relL2.toExponential(2)}`,
    );
    // float32 round-off only: the dropped pre-BatchNorm biases are added then removed in the reference.
    assert.ok(relL2 < 1e-4, `rel L2 ${relL2}`);
    // The mapping can fail: keeping TF's [up, skip] order breaks the match.
    const wrong = tfPortForward(
      decoded.map((t) =>
        t.name.endsWith('decoder_3/conv2d_transpose/kernel')
          ? { ...t, data: t.data.map((v, i) => (i % 16 < 8 ? v : 0)) }
          : t,
      ),
      x,
      false,
    );
    assert.ok(compareOutputs(ours.dataSync(), wrong.dataSync()).relL2 > 1e-3);
    assert.ok(differences.some((d) => /innermost/.test(d)));
    // A zero bias comes back as the codebook entry nearest 0, reported with its (tiny) size.
    const note = differences.find((d) => /encoder_1's bias/.test(d));
    assert.ok(!note || Number(/max \|b\| = ([^)]+)\)/.exec(note)![1]) < 1e-3, note);
    tf.dispose([x, ours, ref, wrong]);
    model.dispose();
  },
);

imp(
  'reports and measures what differs from the full TF port (innermost BatchNorm, encoder_1 bias)',
  async () => {
    const tensors = tfPortWeights(12, true);
    const bytes = writePict(tensors);
    const decoded = readPict(bytes).tensors;
    const { model, differences } = await mapped(bytes);
    assert.ok(differences.some((d) => /encoder_1's bias \(max \|b\| = /.test(d)));
    const x = tf.randomUniform([1, 64, 64, 3], -1, 1, 'float32', 6) as tf.Tensor4D;
    const ours = model.generate(x, 'paper');
    const full = tfPortForward(decoded, x, true);
    const { relL2 } = compareOutputs(ours.dataSync(), full.dataSync());
    console.log(
      `# .pict mapping vs the full TF-port forward (random weights, std 0.1): rel L2 ${relL2.toExponential(2)} (the architectures differ, see differences)`,
    );
    assert.ok(relL2 > 0);
    tf.dispose([x, ours, full]);
    model.dispose();
  },
);

imp(
  'reads the older naming (conv/filter, deconv/filter, batchnorm/scale|offset, no biases)',
  async () => {
    const renamed = tfPortWeights(13, false)
      .filter((t) => !t.name.endsWith('/bias'))
      .map((t) => ({
        ...t,
        name: t.name
          .replace('conv2d_transpose/kernel', 'deconv/filter')
          .replace('conv2d/kernel', 'conv/filter')
          .replace('batch_normalization/gamma', 'batchnorm/scale')
          .replace('batch_normalization/beta', 'batchnorm/offset'),
      }));
    const { model } = await mapped(writePict(renamed));
    assert.is(model.options.generator.numDowns, N);
    model.dispose();
  },
);

imp('names the missing variable when a .pict is not a pix2pix generator', () => {
  const tensors = tfPortWeights(14, false).filter(
    (t) => t.name !== 'generator/decoder_3/batch_normalization/gamma',
  );
  try {
    pictToStateDict(tensors);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.match(
      (e as Error).message,
      /decoder_3 BatchNorm scale.*"generator\/decoder_3\/batch_normalization\/gamma"/,
    );
  }
  assert.throws(
    () =>
      pictToStateDict([
        { name: 'discriminator/layer_1/conv2d/kernel', shape: [1], data: new Float32Array(1) },
      ]),
    /no generator\/encoder_1 kernel/,
  );
});

imp.run();
