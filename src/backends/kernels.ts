/**
 * Every kernel pix2pix-ts registers with tfjs, as one list of data: which backend, which kernel
 * name, and how to load its function. A backend's `init()` registers its entries (through
 * `activateTfBackend`), after importing its tfjs package and before making it active. Each entry
 * loads its module with a dynamic import, so a backend's kernels (and the tfjs package types they
 * use) are fetched only when that backend starts.
 *
 * To add a kernel: write it in `src/backends/<backend>-kernels/`, then add one entry to
 * {@link KERNELS}. A kernel that takes over one of the tfjs package's own kernels (and may fall
 * back on it) sets `replaces: true`; its `load` resolves to a function of that stock kernel's
 * config.
 */
import { tf } from '../core/tf.js';
import {
  ACT_GRAD_KERNEL,
  ADAM_KERNEL,
  CONCAT_ACT_KERNEL,
  DROPOUT_KERNEL,
  BN_APPLY_KERNEL,
  BN_GRAD_KERNEL,
  BN_RUNNING_KERNEL,
  BN_STATS_KERNEL,
  LOSS_GRAD_KERNEL,
  LOSS_KERNEL,
  UP_CONV_KERNEL,
} from '../core/fused-kernels.js';
import type { TfBackendName } from './types.js';

/** A kernel that adds a name to the backend's registry (or takes it over from another kernel). */
export interface AddedKernel {
  backendName: TfBackendName;
  kernelName: string;
  replaces?: false;
  /** Loads the kernel function. */
  load(): Promise<tf.KernelFunc>;
}

/**
 * A kernel that replaces the tfjs package's own kernel of that name, keeping that kernel's
 * `setupFunc` and `disposeFunc`. Registering it fails when the package registered none.
 */
export interface ReplacingKernel {
  backendName: TfBackendName;
  kernelName: string;
  replaces: true;
  /** Loads a function that builds the kernel from the stock one (to fall back on it). */
  load(): Promise<(stock: tf.KernelConfig) => tf.KernelFunc>;
}

/**
 * One entry of {@link KERNELS}.
 *
 * @example
 * ```ts
 * const entry: KernelEntry = {
 *   backendName: 'webgl',
 *   kernelName: ADAM_KERNEL,
 *   load: async () => (await import('./webgl-kernels/adam.js')).adamWebGL,
 * };
 * ```
 */
export type KernelEntry = AddedKernel | ReplacingKernel;

/**
 * pix2pix's kernels, all backends. The fused kernels of src/core/fused-kernels.ts (Adam, BatchNorm,
 * losses) run on every backend, the activation kernels on cpu, webgl and webgpu (cpu and wasm share one JS implementation of BatchNorm and the
 * losses, with float64 sums); wasm also gets conv kernels that tfjs-backend-wasm 4.22 lacks
 * (`Conv2DBackpropFilter`) or runs slowly.
 *
 * @example
 * ```ts
 * KERNELS.filter((k) => k.backendName === 'wasm').map((k) => k.kernelName);
 * // ['Pix2PixAdam', 'Pix2PixBatchStats', ..., 'Pix2PixLossGrad', 'Conv2DBackpropFilter', ...]
 * ```
 */
export const KERNELS: readonly KernelEntry[] = [
  // cpu: JS loops over the backend's arrays.
  {
    backendName: 'cpu',
    kernelName: ADAM_KERNEL,
    load: async () => (await import('./cpu-kernels/adam.js')).adamCpu,
  },
  {
    backendName: 'cpu',
    kernelName: BN_STATS_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).batchStatsCpu,
  },
  {
    backendName: 'cpu',
    kernelName: BN_APPLY_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).batchNormApplyCpu,
  },
  {
    backendName: 'cpu',
    kernelName: BN_GRAD_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).batchNormGradCpu,
  },
  {
    backendName: 'cpu',
    kernelName: BN_RUNNING_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).batchNormRunningCpu,
  },
  {
    backendName: 'cpu',
    kernelName: LOSS_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).lossCpu,
  },
  {
    backendName: 'cpu',
    kernelName: LOSS_GRAD_KERNEL,
    load: async () => (await import('./cpu-kernels/batch-norm-loss.js')).lossGradCpu,
  },
  {
    backendName: 'cpu',
    kernelName: ACT_GRAD_KERNEL,
    load: async () => (await import('./cpu-kernels/activation.js')).actGradCpu,
  },
  {
    backendName: 'cpu',
    kernelName: CONCAT_ACT_KERNEL,
    load: async () => (await import('./cpu-kernels/activation.js')).concatActCpu,
  },
  {
    backendName: 'cpu',
    kernelName: DROPOUT_KERNEL,
    load: async () => (await import('./cpu-kernels/activation.js')).dropoutCpu,
  },

  {
    backendName: 'cpu',
    kernelName: UP_CONV_KERNEL,
    load: async () => (await import('./cpu-kernels/up-conv.js')).upConvCpu,
  },

  // wasm: Adam, BatchNorm and losses on the heap (own SIMD module where loaded, src/backends/wasm-simd);
  // conv kernels on XNNPACK or the own SIMD module (see wasm-kernels/index.ts).
  {
    backendName: 'wasm',
    kernelName: ADAM_KERNEL,
    load: async () => (await import('./wasm-kernels/adam.js')).adamWasm,
  },
  {
    backendName: 'wasm',
    kernelName: BN_STATS_KERNEL,
    load: async () => (await import('./wasm-simd/batch-norm.js')).batchStatsSimd,
  },
  {
    backendName: 'wasm',
    kernelName: BN_APPLY_KERNEL,
    load: async () => (await import('./wasm-simd/batch-norm.js')).batchNormApplySimd,
  },
  {
    backendName: 'wasm',
    kernelName: BN_GRAD_KERNEL,
    load: async () => (await import('./wasm-simd/batch-norm.js')).batchNormGradSimd,
  },
  {
    backendName: 'wasm',
    kernelName: BN_RUNNING_KERNEL,
    load: async () => (await import('./wasm-kernels/batch-norm-loss.js')).batchNormRunningWasm,
  },
  {
    backendName: 'wasm',
    kernelName: LOSS_KERNEL,
    load: async () => (await import('./wasm-kernels/batch-norm-loss.js')).lossWasm,
  },
  {
    backendName: 'wasm',
    kernelName: LOSS_GRAD_KERNEL,
    load: async () => (await import('./wasm-kernels/batch-norm-loss.js')).lossGradWasm,
  },
  {
    backendName: 'wasm',
    kernelName: 'Conv2DBackpropFilter',
    load: async () =>
      (await import('./wasm-kernels/conv2d-backprop-filter.js'))
        .conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  },
  {
    backendName: 'wasm',
    kernelName: 'Conv2DBackpropInput',
    replaces: true,
    load: async () => {
      const { makeConv2dBackpropInputWasm } =
        await import('./wasm-kernels/conv2d-backprop-input.js');
      return (stock) => makeConv2dBackpropInputWasm(stock);
    },
  },
  {
    backendName: 'wasm',
    kernelName: 'Sum',
    replaces: true,
    load: async () => {
      const { makeSumWasm } = await import('./wasm-kernels/sum.js');
      return (stock) => makeSumWasm(stock);
    },
  },
  {
    backendName: 'wasm',
    kernelName: 'Conv2D',
    replaces: true,
    load: async () => {
      const { makeConv2dWasm } = await import('./wasm-kernels/conv2d.js');
      return (stock) => makeConv2dWasm(stock);
    },
  },

  {
    backendName: 'wasm',
    kernelName: UP_CONV_KERNEL,
    load: async () =>
      (await import('./wasm-kernels/up-conv.js')).upConvWasm as unknown as tf.KernelFunc,
  },

  // webgl: GLSL programs.
  {
    backendName: 'webgl',
    kernelName: ADAM_KERNEL,
    load: async () => (await import('./webgl-kernels/adam.js')).adamWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: BN_STATS_KERNEL,
    load: async () => (await import('./webgl-kernels/batch-norm.js')).batchStatsWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: BN_APPLY_KERNEL,
    load: async () => (await import('./webgl-kernels/batch-norm.js')).batchNormApplyWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: BN_GRAD_KERNEL,
    load: async () => (await import('./webgl-kernels/batch-norm.js')).batchNormGradWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: BN_RUNNING_KERNEL,
    load: async () => (await import('./webgl-kernels/batch-norm.js')).batchNormRunningWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: LOSS_KERNEL,
    load: async () => (await import('./webgl-kernels/loss.js')).lossWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: LOSS_GRAD_KERNEL,
    load: async () => (await import('./webgl-kernels/loss.js')).lossGradWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: ACT_GRAD_KERNEL,
    load: async () => (await import('./webgl-kernels/activation.js')).actGradWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: CONCAT_ACT_KERNEL,
    load: async () => (await import('./webgl-kernels/activation.js')).concatActWebGL,
  },
  {
    backendName: 'webgl',
    kernelName: DROPOUT_KERNEL,
    load: async () => (await import('./webgl-kernels/activation.js')).dropoutWebGL,
  },

  {
    backendName: 'webgl',
    kernelName: UP_CONV_KERNEL,
    load: async () => (await import('./webgl-kernels/up-conv.js')).upConvWebGL,
  },

  // webgpu: WGSL programs.
  {
    backendName: 'webgpu',
    kernelName: ADAM_KERNEL,
    load: async () => (await import('./webgpu-kernels/adam.js')).adamWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: BN_STATS_KERNEL,
    load: async () => (await import('./webgpu-kernels/batch-norm.js')).batchStatsWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: BN_APPLY_KERNEL,
    load: async () => (await import('./webgpu-kernels/batch-norm.js')).batchNormApplyWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: BN_GRAD_KERNEL,
    load: async () => (await import('./webgpu-kernels/batch-norm.js')).batchNormGradWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: BN_RUNNING_KERNEL,
    load: async () => (await import('./webgpu-kernels/batch-norm.js')).batchNormRunningWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: LOSS_KERNEL,
    load: async () => (await import('./webgpu-kernels/loss.js')).lossWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: LOSS_GRAD_KERNEL,
    load: async () => (await import('./webgpu-kernels/loss.js')).lossGradWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: ACT_GRAD_KERNEL,
    load: async () => (await import('./webgpu-kernels/activation.js')).actGradWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: CONCAT_ACT_KERNEL,
    load: async () => (await import('./webgpu-kernels/activation.js')).concatActWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: DROPOUT_KERNEL,
    load: async () => (await import('./webgpu-kernels/activation.js')).dropoutWebGPU,
  },
  {
    backendName: 'webgpu',
    kernelName: UP_CONV_KERNEL,
    load: async () => (await import('./webgpu-kernels/up-conv.js')).upConvWebGPU,
  },
];

const key = (backendName: string, kernelName: string) => `${backendName}/${kernelName}`;
/** The kernel functions this module registered, to tell them from anyone else's. */
const ours = new Map<string, tf.KernelFunc>();
/** The stock kernels that `replaces` entries took over. */
const stocks = new Map<string, tf.KernelConfig>();

function install(entry: KernelEntry, loaded: unknown): void {
  const { backendName, kernelName } = entry;
  const k = key(backendName, kernelName);
  const current = tf.getKernel(kernelName, backendName);
  if (current && current.kernelFunc === ours.get(k)) return;
  let config: tf.KernelConfig;
  if (entry.replaces) {
    if (!current)
      throw new Error(
        `tfjs-backend-${backendName} registered no ${kernelName} kernel for pix2pix-ts's to replace; is @tensorflow/tfjs-backend-${backendName} 4.x installed and imported first?`,
      );
    stocks.set(k, current);
    const make = loaded as (stock: tf.KernelConfig) => tf.KernelFunc;
    config = {
      kernelName,
      backendName,
      kernelFunc: make(current),
      setupFunc: current.setupFunc,
      disposeFunc: current.disposeFunc,
    };
  } else {
    config = { kernelName, backendName, kernelFunc: loaded as tf.KernelFunc };
  }
  if (current) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel(config);
  ours.set(k, config.kernelFunc);
}

/**
 * Registers the kernels of {@link KERNELS} (or of `entries`) for `backendName`. Idempotent; a
 * kernel registered by someone else under the same name is replaced. Call it after importing the
 * backend's tfjs package (a `replaces` entry needs the package's own kernel) and before the
 * backend's first computation; `activateTfBackend` does.
 *
 * @example
 * ```ts
 * await import('@tensorflow/tfjs-backend-wasm');
 * await registerKernels('wasm');
 * ```
 */
export async function registerKernels(
  backendName: string,
  entries: readonly KernelEntry[] = KERNELS,
): Promise<void> {
  const mine = entries.filter((e) => e.backendName === backendName);
  const loaded = await Promise.all(mine.map((e) => e.load()));
  mine.forEach((e, i) => install(e, loaded[i]));
}

/**
 * The tfjs package's own kernel that a `replaces` entry took over (undefined before it did), for
 * benchmarks and tests that compare the two.
 *
 * @example
 * ```ts
 * await registerKernels('wasm');
 * const stock = stockKernel('wasm', 'Conv2D')!;
 * ```
 */
export function stockKernel(backendName: string, kernelName: string): tf.KernelConfig | undefined {
  return stocks.get(key(backendName, kernelName));
}
