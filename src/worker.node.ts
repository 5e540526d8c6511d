/**
 * The Node worker script (built to `dist/worker.node.js`): the same host as `src/worker.ts`, plus
 * the Node dataset opener, so `train({ kind: 'folder', root })` reads the folder in the worker.
 * A separate entry because that opener imports sharp and `node:fs`, which browser bundles of
 * `src/worker.ts` must not reach.
 *
 * @example
 * ```ts
 * const p2p = await createPix2Pix({ worker: true }); // in Node, starts dist/worker.node.js
 * await p2p.train({ kind: 'folder', root: 'data/fonts-zi2zi' }, { nEpochs: 1, nEpochsDecay: 0 });
 * ```
 */
import { startWorkerHost } from './workers/host.js';
import { nodeDatasetOpeners } from './workers/node-datasets.js';

startWorkerHost({ datasets: nodeDatasetOpeners });

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
