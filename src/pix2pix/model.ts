/**
 * A pix2pix model: generator, discriminator, their optimizers, and the training step of the
 * reference, written only against tfjs-core ops (it never asks which backend runs it).
 */
import { tf } from '../core/tf.js';
import type { Tensor, Tensor4D, Variable, NamedTensorMap } from '../core/tf.js';
import { ShapeError, DisposedError } from '../core/errors.js';
import type { StateDict } from '../core/state-dict.js';
import {
  checkNet,
  resolveModelOptions,
  sizeMultiple,
  type ModelOptions,
  type ResolvedModelOptions,
  type InferenceMode,
} from './config.js';
import { DROPOUT_KERNEL } from '../core/fused-kernels.js';
import { generatorSpecs, generatorForward, dropoutShapes } from './generator.js';
import { discriminatorSpecs, discriminatorForward } from './discriminator.js';
import { ParamStore, tfToTorch } from './params.js';
import { Adam } from './adam.js';
import { ganLoss, l1 } from './losses.js';
import {
  applyDeferredStats,
  concatChannels,
  type DeferredStats,
  type ForwardContext,
} from './layers.js';
import { holdForBackward, outsideTape } from './tape.js';
import { exportStateDict, importStateDict, type LoadOptions } from './state-dict.js';

/** Losses of one training step, named as the reference prints them (`G_L1` already weighted). */
export interface StepLosses {
  D_fake: number;
  D_real: number;
  G_GAN: number;
  G_L1: number;
}

/** Gradients captured during a step (tests, verification), PyTorch layout, by state_dict key. */
export interface StepGradients {
  G: Map<string, Float32Array>;
  D: Map<string, Float32Array>;
}

let modelCounter = 0;

/**
 * @example
 * ```ts
 * const model = new Pix2PixModel({ generator: { numDowns: 6, ngf: 8 }, discriminator: { ndf: 8 } });
 * const losses = await model.trainStep(a, b); // a, b: NHWC tensors in [-1, 1]
 * const out = model.generate(a);             // eval mode
 * model.dispose();
 * ```
 */
export class Pix2PixModel {
  readonly options: ResolvedModelOptions;
  readonly G: ParamStore;
  readonly D: ParamStore;
  readonly optG: Adam;
  readonly optD: Adam;
  /** Counter that seeds dropout masks, so a resumed run draws the same masks. */
  dropoutCounter = 0;
  /**
   * Verification only: supplies the dropout masks (NHWC, by dropout key, values 0 or 2) of each
   * train-mode generator forward instead of drawing them, so PyTorch's masks can be injected.
   * The model disposes the returned tensors.
   */
  dropoutMaskSource?: (n: number, h: number, w: number) => Map<string, Tensor>;
  private disposed = false;

  constructor(options: ModelOptions = {}) {
    this.options = resolveModelOptions(options);
    const id = ++modelCounter;
    const { generator: g, discriminator: d, train: t, seed } = this.options;
    this.G = new ParamStore(generatorSpecs(g), seed * 2 + 1, `p2p${id}/G`);
    this.D = new ParamStore(discriminatorSpecs(d), seed * 2 + 2, `p2p${id}/D`);
    const adam = { lr: t.lr, beta1: t.beta1, beta2: t.beta2, epsilon: t.epsilon };
    this.optG = new Adam(this.G.trainable(), adam);
    this.optD = new Adam(this.D.trainable(), adam);
  }

  private check(): void {
    if (this.disposed) throw new DisposedError('This Pix2PixModel');
  }

  /**
   * Validates an NHWC batch for the generator: 4-D, channels, and a size that every
   * downsampling divides exactly.
   */
  checkInput(x: Tensor, what = 'input', channels = this.options.generator.inputChannels): void {
    const g = this.options.generator;
    if (x.rank !== 4)
      throw new ShapeError(
        `The ${what} must be a 4-D NHWC tensor [batch, height, width, ${channels}], got shape [${x.shape.join(', ')}].`,
      );
    const [, h, w, c] = x.shape;
    if (c !== channels)
      throw new ShapeError(`The ${what} has ${c} channels but the model expects ${channels}.`);
    const m = sizeMultiple(g.numDowns);
    if (h % m !== 0 || w % m !== 0) {
      throw new ShapeError(
        `The ${what} is ${h}x${w}, but a U-Net with numDowns ${g.numDowns} needs height and width that are multiples of ${m} (e.g. ${m}, ${2 * m}, ${4 * m}); resize or pad the image (translate() pads for you).`,
      );
    }
  }

  /**
   * Builds dropout masks (0 or 2, i.e. p = 0.5 scaled by 1/(1-p)) for a batch; empty when dropout
   * is off. Where the backend has the fused dropout kernel, the uniform draws the masks come from
   * instead (`uniforms` true): the kernel applies `u > 0.5 ? 2 : 0` itself, sparing the Sub, Step
   * and Multiply programs of each mask.
   */
  private dropoutMasks(
    n: number,
    h: number,
    w: number,
  ): { masks: Map<string, Tensor>; uniforms: boolean } {
    const masks = new Map<string, Tensor>();
    if (!this.options.generator.dropout) return { masks, uniforms: false };
    if (this.dropoutMaskSource) return { masks: this.dropoutMaskSource(n, h, w), uniforms: false };
    const uniforms = tf.getKernel(DROPOUT_KERNEL, tf.getBackend()) != null;
    const seedBase = this.options.seed * 1_000_003 + this.dropoutCounter++ * 101;
    let i = 0;
    for (const [key, shape] of dropoutShapes(this.options.generator, n, h, w)) {
      masks.set(
        key,
        tf.tidy(() => {
          const u = tf.randomUniform(shape, 0, 1, 'float32', seedBase + i++);
          return uniforms ? u : tf.mul(tf.step(tf.sub(u, 0.5)), 2);
        }),
      );
    }
    return { masks, uniforms };
  }

  generate(x: Tensor4D, mode: InferenceMode = 'eval'): Tensor4D {
    this.check();
    this.checkInput(x);
    const drawn =
      mode === 'paper' ? this.dropoutMasks(x.shape[0], x.shape[1], x.shape[2]) : undefined;
    const masks = drawn?.masks;
    try {
      const ctx: ForwardContext = {
        batchStats: mode === 'paper',
        updateStats: false,
        dropoutMasks: masks,
        dropoutUniforms: drawn?.uniforms,
      };
      return tf.tidy(() => generatorForward(this.G, this.options.generator, x, ctx));
    } finally {
      masks?.forEach((m) => m.dispose());
    }
  }

  /** Generator forward in training mode (batch statistics, running statistics updated, dropout on). */
  generateTrain(x: Tensor4D): Tensor4D {
    this.check();
    this.checkInput(x);
    const { masks, uniforms } = this.dropoutMasks(x.shape[0], x.shape[1], x.shape[2]);
    try {
      return tf.tidy(() =>
        generatorForward(this.G, this.options.generator, x, {
          batchStats: true,
          updateStats: true,
          dropoutMasks: masks,
          dropoutUniforms: uniforms,
        }),
      );
    } finally {
      masks.forEach((m) => m.dispose());
    }
  }

  /** Discriminator logits for cat(A, B); `train` uses (and updates) batch statistics. */
  discriminate(a: Tensor4D, b: Tensor4D, train = false): Tensor4D {
    this.check();
    return tf.tidy(() =>
      discriminatorForward(this.D, this.options.discriminator, tf.concat([a, b], 3), {
        batchStats: train,
        updateStats: train,
      }),
    );
  }

  /**
   * One training step of the reference: fake = G(A); update D on
   * 0.5 * (GAN(D(A, fake), 0) + GAN(D(A, B), 1)); then update G on GAN(D(A, fake), 1) + lambda * L1.
   * Every train-mode forward updates BatchNorm running statistics (G once, D three times).
   */
  async trainStep(
    realA: Tensor4D,
    realB: Tensor4D,
    opts: { captureGrads?: StepGradients } = {},
  ): Promise<StepLosses> {
    this.check();
    this.checkInput(realA, 'input A');
    this.checkInput(realB, 'target B', this.options.generator.outputChannels);
    if (
      realA.shape[0] !== realB.shape[0] ||
      realA.shape[1] !== realB.shape[1] ||
      realA.shape[2] !== realB.shape[2]
    ) {
      throw new ShapeError(
        `Input A [${realA.shape.join(', ')}] and target B [${realB.shape.join(', ')}] must have the same batch size, height and width.`,
      );
    }
    const { generator: g, discriminator: d, train: t } = this.options;
    // The step changes every weight: folded copies would only hold memory until the next eval.
    this.G.dropDerived();
    const [n, h, w] = realA.shape;
    const { masks, uniforms } = this.dropoutMasks(n, h, w);
    const trainCtx: ForwardContext = {
      batchStats: true,
      updateStats: true,
      dropoutMasks: masks,
      dropoutUniforms: uniforms,
    };
    const kept: Tensor[] = [];
    // D's three train-mode forwards update its running statistics at the end of the step, all
    // three updates of a layer in one kernel per buffer (D's forwards use batch statistics).
    const deferredStats: DeferredStats = new Map();
    try {
      // One G forward per step, as the reference: the G gradient computation records G's forward
      // once, runs the whole D update inside it with G's tape paused (a gradient computation of
      // its own, on the fake as a constant), then D on the fake through the updated D. G's
      // forward recomputed after the D update cost a train-mode G forward of GPU programs a step.
      const dVars = this.D.trainable();
      const gVars = this.G.trainable();
      const dCtx: ForwardContext = { ...trainCtx, deferredStats };
      const dParts: Tensor[] = [];
      const gParts: Tensor[] = [];
      let dGrads: Tensor[] = [];
      const gRes = holdForBackward(() =>
        tf.variableGrads(() => {
          const f = generatorForward(this.G, g, realA, trainCtx);
          // D update on the fake, outside G's tape (PyTorch's `fake.detach()`).
          outsideTape(() => {
            const dRes = tf.variableGrads(() => {
              const predFake = discriminatorForward(this.D, d, concatChannels(realA, f), dCtx);
              // 0.5 * (fake + real) as the sum of halves, each scaled inside its loss kernel:
              // equal (a power-of-two scale is exact), without a Multiply each way.
              const lossFake = ganLoss(predFake, false, t.ganMode, 0.5);
              const predReal = discriminatorForward(this.D, d, concatChannels(realA, realB), dCtx);
              const lossReal = ganLoss(predReal, true, t.ganMode, 0.5);
              dParts.push(tf.keep(lossFake), tf.keep(lossReal));
              return tf.add(lossFake, lossReal);
            }, dVars);
            kept.push(tf.keep(dRes.value));
            dGrads = orderedGrads(dRes.grads, dVars).map((x) => tf.keep(x));
            this.optD.apply(dGrads);
            if (!opts.captureGrads) {
              tf.dispose(dGrads);
              dGrads = [];
            }
          });
          // G update through the updated D.
          const pred = discriminatorForward(this.D, d, concatChannels(realA, f), dCtx);
          const lossGan = ganLoss(pred, true, t.ganMode);
          const lossL1 = l1(f, realB, t.lambdaL1);
          gParts.push(tf.keep(lossGan), tf.keep(lossL1));
          return tf.add(lossGan, lossL1);
        }, gVars),
      );
      kept.push(...dParts, ...gParts, gRes.value);
      applyDeferredStats(this.D, deferredStats);
      const gGrads = orderedGrads(gRes.grads, gVars);
      if (opts.captureGrads) {
        try {
          await capture(opts.captureGrads.D, this.D, dVars, dGrads);
        } finally {
          tf.dispose(dGrads);
        }
        await capture(opts.captureGrads.G, this.G, gVars, gGrads);
      }
      this.optG.apply(gGrads);
      tf.dispose(gGrads);

      const values = await Promise.all(
        [dParts[0], dParts[1], gParts[0], gParts[1]].map((x) => x.data()),
      );
      return {
        D_fake: values[0][0] * 2,
        D_real: values[1][0] * 2,
        G_GAN: values[2][0],
        G_L1: values[3][0],
      };
    } finally {
      tf.dispose(kept);
      deferredStats.forEach((e) => tf.dispose(e.stats));
      masks.forEach((m) => m.dispose());
    }
  }

  /** The generator's or discriminator's state dict in PyTorch layout (keys as the reference). */
  async stateDict(net: 'G' | 'D'): Promise<StateDict> {
    this.check();
    checkNet(net, 'exportPth / stateDict(net)');
    return exportStateDict(net === 'G' ? this.G : this.D);
  }

  /**
   * Loads a PyTorch state dict into the generator or discriminator. All or nothing: on any
   * missing/unexpected key or wrong shape nothing is changed and a StateDictMismatchError lists them.
   */
  loadStateDict(net: 'G' | 'D', sd: StateDict, opts: LoadOptions = {}): void {
    this.check();
    checkNet(net, 'loadPth / loadStateDict(net)');
    const store = net === 'G' ? this.G : this.D;
    importStateDict(store, sd, opts);
    store.dropDerived();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optG.dispose();
    this.optD.dispose();
    this.G.dispose();
    this.D.dispose();
  }
}

/**
 * Gradients in variable order. A variable the loss does not depend on (a conv bias that an
 * InstanceNorm cancels exactly) gets an exact zero, as its true gradient is.
 */
function orderedGrads(grads: NamedTensorMap, vars: Variable[]): Tensor[] {
  return vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
}

async function capture(
  into: Map<string, Float32Array>,
  store: ParamStore,
  vars: Variable[],
  grads: Tensor[],
): Promise<void> {
  const specs = store.specs.filter((s) => s.trainable);
  for (let i = 0; i < vars.length; i++) {
    const spec = specs[i];
    into.set(spec.key, tfToTorch(await grads[i].data(), spec.shape, spec.kind));
  }
}
