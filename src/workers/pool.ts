/**
 * A pool of pix2pix workers, one model each, translating many images in parallel. Built for Node
 * (`worker_threads`, one single-threaded wasm model per core, or `ort-node` sessions sharing the
 * cores: the CLI's `translate --workers N`) and usable in browsers too (module Web Workers).
 */
import { AbortError, WorkerError } from '../core/errors.js';
import type { FloatImage, PixelImage, RGBAImage } from '../core/image.js';
import type { InferenceMode, ResolvedModelOptions } from '../pix2pix/config.js';
import type { LoadOptions } from '../pix2pix/state-dict.js';
import type { NetName, Pix2PixInference, TranslateOptions } from '../api/pix2pix.js';
import type {
  LongCallOptions,
  WeightsSource,
  WorkerBackendInfo,
  WorkerCarrier,
  WorkerModelOptions,
} from './protocol.js';
import { WorkerPix2Pix } from './client.js';
import { nodeBuiltin } from '../core/env.js';
import type { WeightsExportOptions } from '../pix2pix/checkpoint.js';

/** Options of {@link createWorkerPool}: the model options of every worker, and the pool's. */
export interface WorkerPoolOptions extends WorkerModelOptions {
  /**
   * Number of workers.
   * @defaultValue the number of cores (`os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers)
   */
  size?: number;
  /** The worker script, as for `createPix2Pix({ worker: true })`. */
  workerUrl?: string | URL;
}

/** Progress of {@link WorkerPool.translateAll}. */
export interface PoolProgress {
  done: number;
  total: number;
  /** Index (in the input order) of the image that just finished. */
  index: number;
}

function defaultSize(): number {
  const os = nodeBuiltin('node:os');
  const n =
    os?.availableParallelism?.() ??
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency ??
    1;
  return Math.max(1, n);
}

/**
 * Threads per worker when the workers may run the `ort-node` engine (Node, `auto` or named) and
 * `threads` is not given: the cores divided among the workers, so that N sessions do not start
 * N x cores intra-op threads. Elsewhere undefined (each backend's own default).
 */
function ortThreadsPerWorker(
  backend: WorkerPoolOptions['backend'],
  size: number,
): number | undefined {
  const isNode =
    Boolean(
      (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node,
    ) && typeof (globalThis as { document?: unknown }).document !== 'object';
  const names =
    backend === undefined || backend === 'auto'
      ? ['ort-node']
      : typeof backend === 'string'
        ? [backend]
        : backend;
  if (!isNode || !names.includes('ort-node')) return undefined;
  return Math.max(1, Math.floor(defaultSize() / size));
}

/**
 * N workers, one model each; each call goes to the next free worker. Weights loaded through the
 * pool go to every worker (and again to a worker the pool restarts after a crash).
 *
 * @example
 * ```ts
 * const pool = await createWorkerPool({ size: 4, backend: 'wasm' });
 * await pool.loadPth('latest_net_G.pth');
 * const outs = await pool.translateAll(images, { onProgress: ({ done, total }) => console.log(done, total) });
 * await pool.dispose();
 * ```
 */
export class WorkerPool implements Pix2PixInference<WorkerCarrier> {
  readonly size: number;
  private readonly workers: WorkerPix2Pix[];
  private idle: WorkerPix2Pix[];
  private waiters: ((w: WorkerPix2Pix) => void)[] = [];
  private weights: { source: WeightsSource; net: NetName; load: LoadOptions }[] = [];
  private disposed = false;

  private constructor(workers: WorkerPix2Pix[]) {
    this.workers = workers;
    this.idle = [...workers];
    this.size = workers.length;
  }

  /** @internal */
  static async create(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const { size = defaultSize(), ...rest } = options;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(
        `Option "size" must be a positive integer (workers in the pool), got ${JSON.stringify(size)}.`,
      );
    const threads = rest.threads ?? ortThreadsPerWorker(rest.backend, size);
    const settled = await Promise.allSettled(
      Array.from({ length: size }, () => WorkerPix2Pix.create({ ...rest, threads })),
    );
    const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((w) => w.dispose()));
      throw failed.reason;
    }
    return new WorkerPool(ok);
  }

  /** What the first worker selected (all workers run the same options). */
  get backendInfo(): WorkerBackendInfo {
    return this.workers[0].backendInfo;
  }

  /** The workers' default inference mode. */
  get mode(): InferenceMode {
    return this.workers[0].mode;
  }

  /** The resolved model options (the same in every worker). */
  get options(): ResolvedModelOptions {
    return this.workers[0].options;
  }

  private acquire(): Promise<WorkerPix2Pix> {
    if (this.disposed)
      return Promise.reject(
        new WorkerError('This worker pool has been disposed; create a new one.'),
      );
    const w = this.idle.pop();
    return w ? Promise.resolve(w) : new Promise((r) => this.waiters.push(r));
  }

  private release(w: WorkerPix2Pix): void {
    const next = this.waiters.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /** Runs `fn` on the next free worker; a worker that died is restarted (weights reloaded) first. */
  private async use<T>(fn: (w: WorkerPix2Pix) => Promise<T>): Promise<T> {
    const w = await this.acquire();
    try {
      return await fn(w);
    } catch (e) {
      if (e instanceof WorkerError && !this.disposed) {
        try {
          await w.restart();
          for (const { source, net, load } of this.weights)
            await w.loadPth(source, net, { ...load, transfer: false });
        } catch {
          /* the next call on it reports the failure */
        }
      }
      throw e;
    } finally {
      this.release(w);
    }
  }

  /**
   * Loads weights into every worker (bytes are copied to each; a path or URL is read by each).
   *
   * @example
   * ```ts
   * await pool.loadPth(await readFile('latest_net_G.pth'));
   * ```
   */
  async loadPth(
    source: WeightsSource,
    net: NetName = 'G',
    opts: LoadOptions & LongCallOptions = {},
  ): Promise<void> {
    const { onProgress, signal, transfer: _ignored, ...load } = opts;
    await Promise.all(
      this.workers.map((w, i) =>
        w.loadPth(source, net, {
          ...load,
          signal,
          onProgress: i === 0 ? onProgress : undefined,
          transfer: false,
        }),
      ),
    );
    this.weights.push({ source, net, load });
  }

  /**
   * Exports `G` or `D` of the pool's model (every worker holds the same weights) as `.pth` bytes.
   *
   * @example
   * ```ts
   * await writeFile('latest_net_G.pth', await pool.exportPth());
   * ```
   */
  exportPth(net: NetName = 'G'): Promise<Uint8Array> {
    return this.use((w) => w.exportPth(net));
  }

  /**
   * Saves the generator as web weights, written by one of the workers (all hold the same weights).
   *
   * @example
   * ```ts
   * await pool.saveWeights('public/fonts/model.json', { dtype: 'float16' });
   * ```
   */
  saveWeights(target: string, opts: WeightsExportOptions = {}): Promise<void> {
    return this.use((w) => w.saveWeights(target, opts));
  }

  /**
   * Translates one image on the next free worker.
   *
   * @example
   * ```ts
   * const out = await pool.translate({ data, width, height }, { transfer: true });
   * ```
   */
  translate(
    image: PixelImage,
    opts: TranslateOptions & { transfer?: boolean } = {},
  ): Promise<RGBAImage> {
    return this.use((w) => w.translate(image, opts));
  }

  /**
   * Like {@link translate}, with the float output in [-1, 1].
   *
   * @example
   * ```ts
   * const out = await pool.translateFloat(img);
   * ```
   */
  translateFloat(
    image: PixelImage,
    opts: TranslateOptions & { transfer?: boolean } = {},
  ): Promise<FloatImage> {
    return this.use((w) => w.translateFloat(image, opts));
  }

  /**
   * Translates images on all workers in parallel; results in input order. An abort stops handing
   * out images; images already on a worker finish, then the call rejects with `AbortError`.
   *
   * @example
   * ```ts
   * const outs = await pool.translateAll(imgs, { signal: AbortSignal.timeout(60_000) });
   * ```
   */
  async translateAll(
    images: PixelImage[],
    opts: {
      mode?: InferenceMode;
      transfer?: boolean;
      /** Pixel budget of each image, as `translate` takes it. @defaultValue 2^24 */
      maxPixels?: number;
      signal?: AbortSignal;
      onProgress?: (p: PoolProgress) => void;
    } = {},
  ): Promise<RGBAImage[]> {
    const out: RGBAImage[] = new Array(images.length);
    let next = 0,
      done = 0,
      failed = false;
    const lane = async () => {
      while (next < images.length && !failed) {
        if (opts.signal?.aborted)
          throw new AbortError(
            'translateAll was aborted through its AbortSignal; images already on a worker were finished.',
          );
        const i = next++;
        try {
          out[i] = await this.translate(images[i], {
            mode: opts.mode,
            transfer: opts.transfer,
            maxPixels: opts.maxPixels,
          });
        } catch (e) {
          failed = true;
          throw e;
        }
        opts.onProgress?.({ done: ++done, total: images.length, index: i });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.size, images.length) }, lane));
    return out;
  }

  /** Disposes every worker's model and terminates the workers. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.workers.map((w) => w.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * Starts a pool of `size` workers (default: one per core), each with its own model.
 *
 * @example
 * ```ts
 * const pool = await createWorkerPool({ size: 2, generator: { numDowns: 8, ngf: 64 } });
 * ```
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  return WorkerPool.create(options);
}
