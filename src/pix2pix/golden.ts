/**
 * Comparison of a runtime against a PyTorch reference dump ("golden folder": `manifest.json`,
 * raw float32 `*.f32` tensors, `G.pth`, `D.pth`, optionally `G_legacy.pth`). Platform-neutral:
 * files come through a {@link GoldenSource}, so the same checks run in Node and in browsers.
 */
import { tf } from '../core/tf.js';
import type { Tensor4D } from '../core/tf.js';
import { GoldenError } from '../core/errors.js';
import { readPth } from '../core/pth/index.js';
import type { NormKind, GanMode } from './config.js';
import type { Tensor } from '../core/tf.js';
import { Pix2PixModel, type StepGradients } from './model.js';

/** Reads files of a golden folder by name. */
export interface GoldenSource {
  /** Human-readable location, for messages. */
  readonly location: string;
  /** Resolves to the bytes, or rejects when the file is missing/unreadable. */
  read(name: string): Promise<Uint8Array>;
}

export interface GoldenManifest {
  config: {
    num_downs: number;
    ngf: number;
    ndf: number;
    n_layers: number;
    norm: NormKind;
    batch: number;
    steps: number;
    seed?: number;
    input_nc?: number;
    output_nc?: number;
    /** GAN objective. @defaultValue 'vanilla' */
    gan_mode?: GanMode;
    /**
     * Generator built with dropout; its masks (0 or 2, NCHW) are in the tensors
     * `dropout/step<k>/<dropout module key>`, step 0's also used by `forward/G_train`.
     * @defaultValue false
     */
    dropout?: boolean;
  };
  tensors: Record<string, { shape: number[]; file: string; dtype?: string }>;
  losses: Array<Record<'D_fake' | 'D_real' | 'G_GAN' | 'G_L1', number>>;
  G_keys: Record<string, number[]>;
  D_keys: Record<string, number[]>;
}

/** One comparison: relative L2 error `|ours - ref| / |ref|` against its bound. */
export interface GoldenCheck {
  name: string;
  error: number;
  bound: number;
  ok: boolean;
}

/** Bounds of the checks (relative L2 error). */
export const GOLDEN_BOUNDS = { forward: 1e-4, grad: 1e-3, loss: 1e-4, after: 1e-3 } as const;

/**
 * Relative L2 error of `ours` against `ref`, in float64.
 *
 * @example
 * ```ts
 * relL2(new Float32Array([1, 2]), new Float32Array([1, 2.001])); // ~4.5e-4
 * ```
 */
export function relL2(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = ours[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
  }
  if (!Number.isFinite(num)) return Infinity;
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** Below this L2 norm a reference gradient is round-off of an exact zero. */
const ZERO_GRAD_NORM = 1e-9;
/** Absolute L2 bound for such gradients. */
const ZERO_GRAD_BOUND = 1e-9;

function sqDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function f32(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength >> 2);
}

/** NCHW data -> NHWC tensor. */
function fromNCHW(data: Float32Array, shape: number[]): Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
}

/** NHWC tensor -> NCHW data. */
async function toNCHW(x: Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

export interface VerifyOptions {
  /** Called after each check, e.g. to print it. */
  onCheck?: (c: GoldenCheck) => void;
  /** Also check that `G_legacy.pth` (when present) gives the same outputs. @defaultValue true */
  legacy?: boolean;
}

/**
 * Runs every check of a golden folder on the current tfjs backend: G eval/train forward and D
 * forward (<= 1e-4), step-0 gradients of every parameter (<= 1e-3), losses of every step
 * (<= 1e-4), every parameter and running statistic after the steps (<= 1e-3).
 * Throws {@link GoldenError} when files are missing or unreadable.
 *
 * @example
 * ```ts
 * const checks = await verifyGolden(source, { onCheck: (c) => console.log(c.name, c.error) });
 * const allOk = checks.every((c) => c.ok);
 * ```
 */
export async function verifyGolden(
  src: GoldenSource,
  opts: VerifyOptions = {},
): Promise<GoldenCheck[]> {
  const { onCheck, legacy = true } = opts;
  const read = async (name: string): Promise<Uint8Array> => {
    try {
      return await src.read(name);
    } catch (cause) {
      throw new GoldenError(
        `Cannot read "${name}" in golden folder ${src.location}: ${(cause as Error)?.message ?? cause}`,
        { cause },
      );
    }
  };
  let manifest: GoldenManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await read('manifest.json')));
  } catch (cause) {
    if (cause instanceof GoldenError) throw cause;
    throw new GoldenError(`manifest.json in ${src.location} is not valid JSON`, { cause });
  }
  for (const k of ['config', 'tensors', 'losses'] as const) {
    if (!manifest || typeof manifest[k] !== 'object')
      throw new GoldenError(`manifest.json in ${src.location} has no "${k}"`);
  }
  // Read everything first, so a missing file is reported before any computation.
  const files = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const [name, t] of Object.entries(manifest.tensors)) {
    try {
      const data = f32(await src.read(t.file));
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n)
        throw new GoldenError(
          `${t.file} holds ${data.length} floats but the manifest says shape [${t.shape.join(', ')}] (${n})`,
        );
      files.set(name, data);
    } catch (e) {
      if (e instanceof GoldenError) throw e;
      missing.push(t.file);
    }
  }
  const gBytes = await src.read('G.pth').catch(() => (missing.push('G.pth'), null));
  const dBytes = await src.read('D.pth').catch(() => (missing.push('D.pth'), null));
  if (missing.length)
    throw new GoldenError(
      `Golden folder ${src.location} is missing ${missing.length} file(s): ${missing.join(', ')}`,
    );
  const legacyBytes = legacy ? await src.read('G_legacy.pth').catch(() => null) : null;

  const need = (name: string): Float32Array => {
    const d = files.get(name);
    if (!d) throw new GoldenError(`manifest.json in ${src.location} lists no tensor "${name}"`);
    return d;
  };
  const shapeOf = (name: string): number[] => manifest.tensors[name].shape;
  const c = manifest.config;
  const inShape = shapeOf('input/real_A');
  const outShape = shapeOf('input/real_B');
  const makeModel = (): Pix2PixModel =>
    new Pix2PixModel({
      generator: {
        numDowns: c.num_downs,
        ngf: c.ngf,
        norm: c.norm,
        dropout: !!c.dropout,
        inputChannels: inShape[1],
        outputChannels: outShape[1],
      },
      discriminator: { ndf: c.ndf, nLayers: c.n_layers, norm: c.norm },
      train: { ganMode: c.gan_mode ?? 'vanilla' },
    });
  const results: GoldenCheck[] = [];
  const add = (name: string, error: number, bound: number): void => {
    const check = { name, error, bound, ok: error <= bound };
    results.push(check);
    onCheck?.(check);
  };

  const gSd = readPth(gBytes!);
  const dSd = readPth(dBytes!);
  const realA = fromNCHW(need('input/real_A'), inShape);
  const realB = fromNCHW(need('input/real_B'), outShape);
  const model = makeModel();
  // Dropout: PyTorch's masks of step `maskStep` are injected into every train-mode G forward.
  let maskStep = 0;
  if (c.dropout) {
    model.dropoutMaskSource = () => {
      const masks = new Map<string, Tensor>();
      const prefix = `dropout/step${maskStep}/`;
      for (const name of Object.keys(manifest.tensors)) {
        if (name.startsWith(prefix))
          masks.set(name.slice(prefix.length), fromNCHW(need(name), shapeOf(name)));
      }
      if (!masks.size)
        throw new GoldenError(
          `manifest.json in ${src.location} has config.dropout but no "${prefix}*" mask tensors`,
        );
      return masks;
    };
  }
  try {
    model.loadStateDict('G', gSd);
    model.loadStateDict('D', dSd);
    // Forward checks.
    const gEval = model.generate(realA, 'eval');
    add(
      'forward G eval',
      relL2(await toNCHW(gEval), need('forward/G_eval')),
      GOLDEN_BOUNDS.forward,
    );
    gEval.dispose();
    const gTrain = model.generate(realA, 'paper'); // dropout is off in this model: batch statistics only
    add(
      'forward G train',
      relL2(await toNCHW(gTrain), need('forward/G_train')),
      GOLDEN_BOUNDS.forward,
    );
    gTrain.dispose();
    const dEval = model.discriminate(realA, realB, false);
    add(
      'forward D eval (real)',
      relL2(await toNCHW(dEval), need('forward/D_eval_real')),
      GOLDEN_BOUNDS.forward,
    );
    dEval.dispose();
    if (legacyBytes) {
      const m2 = makeModel();
      try {
        m2.loadStateDict('G', readPth(legacyBytes));
        const out = m2.generate(realA, 'eval');
        add(
          'forward G eval from G_legacy.pth',
          relL2(await toNCHW(out), need('forward/G_eval')),
          GOLDEN_BOUNDS.forward,
        );
        out.dispose();
      } finally {
        m2.dispose();
      }
    }
    // Training steps.
    // A batch is its images: inputs holding `batch` images are used as they are; older dumps with
    // one image and `batch` > 1 meant that image repeated.
    const batch = c.batch ?? 1;
    const tile = batch > 1 && inShape[0] === 1;
    if (!tile && inShape[0] !== batch)
      throw new GoldenError(
        `manifest.json in ${src.location}: config.batch is ${batch} but input/real_A holds ${inShape[0]} images`,
      );
    const batchA = tile ? tf.concat(Array(batch).fill(realA), 0) : realA;
    const batchB = tile ? tf.concat(Array(batch).fill(realB), 0) : realB;
    if (files.has('forward/fake_B_step0')) {
      const f0 = model.generate(batchA, 'paper');
      add(
        'forward fake_B step 0',
        relL2(await toNCHW(f0), need('forward/fake_B_step0')),
        GOLDEN_BOUNDS.forward,
      );
      f0.dispose();
    }
    for (let step = 0; step < c.steps; step++) {
      const grads: StepGradients | undefined =
        step === 0 ? { G: new Map(), D: new Map() } : undefined;
      maskStep = step;
      const losses = await model.trainStep(batchA, batchB, { captureGrads: grads });
      const ref = manifest.losses[step];
      if (ref) {
        for (const k of ['D_fake', 'D_real', 'G_GAN', 'G_L1'] as const) {
          add(
            `loss step ${step} ${k}`,
            Math.abs(losses[k] - ref[k]) / Math.abs(ref[k]),
            GOLDEN_BOUNDS.loss,
          );
        }
      }
      if (grads) {
        for (const net of ['G', 'D'] as const) {
          for (const [key, g] of grads[net]) {
            const name = `grad_step0/${net}/${key}`;
            if (!files.has(name)) continue;
            const ref = need(name);
            if (l2(ref) < ZERO_GRAD_NORM) {
              // A mathematically zero gradient (a bias an InstanceNorm cancels): the reference
              // holds float64 round-off (~1e-15), so a relative error means nothing; compare absolutely.
              add(
                `grad step 0 ${net} ${key} (zero gradient, absolute)`,
                Math.sqrt(sqDiff(g, ref)),
                ZERO_GRAD_BOUND,
              );
            } else {
              add(`grad step 0 ${net} ${key}`, relL2(g, ref), GOLDEN_BOUNDS.grad);
            }
          }
        }
      }
    }
    if (batchA !== realA) batchA.dispose();
    if (batchB !== realB) batchB.dispose();
    for (const net of ['G', 'D'] as const) {
      const sd = await model.stateDict(net);
      for (const [key, t] of sd) {
        const name = `after/${net}/${key}`;
        if (files.has(name))
          add(
            `after ${c.steps} steps ${net} ${key}`,
            relL2(t.data as Float32Array, need(name)),
            GOLDEN_BOUNDS.after,
          );
      }
    }
  } finally {
    model.dispose();
    realA.dispose();
    realB.dispose();
  }
  const expected = Object.keys(manifest.tensors).filter(
    (k) => k.startsWith('grad_step0/') || k.startsWith('after/'),
  ).length;
  const covered = results.filter(
    (r) => r.name.startsWith('grad step 0') || r.name.startsWith('after '),
  ).length;
  if (covered !== expected) {
    add(
      `coverage: ${covered} of ${expected} gradient/parameter tensors of the manifest compared`,
      Infinity,
      0,
    );
  }
  return results;
}
