/**
 * The worker protocol: what the main thread may ask of a pix2pix worker (`src/worker.ts`) and the
 * plain-data shapes that cross `postMessage`. Plain types and two pure helpers, no comlink: the
 * main-thread client (`src/workers/client.ts`) holds a `Remote<Pix2PixWorkerApi>`, the worker host
 * (`src/workers/host.ts`) implements it.
 *
 * Long calls take two trailing arguments: a progress callback (a `Comlink.proxy`; comlink proxies
 * only top-level arguments, so it is not nested in an options object) and a cancel port (an
 * `AbortSignal` cannot be posted, so the client turns one into a `MessagePort` that receives one
 * message on abort). `train(...)` takes the same two; its callback receives {@link TrainEvent}s.
 *
 * @example
 * ```ts
 * import type { Pix2PixWorkerApi } from './core/protocol.js';
 * const info = await remote.init({ generator: { numDowns: 6, ngf: 8 } });
 * ```
 */
import type { BackendInfo, BackendRequest, Purpose } from '../backends/index.js';
import type { BackendInitOptions } from '../backends/types.js';
import type { ModelOptions, InferenceMode } from '../pix2pix/config.js';
import type { StepLosses } from '../pix2pix/model.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import type { PreprocessOptions } from '../pix2pix/preprocess.js';
import type { TrainProgress, SampleSet, TrainerState } from '../pix2pix/trainer.js';
import type { LoadOptions } from '../pix2pix/state-dict.js';
import type { PixelImage, FloatImage } from './image.js';
import {
  reviveError, Pix2PixError, ShapeError, ValueError, CheckpointError, UnsafePickleError, StateDictMismatchError,
  BackendError, GoldenError, DatasetError, AbortError, DisposedError, WorkerError,
} from './errors.js';

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

/** An RGBA 8-bit image (the shape of `ImageData`). */
export interface RGBAImageData {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  channels: 4;
}

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
  | ({ kind: 'folder'; root: string; phase?: string; layout?: 'auto' | 'aligned' | 'two-folder'; maxSize?: number } & PairLayout)
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
export type TrainEvent = { kind: 'progress'; progress: TrainProgress } | { kind: 'samples'; samples: SampleSet };

/** Receives {@link TrainEvent}s; across the boundary it is a `Comlink.proxy`. */
export type TrainEventCallback = (e: TrainEvent) => void | Promise<void>;

/**
 * The object a pix2pix worker exposes. Every method is async and calls are serialised in the
 * worker (one model, one call at a time).
 *
 * @example
 * ```ts
 * const remote = Comlink.wrap<Pix2PixWorkerApi>(endpoint);
 * await remote.init({ backend: 'wasm' });
 * const out = await remote.translate(img, {});
 * ```
 */
export interface Pix2PixWorkerApi {
  /** Selects a backend in the worker and builds the model; returns what was selected. */
  init(options: WorkerModelOptions): Promise<WorkerBackendInfo>;
  /** The resolved model options. */
  options(): Promise<import('../pix2pix/config.js').ResolvedModelOptions>;
  translate(image: PixelImage, opts: { mode?: InferenceMode }): Promise<RGBAImageData>;
  translateFloat(image: PixelImage, opts: { mode?: InferenceMode }): Promise<FloatImage>;
  /** Translates images one after another; progress after each, cancellable between images. */
  translateBatch(images: PixelImage[], opts: { mode?: InferenceMode; float?: boolean }, onProgress?: ProgressCallback, cancel?: MessagePort): Promise<(RGBAImageData | FloatImage)[]>;
  trainStep(a: PixelImage | PixelImage[], b: PixelImage | PixelImage[], onProgress?: ProgressCallback, cancel?: MessagePort): Promise<StepLosses>;
  loadPth(source: WeightsSource, net: 'G' | 'D', opts: LoadOptions | undefined, onProgress?: ProgressCallback, cancel?: MessagePort): Promise<void>;
  exportPth(net: 'G' | 'D'): Promise<Uint8Array>;
  /**
   * Trains on a dataset the worker opens itself (see {@link WorkerDataset}); cancellable at step
   * boundaries through `cancel` (the model then holds the state after the last whole step).
   */
  train(dataset: WorkerDataset, opts: WorkerTrainOptions, onEvent?: TrainEventCallback, cancel?: MessagePort): Promise<TrainerState>;
  /** Saves a resumable checkpoint (weights, optimizers, RNG, options) to a path or `indexeddb://` URL. */
  saveCheckpoint(target: string): Promise<void>;
  dispose(): Promise<void>;
}

/** What an error becomes on the wire: enough to rebuild the same class with the same `code`. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** Extra own fields of library errors (e.g. `missing` / `unexpected` of a state-dict mismatch). */
  fields?: Record<string, unknown>;
}

const EXTRA_FIELDS = ['missing', 'unexpected', 'wrongShapes'] as const;

// Canonical names, subclasses before their bases. `name` is set from `new.target.name`, which a
// bundler may rename (esbuild emits `AbortError2` when two classes share a name) and a minifier may
// mangle; the class itself is what identifies the error.
const CLASSES: [string, abstract new (...a: never[]) => Error][] = [
  ['StateDictMismatchError', StateDictMismatchError], ['UnsafePickleError', UnsafePickleError], ['CheckpointError', CheckpointError],
  ['ShapeError', ShapeError], ['ValueError', ValueError], ['BackendError', BackendError], ['GoldenError', GoldenError],
  ['DatasetError', DatasetError], ['AbortError', AbortError], ['DisposedError', DisposedError], ['WorkerError', WorkerError],
  ['Pix2PixError', Pix2PixError],
];

/**
 * Flattens an error (or any thrown value) into plain data for `postMessage`.
 *
 * @example
 * ```ts
 * serializeError(new ShapeError('bad')); // { name: 'ShapeError', message: 'bad', code: 'E_SHAPE', stack }
 * ```
 */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: typeof e === 'string' ? e : `Non-error value thrown: ${safeString(e)}` };
  const name = CLASSES.find(([, C]) => e instanceof C)?.[0] ?? e.name;
  const out: SerializedError = { name, message: e.message, stack: e.stack };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  const fields: Record<string, unknown> = {};
  for (const k of EXTRA_FIELDS) if (Array.isArray((e as unknown as Record<string, unknown>)[k])) fields[k] = [...((e as unknown as Record<string, unknown[]>)[k])];
  if (Object.keys(fields).length) out.fields = fields;
  return out;
}

/**
 * Rebuilds an error from {@link serializeError}'s output: library errors come back as the same
 * class (`instanceof` works) with the same `code`; the stack is the worker's.
 *
 * @example
 * ```ts
 * deserializeError({ name: 'ShapeError', message: 'bad', code: 'E_SHAPE' }) instanceof ShapeError; // true
 * ```
 */
export function deserializeError(s: SerializedError): Error {
  const err = reviveError(s);
  if (s.code && !(err instanceof Pix2PixError)) (err as { code?: string }).code = s.code;
  if (s.fields) Object.assign(err, s.fields);
  return err;
}

function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return typeof v;
  }
}
