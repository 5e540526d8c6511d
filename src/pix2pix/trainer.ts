/**
 * The training loop of the reference (`train.py`), platform-neutral: epochs at constant learning
 * rate then linear decay, seeded shuffling and augmentation, progress events, validation samples,
 * checkpoints through a callback, and exact resume.
 */
import { tf } from '../core/tf.js';
import { AbortError, ShapeError } from '../core/errors.js';
import { Rng, type RngState } from '../core/rng.js';
import type { FloatImage } from '../core/image.js';
import { iterateEpoch, stackPairs, type SampleSource } from './batches.js';
import {
  preprocessSample,
  resolvePreprocessOptions,
  type PairSample,
  type PreprocessOptions,
} from './preprocess.js';
import type { Pix2PixModel, StepLosses } from './model.js';
import { translateImage } from './translator.js';

/** Where a run stands; enough, with the model's own state, to resume it exactly. */
export interface TrainerState {
  /** 0-based epoch being run (equals `nEpochs + nEpochsDecay` when finished). */
  epoch: number;
  /** Position inside the epoch's order (0 at an epoch boundary). */
  position: number;
  /** Training steps done in total. */
  step: number;
  /** Augmentation RNG state at `position`. */
  rng: RngState;
  /** Loss history, one entry per step. */
  history: LossRecord[];
}

export interface LossRecord extends StepLosses {
  step: number;
  epoch: number;
}

/** A progress event, after every step. */
export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  totalEpochs: number;
  batchInEpoch: number;
  batchesPerEpoch: number;
  losses: StepLosses;
  /** Current learning rate. */
  lr: number;
  /** Training images per second over the run so far (this session). */
  imagesPerSecond: number;
  /** Estimated seconds to the end. */
  etaSeconds: number;
}

/** Validation outputs: input, output, target triples (float images in [-1, 1]). */
export interface SampleSet {
  step: number;
  epoch: number;
  samples: { name: string; input: FloatImage; output: FloatImage; target: FloatImage }[];
}

export interface TrainLoopOptions {
  /** Epochs at the initial learning rate. @defaultValue 100 */
  nEpochs?: number;
  /** Epochs of linear decay to zero after those. @defaultValue 100 */
  nEpochsDecay?: number;
  /**
   * Samples per step. A batch whose samples differ in size (no crop in `preprocess` and images of
   * several sizes) runs as one step per size, so an epoch may then take more steps.
   * @defaultValue 1
   */
  batchSize?: number;
  /** Seed of shuffling and augmentation. @defaultValue the model's seed */
  seed?: number;
  /** Augmentation (`loadSize` 286 / `cropSize` 256 / flip by default, as the paper). */
  preprocess?: PreprocessOptions;
  /** Stop after this many steps in total (for demos and tests). @defaultValue no limit */
  maxSteps?: number;
  /** Called after every step. */
  onProgress?: (p: TrainProgress) => void;
  /** Validation source and cadence. */
  validation?: {
    source: SampleSource<PairSample>;
    every: number;
    count?: number;
    onSamples: (s: SampleSet) => void | Promise<void>;
  };
  /** Called every `every` epochs (and at the end) with the state to save. */
  checkpoint?: { every: number; save: (state: TrainerState) => Promise<void> };
  /** State of an earlier run of the same model to continue (`resume`). */
  resume?: TrainerState;
  signal?: AbortSignal;
}

/**
 * Splits a batch into runs of samples of one size (width, height and channels), keeping the order
 * of first appearance; a batch of one size is returned as one group.
 */
export function groupBySize(samples: readonly PairSample[]): PairSample[][] {
  const groups = new Map<string, PairSample[]>();
  for (const s of samples) {
    const key = `${s.width}x${s.height}x${s.channelsA}x${s.channelsB}`;
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

/**
 * The reference's `linear` policy: 1 for the first `nEpochs` epochs, then
 * `1 - (epoch + 1 - nEpochs) / (nEpochsDecay + 1)` (0-based epoch).
 *
 * @example
 * ```ts
 * lrFactor(150, 100, 100); // 1 - 51/101
 * ```
 */
export function lrFactor(epoch: number, nEpochs: number, nEpochsDecay: number): number {
  return 1 - Math.max(0, epoch + 1 - nEpochs) / (nEpochsDecay + 1);
}

/**
 * Trains `model` on `source` (HWC float pairs, e.g. a Node `PairedDataset`). Resolves with the
 * final state; rejects with AbortError when `signal` aborts (the model is left after a whole step).
 *
 * @example
 * ```ts
 * const state = await trainLoop(model, dataset, { nEpochs: 5, nEpochsDecay: 5, preprocess: { loadSize: 72, cropSize: 64 } });
 * ```
 */
export async function trainLoop(
  model: Pix2PixModel,
  source: SampleSource<PairSample>,
  opts: TrainLoopOptions = {},
): Promise<TrainerState> {
  const {
    nEpochs = 100,
    nEpochsDecay = 100,
    batchSize = 1,
    seed = model.options.seed,
    maxSteps = Infinity,
    onProgress,
    validation,
    checkpoint,
    resume,
    signal,
  } = opts;
  for (const [k, v] of [
    ['nEpochs', nEpochs],
    ['nEpochsDecay', nEpochsDecay],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`Option "${k}" must be an integer >= 0, got ${v}.`);
  }
  if (nEpochs + nEpochsDecay < 1)
    throw new RangeError('Options "nEpochs" + "nEpochsDecay" must be at least 1.');
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`Option "batchSize" must be a positive integer, got ${batchSize}.`);
  for (const [k, v] of [
    ['checkpoint.every', checkpoint?.every],
    ['validation.every', validation?.every],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new RangeError(`Option "${k}" must be a positive integer, got ${JSON.stringify(v)}.`);
  }
  if (checkpoint && typeof checkpoint.every !== 'number')
    throw new RangeError('Option "checkpoint.every" must be a positive integer (epochs).');
  if (validation && typeof validation.every !== 'number')
    throw new RangeError('Option "validation.every" must be a positive integer (steps).');
  if (typeof maxSteps !== 'number' || !(maxSteps >= 1))
    throw new RangeError(
      `Option "maxSteps" must be a number >= 1 (Infinity for no limit), got ${JSON.stringify(maxSteps)}.`,
    );
  if (!source || typeof source.get !== 'function' || !Number.isInteger(source.size))
    throw new TypeError(
      'train(dataset) needs a dataset: { size, get(i) } of pairs (openPairedDataset, browserPairedDataset).',
    );
  if (source.size < 1) throw new ShapeError('The training set is empty.');
  const pre = resolvePreprocessOptions(opts.preprocess);
  const totalEpochs = nEpochs + nEpochsDecay;
  const batchesPerEpoch = Math.ceil(source.size / batchSize);
  const totalSteps = Math.min(maxSteps, totalEpochs * batchesPerEpoch);
  const state: TrainerState = resume
    ? { ...resume, history: resume.history.slice() }
    : { epoch: 0, position: 0, step: 0, rng: new Rng(seed).getState(), history: [] };
  const rng = new Rng(state.rng);
  const t0 = Date.now();
  const stepAtStart = state.step;
  let images = 0;
  const g = model.options.generator;

  const runValidation = async (): Promise<void> => {
    if (!validation) return;
    const count = Math.min(validation.count ?? 4, validation.source.size);
    const samples: SampleSet['samples'] = [];
    for (let i = 0; i < count; i++) {
      const s = await validation.source.get(i);
      // Through the image path of translate(): any size (padded to a multiple of 2^numDowns and
      // cropped back), so a held-out split of mixed sizes cannot stop training.
      const { data: out } = await translateImage(
        model,
        { data: s.a, width: s.width, height: s.height, channels: s.channelsA },
        'eval',
      );
      samples.push({
        name: s.name,
        input: { data: s.a, width: s.width, height: s.height, channels: s.channelsA },
        output: { data: out, width: s.width, height: s.height, channels: g.outputChannels },
        target: { data: s.b, width: s.width, height: s.height, channels: s.channelsB },
      });
    }
    await validation.onSamples({ step: state.step, epoch: state.epoch, samples });
  };

  while (state.epoch < totalEpochs && state.step < maxSteps) {
    const factor = lrFactor(state.epoch, nEpochs, nEpochsDecay);
    model.optG.lrScale = factor;
    model.optD.lrScale = factor;
    const batches = iterateEpoch(source, {
      batchSize,
      seed,
      epoch: state.epoch,
      startPosition: state.position,
      map: (s) => preprocessSample(s, pre, rng),
      signal,
    });
    for await (const batch of batches) {
      // Samples of different sizes (e.g. preprocess 'none' on a dataset of mixed sizes) cannot
      // share a tensor: the batch runs as one step per size, in order of first appearance.
      const groups = groupBySize(batch.samples);
      for (const [gi, group] of groups.entries()) {
        const { a, b, shapeA, shapeB } = stackPairs(group);
        const ta = tf.tensor4d(a, shapeA);
        const tb = tf.tensor4d(b, shapeB);
        let losses: StepLosses;
        try {
          losses = await model.trainStep(ta, tb);
        } finally {
          tf.dispose([ta, tb]);
        }
        state.step++;
        if (gi === groups.length - 1) {
          state.position = batch.nextPosition;
          state.rng = rng.getState();
        }
        images += group.length;
        state.history.push({ step: state.step, epoch: state.epoch, ...losses });
        const elapsed = (Date.now() - t0) / 1000;
        const stepsDone = state.step - stepAtStart;
        onProgress?.({
          step: state.step,
          totalSteps,
          epoch: state.epoch,
          totalEpochs,
          batchInEpoch: batch.batchIndex + 1,
          batchesPerEpoch,
          losses,
          lr: model.options.train.lr * factor,
          imagesPerSecond: elapsed > 0 ? images / elapsed : 0,
          etaSeconds: stepsDone > 0 ? (elapsed / stepsDone) * (totalSteps - state.step) : NaN,
        });
        if (validation && state.step % validation.every === 0) await runValidation();
      }
      if (state.step >= maxSteps) break;
      if (signal?.aborted) throw new AbortError('Training was aborted', { cause: signal.reason });
    }
    if (state.step >= maxSteps && state.position < source.size) break;
    state.epoch++;
    state.position = 0;
    if (checkpoint && state.epoch % checkpoint.every === 0)
      await checkpoint.save(structuredClone(state));
  }
  if (checkpoint) await checkpoint.save(structuredClone(state));
  return state;
}
