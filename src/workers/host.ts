/**
 * The worker side: a {@link Pix2PixWorkerApi} over an {@link InThreadPix2Pix}, so a worker
 * computes exactly what the main thread would. `src/worker.ts` calls {@link startWorkerHost}.
 */
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { InThreadPix2Pix } from '../api/in-thread.js';
import { BackendError, DisposedError, WorkerError } from '../core/errors.js';
import { BACKENDS, detectEnvironment } from '../backends/index.js';
import type { BackendRequest } from '../backends/index.js';
import type { FloatImage, PixelImage } from '../core/image.js';
import type { RGBAImage } from '../core/image.js';
import type {
  Pix2PixWorkerApi,
  WeightsSource,
  WorkerBackendInfo,
  WorkerKind,
  WorkerModelOptions,
  TrainEvent,
} from './protocol.js';
import type { SampleSource } from '../pix2pix/batches.js';
import type { SampleSet } from '../pix2pix/trainer.js';
import { callContext, installErrorTransfer, macrotask } from './wire.js';
import { openWorkerDataset, type DatasetOpeners } from './datasets.js';
import { requireNodeBuiltin } from '../core/env.js';
import { download } from '../core/io/download.js';

/** Options of {@link createWorkerHost} and {@link startWorkerHost}. */
export interface WorkerHostOptions {
  /** Dataset openers beyond `pairs` and `files` (the Node entry adds `folder`). */
  datasets?: DatasetOpeners;
}

/**
 * Each sample arrives after one event-loop turn, so a cancel message posted during a step is
 * delivered (and seen by the loop's signal check) at the next step boundary even on backends whose
 * steps resolve in microtasks only.
 */
function yielding<T>(src: SampleSource<T>): SampleSource<T> {
  return {
    size: src.size,
    async get(i) {
      const v = await src.get(i);
      await macrotask();
      return v;
    },
  };
}

/** Validation images for the wire: input/target copied (they may be the dataset's own arrays), all transferred. */
function samplesForWire(set: SampleSet): { set: SampleSet; buffers: ArrayBuffer[] } {
  const buffers: ArrayBuffer[] = [];
  const own = <T extends { data: Float32Array }>(img: T, copy: boolean): T => {
    const data = copy ? img.data.slice() : img.data;
    buffers.push(data.buffer as ArrayBuffer);
    return { ...img, data };
  };
  const samples = set.samples.map((s) => ({
    name: s.name,
    input: own(s.input, true),
    output: own(s.output, false),
    target: own(s.target, true),
  }));
  return { set: { ...set, samples }, buffers: [...new Set(buffers)] };
}

/** Buffers of results, handed over rather than copied (the worker keeps no reference). */
function transferImage<T extends { data: ArrayBufferView }>(img: T): T {
  return Comlink.transfer(img, [img.data.buffer as ArrayBuffer]);
}

/**
 * Builds the object a worker exposes. `kind` is reported in `backendInfo.worker.kind`.
 *
 * @example
 * ```ts
 * Comlink.expose(createWorkerHost('web-worker'), self);
 * ```
 */
export function createWorkerHost(
  kind: WorkerKind,
  hostOptions: WorkerHostOptions = {},
): Pix2PixWorkerApi {
  const openers = hostOptions.datasets ?? {};
  let p2p: InThreadPix2Pix | null = null;
  let info: WorkerBackendInfo | null = null;
  let disposed = false;
  const model = (): InThreadPix2Pix => {
    if (disposed) throw new DisposedError('This worker model');
    if (!p2p)
      throw new WorkerError(
        'The worker has no model yet: init() must complete before other calls.',
      );
    return p2p;
  };

  const api: Pix2PixWorkerApi = {
    async init(options: WorkerModelOptions): Promise<WorkerBackendInfo> {
      if (p2p) throw new WorkerError('init() was already called on this worker.');
      const requested: BackendRequest = options.backend ?? 'auto';
      const names =
        requested === 'auto' ? [] : typeof requested === 'string' ? [requested] : [...requested];
      let fallback: WorkerBackendInfo['worker']['fallback'] = null;
      try {
        p2p = await InThreadPix2Pix.create(options);
      } catch (e) {
        // A browser worker may lack what the page has (WebGL needs OffscreenCanvas there): rather
        // than fail a request that works in-thread, fall back to WASM here and say so.
        if (
          !(e instanceof BackendError) ||
          detectEnvironment() !== 'worker' ||
          !names.some((n) => BACKENDS[n]?.gpu)
        )
          throw e;
        fallback = { requested, error: e.message };
        p2p = await InThreadPix2Pix.create({ ...options, backend: ['wasm', 'cpu'] });
      }
      const selected = p2p.backendInfo;
      const reason = fallback
        ? `${selected.reason} (fallback in the worker: ${String(requested)} was unavailable here)`
        : selected.reason;
      info = { ...selected, reason, worker: { kind, fallback } };
      return info;
    },

    async backendInfo() {
      model();
      return info!;
    },

    async mode() {
      return model().mode;
    },

    async options() {
      return model().options;
    },

    async translate(image, opts) {
      return transferImage(await model().translate(image, opts));
    },

    async translateFloat(image, opts) {
      return transferImage(await model().translateFloat(image, opts));
    },

    async translateBatch(images: PixelImage[], opts, onProgress, cancel) {
      const m = model();
      const call = callContext({ onProgress, cancel });
      const out: (RGBAImage | FloatImage)[] = [];
      try {
        for (let i = 0; i < images.length; i++) {
          await call.checkpoint();
          out.push(
            opts?.float
              ? await m.translateFloat(images[i], opts)
              : await m.translate(images[i], opts),
          );
          call.progress({ kind: 'translate', done: i + 1, total: images.length });
        }
      } finally {
        await call.finish();
      }
      return Comlink.transfer(
        out,
        out.map((o) => o.data.buffer as ArrayBuffer),
      );
    },

    async trainStep(a, b, _opts, onProgress, cancel) {
      const m = model();
      const call = callContext({ onProgress, cancel });
      try {
        await call.checkpoint();
        const losses = await m.trainStep(a, b);
        call.progress({ kind: 'train', step: 1, total: 1, losses });
        return losses;
      } finally {
        await call.finish();
      }
    },

    async loadPth(source: WeightsSource, net, opts, onProgress, cancel) {
      const m = model();
      const call = callContext({ onProgress, cancel });
      try {
        const bytes =
          typeof source === 'string' || source instanceof URL
            ? await fetchWeights(source, call)
            : source;
        await call.checkpoint();
        await m.loadPth(bytes, net, opts);
      } finally {
        await call.finish();
      }
    },

    async exportPth(net) {
      const bytes = await model().exportPth(net);
      return Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]);
    },

    async train(dataset, opts, onEvent, cancel) {
      const m = model();
      const call = callContext<TrainEvent>({ onProgress: onEvent, cancel });
      try {
        const { validation, checkpoint, resumeFrom, ...loop } = opts ?? {};
        const channels = m.options.generator;
        const source = yielding(await openWorkerDataset(dataset, channels, openers));
        const val = validation && {
          source: await openWorkerDataset(validation.source, channels, openers),
          every: validation.every,
          count: validation.count,
          onSamples: async (s: SampleSet) => {
            const { set, buffers } = samplesForWire(s);
            await call.send({ kind: 'samples', samples: set }, buffers);
            call.poll();
          },
        };
        await call.checkpoint();
        return await m.train(source, {
          ...loop,
          validation: val,
          checkpoint,
          resumeFrom,
          signal: call.signal,
          // The loop checks the signal right after this: a cancel that arrived during the step
          // stops the run here, whatever the backend's awaits let through.
          onProgress: (progress) => {
            call.progress({ kind: 'progress', progress });
            call.poll();
          },
        });
      } finally {
        await call.finish();
      }
    },

    async saveCheckpoint(target) {
      await model().saveCheckpoint(target);
    },

    async saveWeights(target, opts) {
      await model().saveWeights(target, opts);
    },

    async dispose() {
      disposed = true;
      await p2p?.dispose();
      p2p = null;
    },
  };
  return inArrivalOrder(api);
}

/**
 * Runs the methods one at a time in the order their messages arrived, as the in-thread model
 * does. comlink calls a method as soon as its message arrives, and most methods first yield to
 * the event loop (to see cancel messages), so without this a `translate` sent after an un-awaited
 * `trainStep` could reach the model first and return the pre-step output.
 */
function inArrivalOrder<T extends object>(api: T): T {
  let chain: Promise<unknown> = Promise.resolve();
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(api)) {
    out[name] = (...args: unknown[]) => {
      const next = chain.then(() => (fn as (...a: unknown[]) => unknown).apply(api, args));
      chain = next.catch(() => undefined);
      return next;
    };
  }
  return out as T;
}

/** Weights by path or URL, with progress (core/io's one download helper). */
function fetchWeights(
  source: string | URL,
  call: ReturnType<typeof callContext>,
): Promise<Uint8Array> {
  return download(source, {
    signal: call.signal,
    what: 'weights',
    onProgress: (p) => call.progress({ kind: 'download', ...p }),
  });
}

/**
 * Exposes a worker host on this worker's channel to the main thread: `self` in a Web Worker,
 * `parentPort` (through comlink's node-adapter) in a Node `worker_threads` worker.
 *
 * @example
 * ```ts
 * // worker.ts
 * import { startWorkerHost } from './workers/host.js';
 * startWorkerHost(); // the Node entry passes { datasets: nodeDatasetOpeners }
 * ```
 */
export function startWorkerHost(options: WorkerHostOptions = {}): void {
  installErrorTransfer();
  if (detectEnvironment() === 'node') {
    const wt = requireNodeBuiltin('node:worker_threads', 'A Node worker');
    if (!wt.parentPort)
      throw new WorkerError(
        'The pix2pix worker script was run as a main script; start it with createPix2Pix({ worker: true }).',
      );
    Comlink.expose(
      createWorkerHost('worker_threads', options),
      nodeEndpoint(wt.parentPort as never),
    );
    return;
  }
  Comlink.expose(
    createWorkerHost('web-worker', options),
    globalThis as unknown as Comlink.Endpoint,
  );
}
