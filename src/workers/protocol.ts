/**
 * The worker protocol: what the main thread may ask of a pix2pix worker (`src/worker.ts`) and the
 * plain-data shapes that cross `postMessage`. Types only, no comlink: the main-thread client
 * (`src/workers/client.ts`) holds a `Remote<Pix2PixWorkerApi>`, the worker host
 * (`src/workers/host.ts`) implements it. {@link Pix2PixWorkerApi} is derived from the one `Pix2Pix`
 * declaration (`src/api/pix2pix.ts`) by {@link Wire}, not written out again.
 *
 * Long calls take two trailing arguments: a progress callback (a `Comlink.proxy`; comlink proxies
 * only top-level arguments, so it is not nested in an options object) and a cancel port (an
 * `AbortSignal` cannot be posted, so the client turns one into a `MessagePort` that receives one
 * message on abort). `train(...)` takes the same two; its callback receives {@link TrainEvent}s.
 *
 * @example
 * ```ts
 * import type { Pix2PixWorkerApi } from './workers/protocol.js';
 * const info = await remote.init({ generator: { numDowns: 6, ngf: 8 } });
 * ```
 */
import type { BackendInfo, BackendRequest, Purpose } from '../backends/index.js';
import type { BackendInitOptions } from '../backends/types.js';
import type { ModelOptions, InferenceMode } from '../pix2pix/config.js';
import type { StepLosses } from '../pix2pix/model.js';
import type { PairSample, PreprocessOptions } from '../pix2pix/preprocess.js';
import type { TrainProgress, SampleSet } from '../pix2pix/trainer.js';
import type { PixelImage, FloatImage, RGBAImage } from '../core/image.js';
import type { Carrier, Pix2Pix, TranslateOptions } from '../api/pix2pix.js';

/** Options a worker creates its model with: the in-thread options, all plain data. */
export interface WorkerModelOptions extends ModelOptions, BackendInitOptions {
  backend?: BackendRequest;
  purpose?: Purpose;
  mode?: InferenceMode;
}

/** Where the model runs. */
export type WorkerKind = 'web-worker' | 'worker_threads';

/**
 * {@link BackendInfo} as seen through a worker: the backend the worker selected (from its own
 * capability probe: in a browser worker WebGL needs OffscreenCanvas) and how it got there.
 *
 * @example
 * ```ts
 * const p2p = await createPix2Pix({ worker: true });
 * console.log(p2p.backendInfo.name, p2p.backendInfo.worker.kind, p2p.backendInfo.worker.fallback);
 * ```
 */
export interface WorkerBackendInfo extends BackendInfo {
  worker: {
    kind: WorkerKind;
    /**
     * Set when the requested backend could not run in the worker (e.g. WebGL without
     * OffscreenCanvas) and the worker fell back to another one: what was asked and why it failed.
     */
    fallback: { requested: BackendRequest; error: string } | null;
  };
}

/** Progress of a long call. `total` is null when unknown (a download without Content-Length). */
export type WorkProgress =
  | { kind: 'download'; loaded: number; total: number | null }
  | { kind: 'translate'; done: number; total: number }
  | { kind: 'train'; step: number; total: number | null; losses?: StepLosses };

/** Receives progress; across the boundary it is a `Comlink.proxy` (its return value is ignored). */
export type ProgressCallback = (p: WorkProgress) => void;

/**
 * The two trailing arguments of long calls, as the worker host groups them. `cancel` is one end of
 * a `MessageChannel` whose other end the client posts to when the caller's `AbortSignal` fires;
 * the worker checks it at step boundaries.
 */
export interface CallHooks {
  onProgress?: ProgressCallback;
  cancel?: MessagePort;
}

/**
 * The RGBA image type under its former name.
 * @deprecated use `RGBAImage`, the one RGBA image type.
 */
export type RGBAImageData = RGBAImage;

/** Where weights come from: bytes, or a URL the worker downloads itself (with progress). */
export type WeightsSource = Uint8Array | ArrayBuffer | string | URL;

/** Channels and direction shared by the dataset descriptions the worker decodes itself. */
interface PairLayout {
  /** Which half of an A|B image is the generator input. @defaultValue 'AtoB' */
  direction?: 'AtoB' | 'BtoA';
  /** Channels of the input (1 gray, 3 RGB). @defaultValue the model's `generator.inputChannels` */
  inputChannels?: 1 | 3;
  /** Channels of the target. @defaultValue the model's `generator.outputChannels` */
  outputChannels?: 1 | 3;
}

/**
 * A training set as plain data, for a worker (a dataset object with methods cannot cross
 * `postMessage`). The worker opens it itself:
 * - `folder` (Node workers): a dataset folder, read with `openPairedDataset` (aligned A|B files in
 *   `<root>/<phase>/`, or `A/` + `B/` folders);
 * - `files` (browser workers): A|B images as `File`s / `Blob`s (structured-cloned, not copied
 *   twice) or URLs, decoded with `createImageBitmap` in the worker (`browserPairedDataset`);
 * - `pairs` (anywhere): decoded pairs in memory, HWC floats in [-1, 1] (handed over with
 *   `transfer: true`).
 *
 * @example
 * ```ts
 * const ds: WorkerDataset = { kind: 'folder', root: 'data/fonts-zi2zi', phase: 'train', inputChannels: 1, outputChannels: 1 };
 * const web: WorkerDataset = { kind: 'files', files: [...input.files] };
 * ```
 */
export type WorkerDataset =
  | ({
      kind: 'folder';
      root: string;
      phase?: string;
      layout?: 'auto' | 'aligned' | 'two-folder';
      maxSize?: number;
    } & PairLayout)
  | ({ kind: 'files'; files: (Blob | string)[] } & PairLayout)
  | { kind: 'pairs'; pairs: PairSample[] };

/** The training options that cross to the worker (`Pix2Pix.train`'s, minus callbacks and handlers). */
export interface WorkerTrainOptions {
  nEpochs?: number;
  nEpochsDecay?: number;
  batchSize?: number;
  seed?: number;
  preprocess?: PreprocessOptions;
  maxSteps?: number;
  /** Validation set and cadence; the samples come back as `{ kind: 'samples' }` events. */
  validation?: { source: WorkerDataset; every: number; count?: number };
  /** Written by the worker: a Node path / `file://` URL, or `indexeddb://...` in browsers. */
  checkpoint?: { every: number; target: string };
  /** A checkpoint (same kinds of target) to continue exactly. */
  resumeFrom?: string;
}

/**
 * What a worker's `train` reports: a progress event after every step, and validation samples
 * (float images in [-1, 1], their buffers transferred) every `validation.every` steps. The worker
 * waits for the callback's promise on `samples` (as the in-thread loop awaits `onSamples`).
 *
 * @example
 * ```ts
 * const onEvent: TrainEventCallback = (e) => (e.kind === 'progress' ? console.log(e.progress.step) : show(e.samples));
 * ```
 */
export type TrainEvent =
  { kind: 'progress'; progress: TrainProgress } | { kind: 'samples'; samples: SampleSet };

/** Receives {@link TrainEvent}s; across the boundary it is a `Comlink.proxy`. */
export type TrainEventCallback = (e: TrainEvent) => void | Promise<void>;

/** Per-call options of long work on a worker model. */
export interface LongCallOptions {
  /** Receives progress (after each image, step or downloaded chunk). */
  onProgress?: ProgressCallback;
  /** Cancels the call at the next step boundary; it then rejects with an `AbortError`. */
  signal?: AbortSignal;
  /** Overrides the instance's `transfer` option for this call's inputs. */
  transfer?: boolean;
}

/**
 * Options of `WorkerPix2Pix.train`: those of the in-thread `train`, with datasets and checkpoint
 * targets as data the worker can open itself.
 */
export interface WorkerTrainCallOptions extends Omit<WorkerTrainOptions, 'validation'> {
  /** Called after every step (through the worker's message channel, in order). */
  onProgress?: (p: TrainProgress) => void;
  /** Validation set (a {@link WorkerDataset}), cadence, and where the samples go (float images). */
  validation?: {
    source: WorkerDataset;
    every: number;
    count?: number;
    onSamples: (s: SampleSet) => void | Promise<void>;
  };
  /** Stops at the next step boundary; the call rejects with an `AbortError` and the model holds the last whole step. */
  signal?: AbortSignal;
  /** Hand `pairs` datasets' Float32Arrays over to the worker (detached here) instead of copying them. Overrides the instance option. */
  transfer?: boolean;
}

/**
 * A model in a worker, seen from the main thread: datasets and checkpoint targets are data the
 * worker opens itself, long calls take `onProgress` / `signal`, inputs may be transferred.
 *
 * @example
 * ```ts
 * const p2p: Pix2Pix<WorkerCarrier> = await createPix2Pix({ worker: true });
 * ```
 */
export interface WorkerCarrier extends Carrier {
  info: WorkerBackendInfo;
  weights: WeightsSource;
  translate: { transfer?: boolean };
  call: LongCallOptions;
  dataset: WorkerDataset;
  trainOptions: WorkerTrainCallOptions;
  target: string;
}

/** The same model on the wire (what the worker host receives): plain data, hooks as trailing arguments. */
export interface WireCarrier extends Carrier {
  info: WorkerBackendInfo;
  weights: WeightsSource;
  translate: object;
  call: object;
  dataset: WorkerDataset;
  trainOptions: WorkerTrainOptions;
  target: string;
}

/** The calls that take the two trailing hooks (progress callback, cancel port). */
type LongCall = 'trainStep' | 'loadPth' | 'train';
type HooksOf<K> = [
  onProgress?: K extends 'train' ? TrainEventCallback : ProgressCallback,
  cancel?: MessagePort,
];

/**
 * The remote form of a model, as comlink's `Remote<T>` derives it: every method async, every
 * property an async getter method (`options()`), and long calls with a progress callback and a
 * cancel port appended to their arguments (comlink proxies only top-level arguments).
 *
 * @example
 * ```ts
 * type Api = Wire<Pix2Pix<WireCarrier>>; // translate(image, opts?) => Promise<RGBAImage>, options() => Promise<...>, ...
 * ```
 */
export type Wire<T> = {
  [K in keyof T as K extends string ? K : never]: T[K] extends (...a: infer A) => infer R
    ? (...a: K extends LongCall ? [...A, ...HooksOf<K>] : A) => Promise<Awaited<R>>
    : () => Promise<T[K]>;
};

/**
 * The object a pix2pix worker exposes: the model's methods on the wire ({@link Wire}), plus
 * `init` (select a backend and build the model there) and `translateBatch` (many images, progress
 * after each, cancellable between images). Calls are serialised in the worker.
 *
 * @example
 * ```ts
 * const remote = Comlink.wrap<Pix2PixWorkerApi>(endpoint);
 * await remote.init({ backend: 'wasm' });
 * const out = await remote.translate(img, {});
 * ```
 */
export interface Pix2PixWorkerApi extends Wire<Pix2Pix<WireCarrier>> {
  /** Selects a backend in the worker and builds the model; returns what was selected. */
  init(options: WorkerModelOptions): Promise<WorkerBackendInfo>;
  /** Translates images one after another; progress after each, cancellable between images. */
  translateBatch(
    images: PixelImage[],
    opts: TranslateOptions & { float?: boolean },
    onProgress?: ProgressCallback,
    cancel?: MessagePort,
  ): Promise<(RGBAImage | FloatImage)[]>;
}
