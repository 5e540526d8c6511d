/**
 * Maps the generator of affinelayer's TensorFlow pix2pix port (as stored in `.pict` files, see
 * `src/core/pict.ts`) onto our PyTorch-keyed U-Net.
 *
 * What the TF port's generator is (pix2pix.py `create_generator`, and the browser demos that read
 * `.pict` files: affinelayer `server/static/index.html`, ml5.js `Pix2pix`):
 * - encoder_1: conv k4 s2 'same' (= PyTorch padding 1 for even sizes); encoder_2..n: LeakyReLU 0.2,
 *   conv, BatchNorm; decoder_n..2: ReLU, conv2d_transpose k4 s2 'same' (= PyTorch p1), BatchNorm,
 *   (dropout 0.5 in decoder_8..6 while training); decoder_1: ReLU, transposed conv, tanh.
 * - Skip connections concatenate `[decoder output, encoder output]`, then ReLU. PyTorch's U-Net
 *   concatenates `[skip, up]` where the skip is LeakyReLU(encoder output) (in-place activation);
 *   after the next ReLU both are ReLU(encoder output), so only the channel order differs: the
 *   input channels of every decoder kernel that sees a concatenation are swapped in halves.
 * - Kernels: conv `[kh,kw,in,out]` and conv2d_transpose `[kh,kw,out,in]`, exactly our tfjs layout.
 * - BatchNorm always uses the statistics of the batch being processed (training=True in the TF
 *   port; per-image moments in the demos); there are no running statistics in `.pict` files.
 *   Our equivalent is the `paper` inference mode with batch size 1 (translate() runs one image).
 * - Every conv has a bias (tf.layers naming) or none (the older `conv/filter` naming).
 *
 * What cannot be carried over exactly (reported in `differences`):
 * - encoder_n (the innermost) has a BatchNorm in the TF port, PyTorch's U-Net has none there. At
 *   256x256 that BatchNorm sees 1x1 maps, so its output is just its offset (beta) whatever the
 *   image: the TF port's bottleneck is a constant there. We drop this BatchNorm (keeping the conv),
 *   so outputs differ from the TF port's; the size of the difference is measured in the tests.
 * - encoder_1's bias: PyTorch's U-Net with BatchNorm has no bias on its first conv, so it is
 *   dropped. (ml5.js's current loader ignores encoder biases as well.)
 * - biases of convs followed by BatchNorm (encoder_2..n, decoder_2..n) are dropped: with batch
 *   statistics a per-channel constant is removed exactly by the mean subtraction.
 */
import { CheckpointError } from '../core/errors.js';
import type { StateDict, StateTensor } from '../core/state-dict.js';
import type { PictTensor } from '../core/pict.js';
import { resolveModelOptions, type GeneratorOptions } from './config.js';
import { unetLevels } from './generator.js';
import { tfToTorch } from './params.js';

export interface PictImport {
  /** Generator options: norm `batch`, dropout off (the demos run without dropout). */
  generator: Required<GeneratorOptions>;
  /** The generator in PyTorch layout and keys, ready for `loadStateDict('G', ...)`. */
  stateDict: StateDict;
  /** The inference mode that matches the TF port (batch statistics). */
  mode: 'paper';
  /** Every way the loaded model differs from the TF port, with sizes. */
  differences: string[];
}

const vec = (data: Float32Array): StateTensor => ({ dtype: 'float32', shape: [data.length], data });

/**
 * Converts the generator tensors of a `.pict` file (or any TF-port checkpoint dump) to our model.
 *
 * @throws CheckpointError `E_PICT` when a variable is missing or has an unexpected shape.
 * @example
 * ```ts
 * const { generator, stateDict, differences } = pictToStateDict(readPict(bytes).tensors);
 * const model = new Pix2PixModel({ generator });
 * model.loadStateDict('G', stateDict);
 * model.generate(x, 'paper');
 * ```
 */
export function pictToStateDict(tensors: PictTensor[]): PictImport {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const pick = (...names: string[]) => names.map((n) => byName.get(n)).find(Boolean);
  const need = (what: string, ...names: string[]): PictTensor => {
    const t = pick(...names);
    if (!t)
      throw new CheckpointError(
        `The .pict file has no ${what} (looked for ${names.map((n) => `"${n}"`).join(' or ')}). Is it a pix2pix-tensorflow generator export?`,
        'E_PICT',
      );
    return t;
  };
  const enc = (k: number) => `generator/encoder_${k}`;
  const dec = (k: number) => `generator/decoder_${k}`;
  const kernel = (k: number) =>
    need(`encoder_${k} kernel`, `${enc(k)}/conv2d/kernel`, `${enc(k)}/conv/filter`);
  const deKernel = (k: number) =>
    need(`decoder_${k} kernel`, `${dec(k)}/conv2d_transpose/kernel`, `${dec(k)}/deconv/filter`);
  const bn = (scope: string) => ({
    gamma: need(
      `${scope} BatchNorm scale`,
      `${scope}/batch_normalization/gamma`,
      `${scope}/batchnorm/scale`,
    ),
    beta: need(
      `${scope} BatchNorm offset`,
      `${scope}/batch_normalization/beta`,
      `${scope}/batchnorm/offset`,
    ),
  });
  let n = 0;
  while (pick(`${enc(n + 1)}/conv2d/kernel`, `${enc(n + 1)}/conv/filter`)) n++;
  if (n === 0)
    throw new CheckpointError(
      `The .pict file has no generator/encoder_1 kernel; its tensors are: ${tensors
        .slice(0, 5)
        .map((t) => t.name)
        .join(', ')}${tensors.length > 5 ? ', ...' : ''}.`,
      'E_PICT',
    );
  const k1 = kernel(1);
  const d1 = deKernel(1);
  if (k1.shape.length !== 4 || d1.shape.length !== 4)
    throw new CheckpointError('The .pict encoder_1 / decoder_1 kernels are not 4-D.', 'E_PICT');
  const generator = {
    numDowns: n,
    ngf: k1.shape[3],
    inputChannels: k1.shape[2],
    outputChannels: d1.shape[2],
    norm: 'batch' as const,
    dropout: false,
  };
  let resolved;
  try {
    resolved = resolveModelOptions({ generator }).generator;
  } catch (e) {
    throw new CheckpointError(
      `The .pict generator has unusable options ${JSON.stringify(generator)}: ${(e as Error).message}`,
      'E_PICT',
      { cause: e },
    );
  }
  const sd: StateDict = new Map();
  const differences: string[] = [];
  const maxAbs = (t?: PictTensor) => (t ? t.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0) : 0);
  const put4 = (
    key: string,
    t: PictTensor,
    torchShape: number[],
    kind: 'conv' | 'convT',
    what: string,
  ) => {
    const ours =
      kind === 'conv'
        ? [torchShape[2], torchShape[3], torchShape[1], torchShape[0]]
        : [torchShape[2], torchShape[3], torchShape[1], torchShape[0]];
    if (t.shape.join(',') !== ours.join(','))
      throw new CheckpointError(
        `The .pict ${what} has shape [${t.shape.join(', ')}], expected [${ours.join(', ')}] for a U-Net with ${JSON.stringify(generator)}.`,
        'E_PICT',
      );
    sd.set(key, { dtype: 'float32', shape: torchShape, data: tfToTorch(t.data, torchShape, kind) });
  };
  const putBN = (prefix: string, scope: string, channels: number) => {
    const { gamma, beta } = bn(scope);
    if (gamma.data.length !== channels || beta.data.length !== channels)
      throw new CheckpointError(
        `The .pict ${scope} BatchNorm has ${gamma.data.length} channels, expected ${channels}.`,
        'E_PICT',
      );
    sd.set(`${prefix}.weight`, vec(gamma.data.slice()));
    sd.set(`${prefix}.bias`, vec(beta.data.slice()));
    sd.set(`${prefix}.running_mean`, vec(new Float32Array(channels)));
    sd.set(`${prefix}.running_var`, vec(new Float32Array(channels).fill(1)));
  };
  const droppedBiases: string[] = [];
  for (const L of unetLevels(resolved)) {
    const k = L.level + 1;
    const p = L.prefix;
    put4(
      `${p}.${L.idx.down}.weight`,
      kernel(k),
      [L.innerC, L.inC, 4, 4],
      'conv',
      `encoder_${k} kernel`,
    );
    if (L.idx.downNorm !== undefined) putBN(`${p}.${L.idx.downNorm}`, enc(k), L.innerC);
    const upIn = L.innermost ? L.innerC : 2 * L.innerC;
    const dk = deKernel(k);
    // [kh,kw,out,in] with in = [up, skip] (TF) -> [skip, up] (PyTorch's cat order).
    const swapped = L.innermost ? dk : { ...dk, data: swapHalvesLastAxis(dk.data, upIn) };
    put4(
      `${p}.${L.idx.up}.weight`,
      swapped,
      [upIn, L.outerC, 4, 4],
      'convT',
      `decoder_${k} kernel`,
    );
    if (L.idx.upNorm !== undefined) putBN(`${p}.${L.idx.upNorm}`, dec(k), L.outerC);
    const eb = byName.get(`${enc(k)}/conv2d/bias`);
    const db = byName.get(`${dec(k)}/conv2d_transpose/bias`);
    if (L.outermost) {
      sd.set(`${p}.${L.idx.up}.bias`, vec(db ? db.data.slice() : new Float32Array(L.outerC)));
      if (eb && maxAbs(eb) > 0)
        differences.push(
          `encoder_1's bias (max |b| = ${maxAbs(eb).toPrecision(3)}) is dropped: PyTorch's U-Net with BatchNorm has no bias on its first conv.`,
        );
    } else {
      if (eb) droppedBiases.push(`encoder_${k}`);
      if (db) droppedBiases.push(`decoder_${k}`);
    }
  }
  const inner = bn(enc(n));
  differences.push(
    `encoder_${n}'s BatchNorm (the innermost; PyTorch's U-Net has none there) is dropped. At ${2 ** n}x${2 ** n} it normalises 1x1 maps, so the TF port's bottleneck is the constant offset (max |beta| = ${maxAbs(inner.beta).toPrecision(3)}) whatever the input; ours carries the conv's output instead, so outputs differ from the TF port's.`,
  );
  if (droppedBiases.length)
    differences.push(
      `biases of ${droppedBiases.length} convs followed by BatchNorm are dropped (exact with batch statistics, i.e. mode "paper").`,
    );
  return { generator, stateDict: sd, mode: 'paper', differences };
}

function swapHalvesLastAxis(data: Float32Array, last: number): Float32Array {
  const out = new Float32Array(data.length);
  const h = last / 2;
  for (let base = 0; base < data.length; base += last) {
    out.set(data.subarray(base + h, base + last), base);
    out.set(data.subarray(base, base + h), base + h);
  }
  return out;
}
