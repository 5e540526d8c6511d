/**
 * The model in this thread: {@link InThreadPix2Pix}, what `createPix2Pix()` returns without
 * `worker: true`, and what a worker host runs inside its worker.
 */
import { tf } from '../core/tf.js';
import type { Tensor4D } from '../core/tf.js';
import { DisposedError, ShapeError } from '../core/errors.js';
import {
  checkImage,
  toFloatImage,
  toRGBA8,
  type PixelImage,
  type FloatImage,
  type RGBAImage,
} from '../core/image.js';
import {
  selectBackend,
  type BackendInfo,
  type BackendRequest,
  type BackendInitOptions,
  type Purpose,
} from '../backends/index.js';
import { createOrtNodeSession } from '../backends/ort-node.js';
import { createOrtWebGPUSession } from '../backends/ort-webgpu.js';
import { OnnxTranslator } from '../pix2pix/onnx-translator.js';
import { ENGINE_EXPORT_OPTIONS } from '../pix2pix/onnx-export.js';
import { Pix2PixModel, type StepLosses } from '../pix2pix/model.js';
import {
  checkCreateOptions,
  checkLoadOptions,
  checkMode,
  checkNet,
  type ModelOptions,
  type InferenceMode,
  type ResolvedModelOptions,
} from '../pix2pix/config.js';
import { translateImage } from '../pix2pix/translator.js';
import { readPth, writePth } from '../core/pth/index.js';
import type { LoadOptions } from '../pix2pix/state-dict.js';
import {
  modelFromWeights,
  saveCheckpoint,
  saveWeights,
  restoreCheckpoint,
  type LoadedWeights,
  type WeightsExportOptions,
  type WeightsInput,
} from '../pix2pix/checkpoint.js';
import { trainLoop, type TrainerState } from '../pix2pix/trainer.js';
import type { SampleSource } from '../pix2pix/batches.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import { download, type IOTarget } from '../core/io/index.js';
import type { NetName, Pix2Pix, TrainCallOptions, TranslateOptions } from './pix2pix.js';

/**
 * Options of `createPix2Pix`: the model's, the backend's, and where the weights come from.
 *
 * @example
 * ```ts
 * const opts: CreatePix2PixOptions = { backend: 'wasm', weights: 'latest_net_G.pth' };
 * ```
 */
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
  /**
   * Entry of a PyTorch checkpoint dict (`weights`) that holds the generator's state dict, e.g.
   * `'netG'` for `{ netG, netD, opt }`. By default the dict itself, or its `state_dict` / `model`.
   */
  key?: string;
}

/**
 * A pix2pix model in this thread, bound to a backend. Calls are serialised (one at a time).
 * Create with `createPix2Pix` (or {@link InThreadPix2Pix.create}).
 *
 * @example
 * ```ts
 * const p2p = await InThreadPix2Pix.create({ backend: 'cpu', generator: { numDowns: 6, ngf: 8 } });
 * const out = await p2p.translate({ data: new Uint8ClampedArray(64 * 64 * 4), width: 64, height: 64 });
 * ```
 */
export class InThreadPix2Pix implements Pix2Pix {
  readonly backendInfo: BackendInfo;
  readonly mode: InferenceMode;
  /**
   * The trainer state saved with the checkpoint this model was created from (`weights` pointing
   * at a pix2pix-ts checkpoint), to continue that run with `train(ds, { resume: p2p.trainerState })`;
   * undefined otherwise.
   */
  readonly trainerState: TrainerState | undefined;
  /**
   * What `weights` held (`pth`, `pict`, `checkpoint`, `weights`) and, for a `.pict`, how the model
   * differs from the TF port it came from; undefined when the model was created without weights.
   */
  readonly loadedWeights:
    { kind: LoadedWeights['kind']; differences: readonly string[] } | undefined;
  private model: Pix2PixModel | null;
  private chain: Promise<unknown> = Promise.resolve();
  /** The onnxruntime engine's session of the generator (eval-mode translate), when one was chosen. */
  private ort: OnnxTranslator | null;

  private constructor(
    model: Pix2PixModel,
    backendInfo: BackendInfo,
    mode: InferenceMode,
    trainerState: TrainerState | undefined,
    ort: OnnxTranslator | null,
    loadedWeights: InThreadPix2Pix['loadedWeights'],
  ) {
    this.loadedWeights = loadedWeights;
    this.model = model;
    this.backendInfo = backendInfo;
    this.mode = mode;
    this.trainerState = trainerState;
    this.ort = ort;
  }

  /** @internal */
  static async create(options: CreatePix2PixOptions = {}): Promise<InThreadPix2Pix> {
    checkCreateOptions(options);
    const {
      backend = 'auto',
      purpose = 'infer',
      mode,
      wasmPaths,
      threads,
      webglDeleteTextureThreshold,
      weights,
      key,
      ...modelOptions
    } = options;
    let info = await selectBackend({
      backend,
      purpose,
      wasmPaths,
      threads,
      webglDeleteTextureThreshold,
    });
    let model: Pix2PixModel;
    let chosenMode: InferenceMode;
    let trainerState: TrainerState | undefined;
    let loadedWeights: InThreadPix2Pix['loadedWeights'];
    if (weights !== undefined) {
      const loaded = await modelFromWeights(weights, modelOptions, { key });
      loadedWeights = { kind: loaded.kind, differences: loaded.differences ?? [] };
      model = loaded.model;
      chosenMode = mode ?? loaded.mode;
      trainerState = loaded.trainerState;
    } else {
      model = new Pix2PixModel(modelOptions);
      chosenMode = mode ?? 'eval';
    }
    let ort: OnnxTranslator | null = null;
    if (info.tfjs) {
      // An onnxruntime engine: export the generator and open its session now, so that a runtime
      // that imports but cannot run the graph is a fallback (with the cause), not a failed call.
      const engine = info.name;
      // ort-node runs the sub-pixel graph with BatchNorm folded (faster on onnxruntime's CPU
      // kernels: BENCHMARKS.md, "ort-node engine"); ort-webgpu keeps the plain graph (unmeasured).
      const candidate =
        engine === 'ort-node'
          ? new OnnxTranslator((b) => createOrtNodeSession(b, { threads }), ENGINE_EXPORT_OPTIONS)
          : new OnnxTranslator((b) => createOrtWebGPUSession(b));
      try {
        await candidate.prepare(model);
        ort = candidate;
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        const tfjs = info.tfjs;
        info = {
          ...tfjs,
          reason: `${tfjs.reason}; not ${engine}: its session could not be created (${message})`,
          tried: [...info.tried, { name: engine, error: message }, ...tfjs.tried],
        };
      }
    }
    return new InThreadPix2Pix(model, info, chosenMode, trainerState, ort, loadedWeights);
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
  get options(): ResolvedModelOptions {
    if (!this.model) throw new DisposedError();
    return this.model.options;
  }

  /**
   * Loads PyTorch weights (`.pth`, zip or legacy format) into the generator (`G`, default) or the
   * discriminator (`D`). All or nothing: a mismatch lists missing/unexpected keys and wrong shapes.
   * `opts.key` picks the entry of a checkpoint dict (`{ netG, netD, opt }`: `key: 'netD'`).
   *
   * @example
   * ```ts
   * await p2p.loadPth('checkpoints/facades/latest_net_G.pth'); // or its bytes, or a URL
   * await p2p.loadPth(await fs.readFile('run.pth'), 'D', { key: 'netD' });
   * ```
   */
  async loadPth(
    source: Uint8Array | ArrayBuffer | string | URL,
    net: NetName = 'G',
    opts?: LoadOptions,
  ): Promise<void> {
    checkNet(net, 'loadPth(source, net)');
    checkLoadOptions(opts);
    if (
      typeof source !== 'string' &&
      !(source instanceof URL) &&
      !(source instanceof Uint8Array) &&
      Object.prototype.toString.call(source) !== '[object ArrayBuffer]'
    )
      throw new TypeError(
        `loadPth(source) needs the bytes of a .pth (Uint8Array or ArrayBuffer), or a path or URL; got ${source === null ? 'null' : typeof source}.`,
      );
    // A path or URL (relative ones against the page or worker in browsers), as the worker's loadPth takes.
    const u8 =
      typeof source === 'string' || source instanceof URL
        ? await download(source, { what: 'weights' })
        : source instanceof Uint8Array
          ? source
          : new Uint8Array(source as ArrayBuffer);
    return this.run((m) => {
      m.loadStateDict(net, readPth(u8, { key: opts?.key, limits: opts?.limits }), opts);
      this.ort?.invalidate();
    });
  }

  /**
   * Exports the generator or discriminator as a PyTorch `.pth` (zip format) that
   * `torch.load` + `load_state_dict` read.
   */
  exportPth(net: NetName = 'G'): Promise<Uint8Array> {
    return this.run(async (m) => writePth(await m.stateDict(checkNet(net, 'exportPth(net)'))));
  }

  /**
   * Saves the generator as web weights for inference (float32, or float16 / 8-bit kernels): one
   * file, or tfjs's `model.json` + weights file when `target` ends in `.json`.
   *
   * @example
   * ```ts
   * await p2p.saveWeights('public/fonts/model.json', { dtype: 'uint8' });
   * ```
   */
  saveWeights(target: IOTarget, opts: WeightsExportOptions = {}): Promise<void> {
    return this.run(async (m) => void (await saveWeights(m, target, opts)));
  }

  /**
   * Translates an image of any size (RGBA/RGB/gray 8-bit, or float in [-1, 1]) and returns RGBA
   * 8-bit pixels of the same size. On an onnxruntime engine, eval mode runs there and paper mode
   * on the tfjs backend under it.
   */
  translate(image: PixelImage, opts: TranslateOptions = {}): Promise<RGBAImage> {
    return this.run(async (m) => {
      checkImage(image, 'translate(image)', opts?.maxPixels);
      const mode = checkMode(opts?.mode, 'translate option "mode"') ?? this.mode;
      // The engine crops and converts its planar output to 8 bits in one pass.
      return this.ort && mode === 'eval'
        ? this.ort.translateRGBA8(m, image)
        : toRGBA8(await translateImage(m, image, mode));
    });
  }

  /** Like {@link translate} but returns the float output in [-1, 1]. */
  translateFloat(image: PixelImage, opts: TranslateOptions = {}): Promise<FloatImage> {
    return this.run((m) => {
      checkImage(image, 'translateFloat(image)', opts?.maxPixels);
      const mode = checkMode(opts?.mode, 'translateFloat option "mode"') ?? this.mode;
      return this.generate(m, image, mode);
    });
  }

  private generate(m: Pix2PixModel, image: PixelImage, mode: InferenceMode): Promise<FloatImage> {
    return this.ort && mode === 'eval'
      ? this.ort.translate(m, image)
      : translateImage(m, image, mode);
  }

  /**
   * One training step on a batch of aligned pairs (each pair the same size, a multiple of
   * 2^numDowns). Returns the losses named as the reference prints them.
   */
  trainStep(a: PixelImage | PixelImage[], b: PixelImage | PixelImage[]): Promise<StepLosses> {
    return this.run(async (m) => {
      const as = Array.isArray(a) ? a : [a];
      const bs = Array.isArray(b) ? b : [b];
      if (as.length !== bs.length || !as.length)
        throw new ShapeError(
          `trainStep needs as many targets as inputs (got ${as.length} and ${bs.length}).`,
        );
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
  train(dataset: SampleSource<PairSample>, opts: TrainCallOptions = {}): Promise<TrainerState> {
    return this.run(async (m) => {
      const { checkpoint, resumeFrom, resume, ...loop } = opts;
      this.ort?.invalidate();
      const save =
        checkpoint &&
        (async (state: TrainerState) => {
          await saveCheckpoint(m, checkpoint.target, state);
          await checkpoint.onSaved?.({
            state,
            exportPth: async (net) => writePth(await m.stateDict(net)),
          });
        });
      return trainLoop(m, dataset, {
        ...loop,
        resume: resumeFrom ? await restoreCheckpoint(m, resumeFrom) : resume,
        checkpoint: save && { every: checkpoint.every, save },
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
    if (im.width !== width || im.height !== height)
      throw new ShapeError(
        `All images of a batch must have the same size; got ${width}x${height} and ${im.width}x${im.height}.`,
      );
  }
  const data = new Float32Array(imgs.length * width * height * channels);
  imgs.forEach((im, i) => data.set(im.data, i * im.data.length));
  return tf.tensor4d(data, [imgs.length, height, width, channels]);
}
