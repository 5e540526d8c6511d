/**
 * The main-thread side of `createPix2Pix({ worker: true })`: a {@link WorkerPix2Pix} with the
 * in-thread model's methods, each a message to a worker that owns the model.
 */
import * as Comlink from 'comlink';
import { AbortError, DisposedError, WorkerError } from '../core/errors.js';
import { checkImage, type PixelImage, type FloatImage, type RGBAImage } from '../core/image.js';
import {
  checkCreateOptions,
  checkLoadOptions,
  checkNet,
  type InferenceMode,
  type ResolvedModelOptions,
} from '../pix2pix/config.js';
import type { StepLosses } from '../pix2pix/model.js';
import type { LoadOptions } from '../pix2pix/state-dict.js';
import type { TrainerState } from '../pix2pix/trainer.js';
import type { NetName, Pix2Pix, TranslateOptions } from '../api/pix2pix.js';
import type {
  Pix2PixWorkerApi,
  ProgressCallback,
  WeightsSource,
  WorkerBackendInfo,
  WorkerModelOptions,
  WorkerDataset,
  WorkerTrainOptions,
  TrainEvent,
  LongCallOptions,
  WorkerTrainCallOptions,
  WorkerCarrier,
} from './protocol.js';
import { assertWorkerDataset } from './datasets.js';
import { spawnWorker, type SpawnedWorker } from './spawn.js';
import { cancelToken, installErrorTransfer } from './wire.js';
import type { WeightsExportOptions } from '../pix2pix/checkpoint.js';

/** Options that only apply with `worker: true`. */
export interface WorkerOptions {
  /** Run the model in a worker (a module Web Worker in browsers, `worker_threads` in Node). */
  worker: true;
  /**
   * The worker script.
   * @defaultValue `new URL('./worker.js', import.meta.url)` in browsers, `./worker.node.js` in Node
   * (the files `npm run build` writes next to the bundle)
   */
  workerUrl?: string | URL;
  /**
   * Hand input pixel buffers and weight bytes over to the worker (`postMessage` transfer: no copy,
   * but the caller's buffers are detached afterwards) instead of copying them. Results always come
   * back transferred. Per-call `transfer` overrides it.
   * @defaultValue false
   */
  transfer?: boolean;
}

export type { LongCallOptions, WorkerTrainCallOptions } from './protocol.js';

type Remote = Comlink.Remote<Pix2PixWorkerApi>;

interface Live {
  spawned: SpawnedWorker;
  remote: Remote;
  pending: number;
}

const isTransferable = (b: ArrayBufferLike): b is ArrayBuffer =>
  typeof SharedArrayBuffer === 'undefined' || !(b instanceof SharedArrayBuffer);

/** Marks the distinct buffers of `views` for transfer on `obj` when `on`. */
function withTransfer<T extends object>(
  obj: T,
  views: { buffer: ArrayBufferLike }[],
  on: boolean,
): T {
  if (!on) return obj;
  const buffers = [...new Set(views.map((v) => v.buffer))].filter(isTransferable);
  return Comlink.transfer(obj, buffers);
}

const imagesOf = (x: PixelImage | PixelImage[]): PixelImage[] => (Array.isArray(x) ? x : [x]);

/**
 * A pix2pix model that lives in a worker. Same methods as the in-thread `Pix2Pix`; long calls also
 * take `onProgress` and `signal`. Create with `createPix2Pix({ worker: true, ... })`.
 *
 * @example
 * ```ts
 * const p2p = await createPix2Pix({ worker: true, generator: { numDowns: 6, ngf: 8 } });
 * const outs = await p2p.translateBatch(images, { onProgress: (p) => console.log(p), signal });
 * await p2p.dispose(); // terminates the worker
 * ```
 */
export class WorkerPix2Pix implements Pix2Pix<WorkerCarrier> {
  /** What the worker selected (its own probe) and where it runs. */
  backendInfo!: WorkerBackendInfo;
  readonly mode: InferenceMode;
  readonly workerUrl: URL | string | undefined;
  private live: Live | null = null;
  private resolvedOptions!: ResolvedModelOptions;
  private disposed = false;
  private disposing: Promise<void> | null = null;
  private crashed: WorkerError | null = null;
  private readonly init: WorkerModelOptions;
  private readonly transferDefault: boolean;

  private constructor(
    init: WorkerModelOptions,
    workerUrl: URL | string | undefined,
    transfer: boolean,
  ) {
    this.init = init;
    this.workerUrl = workerUrl;
    this.transferDefault = transfer;
    this.mode = init.mode ?? 'eval';
  }

  /**
   * @internal `signal` stops a start-up that has not finished: the worker is terminated and the
   * call rejects with an AbortError (with the signal's reason as its cause).
   */
  static async create(
    options: WorkerModelOptions & Omit<WorkerOptions, 'worker'> & { signal?: AbortSignal },
  ): Promise<WorkerPix2Pix> {
    installErrorTransfer();
    // Checked here too, so that bad options fail before a worker is started.
    checkCreateOptions(options);
    const { workerUrl, transfer = false, signal, ...init } = options;
    const p = new WorkerPix2Pix(init, workerUrl, transfer);
    await p.start(signal);
    return p;
  }

  private async start(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted)
      throw new AbortError('The worker start-up was cancelled before it began.', {
        cause: signal.reason,
      });
    const spawned = spawnWorker(this.workerUrl);
    const live: Live = {
      spawned,
      remote: Comlink.wrap<Pix2PixWorkerApi>(spawned.endpoint),
      pending: 0,
    };
    this.live = live;
    this.crashed = null;
    const onAbort = () =>
      void spawned.terminate(
        'The pix2pix worker was stopped while starting (its start-up was cancelled).',
      );
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.backendInfo = await this.call((r) => r.init(this.init));
      this.resolvedOptions = await this.call((r) => r.options());
    } catch (e) {
      this.live = null;
      await spawned.terminate('The pix2pix worker failed to initialise.');
      if (signal?.aborted)
        throw new AbortError('The worker start-up was cancelled.', { cause: signal.reason });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Sends one call; rejects with the worker's error, or a WorkerError if the worker dies first. */
  private async call<T>(fn: (r: Remote) => Promise<T>, internal = false): Promise<T> {
    if (this.disposed && !internal) throw new DisposedError('This worker model');
    const live = this.live;
    if (!live)
      throw (
        this.crashed ??
        new WorkerError(
          'The pix2pix worker is not running (it was terminated); call restart() first.',
        )
      );
    if (live.spawned.isDead) throw await live.spawned.dead.catch((e: Error) => e);
    live.pending++;
    live.spawned.hold(true);
    let off = (): void => undefined;
    try {
      // Not Promise.race([call, dead]): each race leaves a reaction on the long-lived `dead`
      // promise that holds the call's result, so every result stayed reachable (a leak per call).
      return await new Promise<T>((resolve, reject) => {
        off = live.spawned.onDead(reject);
        fn(live.remote).then(resolve, reject);
      });
    } catch (e) {
      if (live.spawned.isDead && this.live === live) {
        this.live = null;
        this.crashed =
          e instanceof WorkerError
            ? e
            : new WorkerError('The pix2pix worker stopped; call restart() or create a new model.', {
                cause: e,
              });
      }
      throw e;
    } finally {
      off();
      live.pending--;
      if (!live.pending) live.spawned.hold(false);
    }
  }

  /** Runs a long call with a progress proxy and a cancel port, releasing both afterwards. */
  private async long<T, E = Parameters<ProgressCallback>[0]>(
    opts: { onProgress?: (e: E) => unknown; signal?: AbortSignal },
    fn: (
      r: Remote,
      onProgress: ((e: E) => unknown) | undefined,
      cancel: MessagePort | undefined,
    ) => Promise<T>,
  ): Promise<T> {
    if (opts.signal?.aborted)
      throw new AbortError(
        'The operation was aborted before it started (its AbortSignal had already fired).',
      );
    const token = cancelToken(opts.signal);
    const onProgress = opts.onProgress ? Comlink.proxy(opts.onProgress) : undefined;
    try {
      return await this.call((r) =>
        fn(r, onProgress, token.port ? Comlink.transfer(token.port, token.transfer) : undefined),
      );
    } finally {
      token.close();
    }
  }

  private transferOf(opts: { transfer?: boolean }): boolean {
    return opts.transfer ?? this.transferDefault;
  }

  /** The resolved model options. */
  get options(): ResolvedModelOptions {
    if (this.disposed) throw new DisposedError('This worker model');
    return this.resolvedOptions;
  }

  /** The underlying `Worker` (browser) or `worker_threads.Worker` (Node), or null when stopped. */
  get worker(): unknown {
    return this.live?.spawned.raw ?? null;
  }

  /**
   * Translates an image of any size in the worker; RGBA 8-bit out, same size.
   *
   * @example
   * ```ts
   * const out = await p2p.translate(ctx.getImageData(0, 0, w, h));
   * ```
   */
  translate(
    image: PixelImage,
    opts: TranslateOptions & { transfer?: boolean } = {},
  ): Promise<RGBAImage> {
    try {
      // Checked here, before a transfer would detach the caller's pixels for nothing.
      checkImage(image, 'translate(image)', opts.maxPixels);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.call((r) =>
      r.translate(withTransfer(image, [image.data], this.transferOf(opts)), {
        mode: opts.mode,
        maxPixels: opts.maxPixels,
      }),
    );
  }

  /** Like {@link translate} but returns floats in [-1, 1]. */
  translateFloat(
    image: PixelImage,
    opts: TranslateOptions & { transfer?: boolean } = {},
  ): Promise<FloatImage> {
    try {
      checkImage(image, 'translateFloat(image)', opts.maxPixels);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.call((r) =>
      r.translateFloat(withTransfer(image, [image.data], this.transferOf(opts)), {
        mode: opts.mode,
        maxPixels: opts.maxPixels,
      }),
    );
  }

  /**
   * Translates images one after another in the worker, reporting `{ kind: 'translate', done,
   * total }` after each; an abort stops it between two images (rejecting with `AbortError`).
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * const outs = await p2p.translateBatch(imgs, { onProgress: ({ done, total }) => bar.update(done / total), signal: ac.signal });
   * ```
   */
  translateBatch(
    images: PixelImage[],
    opts: LongCallOptions & { mode?: InferenceMode; float?: false; maxPixels?: number },
  ): Promise<RGBAImage[]>;
  translateBatch(
    images: PixelImage[],
    opts: LongCallOptions & { mode?: InferenceMode; float: true; maxPixels?: number },
  ): Promise<FloatImage[]>;
  translateBatch(
    images: PixelImage[],
    opts: LongCallOptions & { mode?: InferenceMode; float?: boolean; maxPixels?: number } = {},
  ): Promise<(RGBAImage | FloatImage)[]> {
    try {
      if (!Array.isArray(images))
        throw new TypeError(
          `translateBatch(images) needs an array of images, got ${typeof images}.`,
        );
      images.forEach((im, i) => checkImage(im, `translateBatch(images[${i}])`, opts.maxPixels));
    } catch (e) {
      return Promise.reject(e);
    }
    const payload = withTransfer(
      images,
      images.map((i) => i.data),
      this.transferOf(opts),
    );
    return this.long(opts, (r, p, c) =>
      r.translateBatch(
        payload,
        { mode: opts.mode, float: opts.float, maxPixels: opts.maxPixels },
        p,
        c,
      ),
    );
  }

  /**
   * One training step in the worker; an abort that comes before the step starts cancels it (a
   * running step always completes, so the model is never half-updated).
   *
   * @example
   * ```ts
   * const losses = await p2p.trainStep(a, b);
   * ```
   */
  trainStep(
    a: PixelImage | PixelImage[],
    b: PixelImage | PixelImage[],
    opts: LongCallOptions = {},
  ): Promise<StepLosses> {
    const t = this.transferOf(opts);
    const pa = withTransfer(
      a,
      imagesOf(a).map((i) => i.data),
      t,
    );
    const pb = withTransfer(
      b,
      imagesOf(b).map((i) => i.data),
      t,
    );
    return this.long(opts, (r, p, c) => r.trainStep(pa, pb, undefined, p, c));
  }

  /**
   * Loads PyTorch weights into `G` (default) or `D`: bytes, or a URL / Node path that the worker
   * reads itself, reporting `{ kind: 'download', loaded, total }`.
   *
   * @example
   * ```ts
   * await p2p.loadPth('https://example.com/facades_label2photo.pth', 'G', { onProgress: console.log });
   * ```
   */
  loadPth(
    source: WeightsSource,
    net: NetName = 'G',
    opts: LoadOptions & LongCallOptions = {},
  ): Promise<void> {
    const { onProgress, signal, transfer, ...load } = opts;
    try {
      checkNet(net, 'loadPth(source, net)');
      checkLoadOptions(load);
    } catch (e) {
      return Promise.reject(e);
    }
    let payload: WeightsSource = source;
    if (typeof source === 'string' && this.live?.spawned.kind === 'web-worker') {
      // A worker resolves relative URLs against its own script; the caller means the page.
      const base = (globalThis as { location?: { href: string } }).location?.href;
      if (base) payload = new URL(source, base).href;
    } else if (source instanceof URL) payload = source.href;
    else if (typeof source !== 'string') {
      const u8 = source instanceof Uint8Array ? source : new Uint8Array(source);
      payload = withTransfer(u8, [u8], this.transferOf({ transfer }));
    }
    return this.long({ onProgress, signal }, (r, p, c) =>
      r.loadPth(payload, net, Object.keys(load).length ? load : undefined, p, c),
    );
  }

  /**
   * Exports `G` or `D` as PyTorch `.pth` bytes (zip format).
   *
   * @example
   * ```ts
   * await fs.writeFile('latest_net_G.pth', await p2p.exportPth('G'));
   * ```
   */
  exportPth(net: NetName = 'G'): Promise<Uint8Array> {
    return this.call((r) => r.exportPth(net));
  }

  /**
   * Trains in the worker, with the in-thread `train`'s options and semantics: the dataset is a
   * description the worker opens itself ({@link WorkerDataset}: a folder in Node, `File`s / `Blob`s
   * / URLs in browsers, or decoded pairs), progress and validation samples come back as messages,
   * checkpoints are written by the worker (a Node path, `indexeddb://...` in browsers), and an
   * abort stops at the next step boundary with the model usable. Resolves with the final
   * trainer state (loss history included).
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * const state = await p2p.train({ kind: 'folder', root: 'data/fonts-zi2zi', inputChannels: 1, outputChannels: 1 }, {
   *   nEpochs: 5, nEpochsDecay: 5, preprocess: { loadSize: 72, cropSize: 64 },
   *   onProgress: (p) => console.log(p.step, p.losses.G_L1), signal: ac.signal,
   *   checkpoint: { every: 1, target: 'runs/fonts/latest.ckpt' },
   * });
   * ```
   */
  train(dataset: WorkerDataset, opts: WorkerTrainCallOptions = {}): Promise<TrainerState> {
    assertWorkerDataset(dataset, 'dataset');
    const { onProgress, validation, signal, transfer, ...loop } = opts;
    if (validation) assertWorkerDataset(validation.source, 'validation.source');
    if (loop.checkpoint && typeof loop.checkpoint.target !== 'string') {
      throw new TypeError(
        'Option "checkpoint.target" of a worker model must be a string (a path or file:// URL in Node, indexeddb://... in browsers): an IOHandler cannot be sent to a worker.',
      );
    }
    if (loop.resumeFrom !== undefined && typeof loop.resumeFrom !== 'string')
      throw new TypeError(
        'Option "resumeFrom" of a worker model must be a string (a path, file:// URL or indexeddb:// URL).',
      );
    const t = this.transferOf({ transfer });
    const buffers: { buffer: ArrayBufferLike }[] = [];
    const wire = (d: WorkerDataset): WorkerDataset => {
      if (d.kind === 'pairs') for (const p of d.pairs) buffers.push(p.a, p.b);
      if (d.kind === 'files' && this.live?.spawned.kind === 'web-worker') {
        // A worker resolves relative URLs against its own script; the caller means the page.
        const base = (globalThis as { location?: { href: string } }).location?.href;
        if (base)
          return {
            ...d,
            files: d.files.map((f) => (typeof f === 'string' ? new URL(f, base).href : f)),
          };
      }
      return d;
    };
    const args: WorkerTrainOptions = { ...loop };
    const payload = wire(dataset);
    if (validation)
      args.validation = {
        source: wire(validation.source),
        every: validation.every,
        count: validation.count,
      };
    // comlink collects transferables per top-level argument: all of them ride on the dataset's.
    const sent = withTransfer({ ...payload }, buffers, t);
    const onEvent =
      onProgress || validation
        ? async (e: TrainEvent) => {
            if (e.kind === 'progress') onProgress?.(e.progress);
            else await validation?.onSamples(e.samples);
          }
        : undefined;
    return this.long<TrainerState, TrainEvent>({ onProgress: onEvent, signal }, (r, p, c) =>
      r.train(sent, args, p as never, c),
    );
  }

  /**
   * Saves a resumable checkpoint of the worker's model (weights, optimizers, RNG, options), written
   * by the worker: a Node path / `file://` URL, or `indexeddb://...` in browsers.
   *
   * @example
   * ```ts
   * await p2p.saveCheckpoint('runs/fonts/latest.ckpt');
   * const again = await createPix2Pix({ weights: 'runs/fonts/latest.ckpt' });
   * ```
   */
  saveCheckpoint(target: string): Promise<void> {
    if (typeof target !== 'string')
      return Promise.reject(
        new TypeError(
          'saveCheckpoint(target) of a worker model needs a string target (a path, file:// URL or indexeddb:// URL): an IOHandler cannot be sent to a worker.',
        ),
      );
    return this.call((r) => r.saveCheckpoint(target));
  }

  /**
   * Saves the generator as web weights (float32, or float16 / 8-bit kernels), written by the
   * worker: a Node path / `file://` URL (`.json`: tfjs's model.json layout), or `indexeddb://...`.
   *
   * @example
   * ```ts
   * await p2p.saveWeights('public/fonts/model.json', { dtype: 'uint8' });
   * ```
   */
  saveWeights(target: string, opts: WeightsExportOptions = {}): Promise<void> {
    if (typeof target !== 'string')
      return Promise.reject(
        new TypeError(
          'saveWeights(target) of a worker model needs a string target (a path, file:// URL or indexeddb:// URL): an IOHandler cannot be sent to a worker.',
        ),
      );
    return this.call((r) => r.saveWeights(target, opts));
  }

  /**
   * Kills the worker now. Pending calls reject with a {@link WorkerError}; {@link restart} starts
   * a fresh one.
   *
   * @example
   * ```ts
   * await p2p.terminate();
   * ```
   */
  async terminate(): Promise<void> {
    const live = this.live;
    this.live = null;
    this.crashed = new WorkerError(
      'The pix2pix worker was terminated with terminate(); call restart() or create a new model.',
    );
    await live?.spawned.terminate(this.crashed.message);
  }

  /**
   * Starts a new worker with the same options (after a crash or {@link terminate}); the model is
   * freshly initialised from the seed, so load weights again. A live worker is terminated first.
   *
   * @example
   * ```ts
   * try { await p2p.translate(img); } catch (e) { if (e instanceof WorkerError) await p2p.restart(); }
   * ```
   */
  async restart(): Promise<void> {
    if (this.disposed) throw new DisposedError('This worker model');
    if (this.live) await this.terminate();
    await this.start();
  }

  /**
   * Disposes the model in the worker and terminates it. Waits for pending calls; idempotent; later
   * calls reject with `DisposedError`.
   *
   * @example
   * ```ts
   * await p2p.dispose();
   * ```
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.disposed = true;
      const live = this.live;
      if (live && !live.spawned.isDead) {
        try {
          // Calls are serialised in the worker: this dispose runs after the pending ones.
          await this.call((r) => r.dispose(), true);
        } catch {
          /* a dead or broken worker is terminated below all the same */
        }
      }
      this.live = null;
      await live?.spawned.terminate('The pix2pix worker model was disposed.');
    })();
    return this.disposing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Starts a worker and creates the model in it. Prefer `createPix2Pix({ worker: true, ... })`.
 *
 * @example
 * ```ts
 * const p2p = await createWorkerPix2Pix({ backend: 'wasm', workerUrl: '/assets/worker.js' });
 * ```
 */
export function createWorkerPix2Pix(
  options: WorkerModelOptions & Omit<WorkerOptions, 'worker'> = {},
): Promise<WorkerPix2Pix> {
  return WorkerPix2Pix.create(options);
}
