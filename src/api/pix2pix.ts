/**
 * The model's methods, declared once. The in-thread model (`InThreadPix2Pix`), the worker client
 * (`WorkerPix2Pix`) and the worker pool (`WorkerPool`, inference only) implement {@link Pix2Pix} /
 * {@link Pix2PixInference}; what differs between them (what `train` reads, where checkpoints go,
 * per-call options such as `signal` or `transfer`) is a {@link Carrier}. The worker protocol is
 * derived from the same declaration (`Wire<Pix2Pix<WireCarrier>>` in `src/workers/protocol.ts`),
 * as comlink's `Remote<T>` derives a remote object's type, so no method list is written twice.
 *
 * @example
 * ```ts
 * import type { Pix2Pix } from 'pix2pix-ts';
 * async function describe(p2p: Pix2Pix) { return `${p2p.backendInfo.name} ${p2p.options.generator.ngf}`; }
 * ```
 */
import type { BackendInfo } from '../backends/index.js';
import type { IOTarget } from '../core/io/index.js';
import type { FloatImage, PixelImage, RGBAImage } from '../core/image.js';
import type { InferenceMode, ResolvedModelOptions } from '../pix2pix/config.js';
import type { StepLosses } from '../pix2pix/model.js';
import type { LoadOptions } from '../pix2pix/state-dict.js';
import type { SampleSource } from '../pix2pix/batches.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import type { TrainLoopOptions, TrainerState } from '../pix2pix/trainer.js';
import type { WeightsExportOptions } from '../pix2pix/checkpoint.js';

/** Which network: the generator `G` or the discriminator `D`. */
export type NetName = 'G' | 'D';

/** Options of `translate` / `translateFloat`. */
export interface TranslateOptions {
  /** `eval` (running statistics, no dropout) or `paper`/`train`. @defaultValue the model's `mode` */
  mode?: InferenceMode;
  /** Pixel budget of the image; above it the call rejects with a `LimitError`. @defaultValue 2^24 */
  maxPixels?: number;
}

/**
 * What differs between the places a model runs: the type of each argument that cannot be the
 * same in this thread and across a worker boundary.
 */
export interface Carrier {
  /** What `backendInfo` says. */
  info: BackendInfo;
  /** What `loadPth` reads. */
  weights: unknown;
  /** Extra options of `translate` / `translateFloat`. */
  translate: object;
  /** Extra options of long calls (`loadPth`, `trainStep`). */
  call: object;
  /** What `train` reads. */
  dataset: unknown;
  /** Options of `train`. */
  trainOptions: object;
  /** Where `saveCheckpoint` writes. */
  target: unknown;
}

/**
 * Options of the in-thread `train`: the loop's, with checkpoints written to a target.
 *
 * @example
 * ```ts
 * const opts: TrainCallOptions = { nEpochs: 5, checkpoint: { every: 1, target: 'runs/x/latest.ckpt' } };
 * ```
 */
export type TrainCallOptions = Omit<TrainLoopOptions, 'checkpoint'> & {
  /**
   * Writes a resumable checkpoint to `target` every `every` epochs (and at the end), then calls
   * `onSaved` (inside the call, so its `exportPth` gives the weights of the step just saved).
   */
  checkpoint?: {
    every: number;
    target: IOTarget;
    onSaved?: (saved: {
      state: TrainerState;
      exportPth(net: NetName): Promise<Uint8Array>;
    }) => void | Promise<void>;
  };
  /** A checkpoint of an earlier run of this model to continue exactly (restored into the model first). */
  resumeFrom?: IOTarget;
};

/** The model in this thread: tfjs objects and handlers may be passed directly. */
export interface InThread extends Carrier {
  info: BackendInfo;
  /** Bytes, or a path or URL (relative ones against the page or worker in browsers). */
  weights: Uint8Array | ArrayBuffer | string | URL;
  translate: object;
  call: object;
  dataset: SampleSource<PairSample>;
  trainOptions: TrainCallOptions;
  target: IOTarget;
}

/**
 * What a model does for inference; the pool of workers implements this part.
 *
 * @example
 * ```ts
 * const out = await model.translate({ data, width: 256, height: 256 });
 * ```
 */
export interface Pix2PixInference<C extends Carrier = InThread> {
  /** The backend the model runs on and why it was chosen. */
  readonly backendInfo: C['info'];
  /** Default inference mode of `translate`. */
  readonly mode: InferenceMode;
  /** The resolved model options. */
  readonly options: ResolvedModelOptions;
  /**
   * Translates an image of any size (RGBA/RGB/gray 8-bit, or float in [-1, 1]) and returns RGBA
   * 8-bit pixels of the same size.
   */
  translate(image: PixelImage, opts?: TranslateOptions & C['translate']): Promise<RGBAImage>;
  /** Like `translate` but returns the float output in [-1, 1]. */
  translateFloat(image: PixelImage, opts?: TranslateOptions & C['translate']): Promise<FloatImage>;
  /**
   * Loads PyTorch weights (`.pth`, zip or legacy format) into the generator (`G`, default) or the
   * discriminator (`D`). All or nothing: a mismatch lists missing/unexpected keys and wrong shapes.
   */
  loadPth(source: C['weights'], net?: NetName, opts?: LoadOptions & C['call']): Promise<void>;
  /** Exports `G` or `D` as a PyTorch `.pth` (zip format) that `torch.load` + `load_state_dict` read. */
  exportPth(net?: NetName): Promise<Uint8Array>;
  /**
   * Saves the generator as web weights for inference (float32, or float16 / 8-bit kernels): one
   * file, or tfjs's `model.json` + weights file when `target` ends in `.json`.
   */
  saveWeights(target: C['target'], opts?: WeightsExportOptions): Promise<void>;
  /** Releases everything (tensors, workers). Idempotent; later calls reject with `DisposedError`. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A pix2pix model bound to a backend, wherever it runs. Calls are serialised (one at a time).
 * Create one with `createPix2Pix` (`{ worker: true }` for a worker).
 *
 * @example
 * ```ts
 * const p2p: Pix2Pix = await createPix2Pix({ generator: { numDowns: 6, ngf: 8 } });
 * const losses = await p2p.trainStep(a, b);
 * ```
 */
export interface Pix2Pix<C extends Carrier = InThread> extends Pix2PixInference<C> {
  /**
   * One training step on a batch of aligned pairs (each pair the same size, a multiple of
   * 2^numDowns). Returns the losses named as the reference prints them.
   */
  trainStep(
    a: PixelImage | PixelImage[],
    b: PixelImage | PixelImage[],
    opts?: C['call'],
  ): Promise<StepLosses>;
  /**
   * Trains on a paired dataset: epochs at constant LR then linear decay, progress events,
   * validation samples, checkpoints every `checkpoint.every` epochs, exact resume from
   * `resumeFrom`. Resolves with the final trainer state (loss history included).
   */
  train(dataset: C['dataset'], opts?: C['trainOptions']): Promise<TrainerState>;
  /** Saves everything needed to resume training (weights, optimizers, RNG, options). */
  saveCheckpoint(target: C['target']): Promise<void>;
}
