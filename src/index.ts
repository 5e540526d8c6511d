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
import { InThreadPix2Pix, type CreatePix2PixOptions } from './api/in-thread.js';
import { WorkerPix2Pix, type WorkerOptions } from './workers/client.js';

export * from './core/errors.js';
export type { PixelImage, FloatImage, RGBAImage } from './core/image.js';
export type {
  Pix2Pix,
  Pix2PixInference,
  Carrier,
  InThread,
  NetName,
  TranslateOptions,
  TrainCallOptions,
} from './api/pix2pix.js';
export { InThreadPix2Pix, type CreatePix2PixOptions } from './api/in-thread.js';
export type { StateDict, StateTensor } from './core/state-dict.js';
export type {
  ModelOptions,
  GeneratorOptions,
  DiscriminatorOptions,
  TrainOptions,
  InferenceMode,
  NormKind,
  GanMode,
} from './pix2pix/config.js';
export type { StepLosses } from './pix2pix/model.js';
export { Pix2PixModel } from './pix2pix/model.js';
export {
  trainLoop,
  lrFactor,
  type TrainLoopOptions,
  type TrainerState,
  type TrainProgress,
  type SampleSet,
  type LossRecord,
} from './pix2pix/trainer.js';
export {
  decodeBrowserImage,
  splitPair,
  browserPairedDataset,
  type BrowserImageSource,
} from './core/browser-image.js';
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
export {
  inferGeneratorOptions,
  inferDiscriminatorOptions,
  inferModelOptions,
} from './pix2pix/infer-arch.js';
export { readPict, writePict, type PictFile, type PictTensor } from './core/pict.js';
export { pictToStateDict, type PictImport } from './pix2pix/pict-import.js';
export { fileHandler, type IOTarget, type FsLike } from './core/io/index.js';
export { verifyGolden, relL2, type GoldenSource, type GoldenCheck } from './pix2pix/golden.js';

export type {
  BackendInfo,
  BackendRequest,
  BackendName,
  TfBackendName,
  EngineName,
  Purpose,
} from './backends/index.js';
export { useOnnxRuntimeWeb } from './backends/ort-webgpu.js';
// Selects the tfjs backend for the functions that run on the current one (`verifyGolden`, `Pix2PixModel`).
export { initBackend } from './backends/index.js';
export {
  WorkerPix2Pix,
  createWorkerPix2Pix,
  type WorkerOptions,
  type LongCallOptions,
  type WorkerTrainCallOptions,
} from './workers/client.js';
export {
  WorkerPool,
  createWorkerPool,
  type WorkerPoolOptions,
  type PoolProgress,
} from './workers/pool.js';
export type {
  WorkerBackendInfo,
  WorkerKind,
  WorkProgress,
  ProgressCallback,
  WeightsSource,
  RGBAImageData,
  WorkerDataset,
  WorkerTrainOptions,
  TrainEvent,
  WorkerCarrier,
} from './workers/protocol.js';

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
export function createPix2Pix(
  options: CreatePix2PixOptions & WorkerOptions,
): Promise<WorkerPix2Pix>;
export function createPix2Pix(
  options?: CreatePix2PixOptions & { worker?: false },
): Promise<InThreadPix2Pix>;
export function createPix2Pix(
  options: CreatePix2PixOptions & {
    worker?: boolean;
    workerUrl?: string | URL;
    transfer?: boolean;
  } = {},
): Promise<InThreadPix2Pix | WorkerPix2Pix> {
  // With `worker: true` the model lives in a worker (module Web Worker / worker_threads) and every
  // call is a message; see WorkerPix2Pix.
  if (options === null || typeof options !== 'object')
    return Promise.reject(
      new TypeError(
        `createPix2Pix options must be an object, got ${options === null ? 'null' : JSON.stringify(options)}.`,
      ),
    );
  const { worker, workerUrl, transfer, ...rest } = options;
  if (worker) return WorkerPix2Pix.create({ ...rest, workerUrl, transfer });
  return InThreadPix2Pix.create(rest);
}
