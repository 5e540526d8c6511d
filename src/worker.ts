/**
 * The pix2pix worker script (built to `dist/worker.js` for browsers and `dist/worker.node.js` for
 * Node). The main thread starts it through `createPix2Pix({ worker: true })`; it exposes one object
 * typed by `Pix2PixWorkerApi` (`src/workers/protocol.ts`) over comlink.
 *
 * @example
 * ```ts
 * const p2p = await createPix2Pix({ worker: true, workerUrl: new URL('pix2pix-ts/worker', import.meta.url) });
 * ```
 */
import { startWorkerHost } from './workers/host.js';

startWorkerHost();

// The protocol's types, so `pix2pix-ts/worker` has typings for code that talks to the worker itself.
export type {
  Pix2PixWorkerApi,
  WorkerModelOptions,
  WorkerBackendInfo,
  WorkProgress,
  ProgressCallback,
  RGBAImageData,
  WeightsSource,
  WorkerDataset,
  WorkerTrainOptions,
  TrainEvent,
  TrainEventCallback,
} from './workers/protocol.js';
export type { SerializedError } from './core/errors.js';
export type { RGBAImage } from './core/image.js';
