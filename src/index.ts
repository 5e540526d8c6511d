/**
 * pix2pix-ts: pix2pix training and inference in browsers and Node.
 *
 * @example
 * ```ts
 * import { createPix2Pix } from 'pix2pix-ts';
 * const p2p = await createPix2Pix({ generator: { numDowns: 6, ngf: 8 } });
 * console.log(p2p.backendInfo.name, p2p.backendInfo.reason);
 * const out = await p2p.translate({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 });
 * await p2p.dispose();
 * ```
 */
import { tf } from './core/tf.js';
import type { Tensor4D } from './core/tf.js';
import { DisposedError, ShapeError } from './core/errors.js';
import { toFloatImage, toRGBA8, type PixelImage, type FloatImage } from './core/image.js';
import { selectBackend, type BackendInfo, type BackendRequest, type BackendInitOptions, type Purpose } from './backends/index.js';
import { createOrtNodeSession } from './backends/ort-node.js';
import { createOrtWebGPUSession } from './backends/ort-webgpu.js';
import { OnnxTranslator } from './pix2pix/onnx-translator.js';
import { Pix2PixModel, type StepLosses } from './pix2pix/model.js';
import type { ModelOptions, InferenceMode } from './pix2pix/config.js';
import { translateImage } from './pix2pix/translator.js';
import { readPth, writePth } from './core/pth/index.js';
import type { LoadOptions } from './pix2pix/state-dict.js';
import { modelFromWeights, saveCheckpoint, restoreCheckpoint, type WeightsInput } from './pix2pix/checkpoint.js';
import { trainLoop, type TrainLoopOptions, type TrainerState } from './pix2pix/trainer.js';
import type { SampleSource } from './pix2pix/batches.js';
import type { PairSample } from './pix2pix/preprocess.js';
import type { IOTarget } from './core/io/index.js';
import { WorkerPix2Pix, type WorkerOptions } from './workers/client.js';

export * from './core/errors.js';
export type { PixelImage, FloatImage } from './core/image.js';
export type { StateDict, StateTensor } from './core/state-dict.js';
export type { ModelOptions, GeneratorOptions, DiscriminatorOptions, TrainOptions, InferenceMode, NormKind, GanMode } from './pix2pix/config.js';
export type { StepLosses } from './pix2pix/model.js';
export { Pix2PixModel } from './pix2pix/model.js';
export { trainLoop, lrFactor, type TrainLoopOptions, type TrainerState, type TrainProgress, type SampleSet, type LossRecord } from './pix2pix/trainer.js';
export { decodeBrowserImage, splitPair, browserPairedDataset, type BrowserImageSource } from './core/browser-image.js';
export type { PairSample } from './pix2pix/preprocess.js';
export type { SampleSource } from './pix2pix/batches.js';
export { readPth, writePth } from './core/pth/index.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  restoreCheckpoint,
  saveWeights,
  checkpointToArtifacts,
  weightsToArtifacts,
  restoreFromArtifacts,
  modelFromArtifacts,
  modelFromWeights,
  readCheckpointMeta,
  type CheckpointMeta,
  type WeightsDType,
  type WeightsInput,
  type LoadedWeights,
} from './pix2pix/checkpoint.js';
export { inferGeneratorOptions, inferDiscriminatorOptions, inferModelOptions } from './pix2pix/infer-arch.js';
export { readPict, writePict, type PictFile, type PictTensor } from './core/pict.js';
export { pictToStateDict, type PictImport } from './pix2pix/pict-import.js';
export { fileHandler, type IOTarget, type FsLike } from './core/io/index.js';
export { verifyGolden, relL2, type GoldenSource, type GoldenCheck } from './pix2pix/golden.js';

export type { BackendInfo, BackendRequest, BackendName, TfBackendName, EngineName, Purpose } from './backends/index.js';
export { useOnnxRuntimeWeb } from './backends/ort-webgpu.js';
export { WorkerPix2Pix, createWorkerPix2Pix, type WorkerOptions, type LongCallOptions, type WorkerTrainCallOptions } from './workers/client.js';
export { WorkerPool, createWorkerPool, type WorkerPoolOptions, type PoolProgress } from './workers/pool.js';
export type { WorkerBackendInfo, WorkerKind, WorkProgress, ProgressCallback, WeightsSource, RGBAImageData, WorkerDataset, WorkerTrainOptions, TrainEvent } from './core/protocol.js';

export interface CreatePix2PixOptions extends ModelOptions, BackendInitOptions {
  /**
   * Backend to run on: `auto` (a real-GPU WebGL/WebGPU, else for inference the onnxruntime engine
   * where it loads (`ort-node` in Node), else WASM SIMD with threads where allowed, else CPU: see
   * `backendInfo.reason`), a name, or a list of names tried in order. The onnxruntime engines run
   * eval-mode `translate` only; the weights, training and paper mode run on the tfjs backend
   * chosen under them (`backendInfo.tfjs`).
   * @defaultValue 'auto'
   */
  backend?: BackendRequest;
  /** What `auto` optimises for: `infer` or `train`. @defaultValue 'infer' */
  purpose?: Purpose;
  /** Inference mode of `translate` (`eval`: running statistics, no dropout). @defaultValue 'eval' */
  mode?: InferenceMode;
  /**
   * Generator weights to start from: bytes, a path or URL of a PyTorch `.pth`, a `.pict`
   * (pix2pix-tensorflow / ml5.js demos), a pix2pix-ts checkpoint or web weights (`model.json`), or
   * a tf.io.IOHandler. Without `generator` options the architecture is read from the weights.
   * `mode` then defaults to what the weights were made for (`paper` for `.pict`).
   */
  weights?: WeightsInput;
}

/** An RGBA 8-bit image, the shape of a canvas `ImageData`. */
export interface RGBAImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  channels: 4;
}

/**
 * A pix2pix model bound to a backend. Calls are serialised (one at a time). Create with
 * {@link createPix2Pix}.
 */
export class Pix2Pix {
  readonly backendInfo: BackendInfo;
  readonly mode: InferenceMode;
  private model: Pix2PixModel | null;
  private chain: Promise<unknown> = Promise.resolve();
  /** The onnxruntime engine's session of the generator (eval-mode translate), when one was chosen. */
  private ort: OnnxTranslator | null;

  private constructor(model: Pix2PixModel, backendInfo: BackendInfo, mode: InferenceMode, ort: OnnxTranslator | null = null) {
    this.model = model;
    this.backendInfo = backendInfo;
    this.mode = mode;
    this.ort = ort;
  }

  /** @internal */
  static async create(options: CreatePix2PixOptions = {}): Promise<Pix2Pix> {
    const { backend = 'auto', purpose = 'infer', mode, wasmPaths, threads, webglDeleteTextureThreshold, weights, ...modelOptions } = options;
    let info = await selectBackend({ backend, purpose, wasmPaths, threads, webglDeleteTextureThreshold });
    let model: Pix2PixModel;
    let chosenMode: InferenceMode;
    if (weights !== undefined) {
      const loaded = await modelFromWeights(weights, modelOptions);
      model = loaded.model;
      chosenMode = mode ?? loaded.mode;
    } else {
      model = new Pix2PixModel(modelOptions);
      chosenMode = mode ?? 'eval';
    }
    let ort: OnnxTranslator | null = null;
    if (info.tfjs) {
      // An onnxruntime engine: export the generator and open its session now, so that a runtime
      // that imports but cannot run the graph is a fallback (with the cause), not a failed call.
      const engine = info.name;
      const candidate = new OnnxTranslator(engine === 'ort-node' ? (b) => createOrtNodeSession(b, { threads }) : (b) => createOrtWebGPUSession(b));
      try {
        await candidate.prepare(model);
        ort = candidate;
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        const tfjs = info.tfjs;
        info = { ...tfjs, reason: `${tfjs.reason}; not ${engine}: its session could not be created (${message})`, tried: [...info.tried, { name: engine, error: message }, ...tfjs.tried] };
      }
    }
    return new Pix2Pix(model, info, chosenMode, ort);
  }

  private run<T>(fn: (m: Pix2PixModel) => Promise<T> | T): Promise<T> {
    const next = this.chain.then(() => {
      if (!this.model) throw new DisposedError();
      return fn(this.model);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The resolved model options. */
  get options(): Pix2PixModel['options'] {
    if (!this.model) throw new DisposedError();
    return this.model.options;
  }

  /**
   * Loads PyTorch weights (`.pth`, zip or legacy format) into the generator (`G`, default) or the
   * discriminator (`D`). All or nothing: a mismatch lists missing/unexpected keys and wrong shapes.
   *
   * @example
   * ```ts
   * await p2p.loadPth(await fs.readFile('latest_net_G.pth'));
   * ```
   */
  loadPth(bytes: Uint8Array | ArrayBuffer, net: 'G' | 'D' = 'G', opts?: LoadOptions): Promise<void> {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.run((m) => {
      m.loadStateDict(net, readPth(u8), opts);
      this.ort?.invalidate();
    });
  }

  /**
   * Exports the generator or discriminator as a PyTorch `.pth` (zip format) that
   * `torch.load` + `load_state_dict` read.
   */
  exportPth(net: 'G' | 'D' = 'G'): Promise<Uint8Array> {
    return this.run(async (m) => writePth(await m.stateDict(net)));
  }

  /**
   * Translates an image of any size (RGBA/RGB/gray 8-bit, or float in [-1, 1]) and returns RGBA
   * 8-bit pixels of the same size. On an onnxruntime engine, eval mode runs there and paper mode
   * on the tfjs backend under it.
   */
  translate(image: PixelImage, opts: { mode?: InferenceMode } = {}): Promise<RGBAImage> {
    return this.run(async (m) => toRGBA8(await this.generate(m, image, opts.mode ?? this.mode)));
  }

  /** Like {@link translate} but returns the float output in [-1, 1]. */
  translateFloat(image: PixelImage, opts: { mode?: InferenceMode } = {}): Promise<FloatImage> {
    return this.run((m) => this.generate(m, image, opts.mode ?? this.mode));
  }

  private generate(m: Pix2PixModel, image: PixelImage, mode: InferenceMode): Promise<FloatImage> {
    return this.ort && mode === 'eval' ? this.ort.translate(m, image) : translateImage(m, image, mode);
  }

  /**
   * One training step on a batch of aligned pairs (each pair the same size, a multiple of
   * 2^numDowns). Returns the losses named as the reference prints them.
   */
  trainStep(a: PixelImage | PixelImage[], b: PixelImage | PixelImage[]): Promise<StepLosses> {
    return this.run(async (m) => {
      const as = Array.isArray(a) ? a : [a];
      const bs = Array.isArray(b) ? b : [b];
      if (as.length !== bs.length || !as.length) throw new ShapeError(`trainStep needs as many targets as inputs (got ${as.length} and ${bs.length}).`);
      const g = m.options.generator;
      const ta = batchTensor(as.map((x) => toFloatImage(x, g.inputChannels)));
      const tb = batchTensor(bs.map((x) => toFloatImage(x, g.outputChannels)));
      this.ort?.invalidate();
      try {
        return await m.trainStep(ta, tb);
      } finally {
        ta.dispose();
        tb.dispose();
      }
    });
  }

  /**
   * Trains on a paired dataset (a Node `openPairedDataset(...)`, a browser
   * `browserPairedDataset(files)`, or any `{ size, get(i) }` of pairs): epochs at constant LR then
   * linear decay, progress events, validation samples, and checkpoints to `checkpoint.target`
   * (a path / `file://` in Node, `indexeddb://...` or `downloads://...` in browsers) every
   * `checkpoint.every` epochs. `resumeFrom` continues a checkpointed run exactly.
   *
   * @example
   * ```ts
   * const ds = await openPairedDataset({ root: 'datasets/facades' });
   * await p2p.train(ds, { nEpochs: 100, nEpochsDecay: 100, onProgress: (p) => console.log(p.step, p.losses),
   *   checkpoint: { every: 5, target: 'runs/facades/latest.ckpt' } });
   * ```
   */
  train(
    dataset: SampleSource<PairSample>,
    opts: Omit<TrainLoopOptions, 'checkpoint' | 'resume'> & { checkpoint?: { every: number; target: IOTarget }; resumeFrom?: IOTarget } = {},
  ): Promise<TrainerState> {
    return this.run(async (m) => {
      const { checkpoint, resumeFrom, ...loop } = opts;
      this.ort?.invalidate();
      const resume = resumeFrom ? ((await restoreCheckpoint(m, resumeFrom)) as unknown as TrainerState | undefined) : undefined;
      return trainLoop(m, dataset, {
        ...loop,
        resume,
        checkpoint: checkpoint && { every: checkpoint.every, save: async (st) => void (await saveCheckpoint(m, checkpoint.target, st as unknown as Record<string, unknown>)) },
      });
    });
  }

  /** Saves everything needed to resume training (weights, optimizers, RNG, options) to a target. */
  saveCheckpoint(target: IOTarget): Promise<void> {
    return this.run(async (m) => void (await saveCheckpoint(m, target)));
  }

  /** Releases every tensor and variable. Idempotent; later calls reject with DisposedError. */
  async dispose(): Promise<void> {
    await this.chain;
    this.model?.dispose();
    this.model = null;
    await this.ort?.dispose();
    this.ort = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

function batchTensor(imgs: FloatImage[]): Tensor4D {
  const { width, height, channels } = imgs[0];
  for (const im of imgs) {
    if (im.width !== width || im.height !== height) throw new ShapeError(`All images of a batch must have the same size; got ${width}x${height} and ${im.width}x${im.height}.`);
  }
  const data = new Float32Array(imgs.length * width * height * channels);
  imgs.forEach((im, i) => data.set(im.data, i * im.data.length));
  return tf.tensor4d(data, [imgs.length, height, width, channels]);
}

/**
 * Creates a pix2pix model on a backend. Options default to the paper's pix2pix (UNet-256, ngf 64,
 * 70x70 PatchGAN, BatchNorm, vanilla GAN + 100 x L1, Adam 2e-4/0.5/0.999, eps 1e-8).
 *
 * @example
 * ```ts
 * const p2p = await createPix2Pix({ generator: { numDowns: 7, ngf: 32 }, backend: 'wasm' });
 * const inWorker = await createPix2Pix({ worker: true, generator: { numDowns: 7, ngf: 32 } }); // off the main thread
 * ```
 */
export function createPix2Pix(options: CreatePix2PixOptions & WorkerOptions): Promise<WorkerPix2Pix>;
export function createPix2Pix(options?: CreatePix2PixOptions & { worker?: false }): Promise<Pix2Pix>;
export function createPix2Pix(options: CreatePix2PixOptions & { worker?: boolean; workerUrl?: string | URL; transfer?: boolean } = {}): Promise<Pix2Pix | WorkerPix2Pix> {
  // With `worker: true` the model lives in a worker (module Web Worker / worker_threads) and every
  // call is a message; see WorkerPix2Pix.
  const { worker, workerUrl, transfer, ...rest } = options;
  if (worker) return WorkerPix2Pix.create({ ...rest, workerUrl, transfer });
  return Pix2Pix.create(rest);
}
