/**
 * The BatchNorm and loss kernels of src/core/fused-kernels.ts for tfjs-backend-wasm: the JS-array
 * kernels of src/backends/cpu-kernels/batch-norm-loss.ts (float64 sums, one rounding to float32
 * per stored value) run on views of the wasm heap, with no copies. They replace the tfjs op
 * chains (`tf.mean`/`tf.sum` per channel: a transpose, then sequential float32 sums over up to
 * H*W values), which were the main source of the wasm backend's round-off against float64
 * (BENCHMARKS.md, "Fidelity against float64").
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { tf } from '../../core/tf.js';
import { cpuFusedKernels, type ArrayIO } from '../cpu-kernels/batch-norm-loss.js';

const WASM_IO: ArrayIO = {
  outputs(backend, shapes) {
    const b = backend as BackendWasm;
    // Allocate every output before taking any view: makeOutput may grow (and detach) the heap.
    const infos = shapes.map((s) => b.makeOutput(s, 'float32'));
    return {
      arrays: infos.map((t) => b.typedArrayFromHeap(t) as Float32Array),
      infos: () => infos,
    };
  },
  read: (backend, t) => (backend as BackendWasm).typedArrayFromHeap(t) as Float32Array,
};

// The kernel functions by the names the kernel list (src/backends/kernels.ts) registers them as.
export const [
  batchStatsWasm,
  batchNormApplyWasm,
  batchNormGradWasm,
  batchNormRunningWasm,
  lossWasm,
  lossGradWasm,
] = cpuFusedKernels(WASM_IO).map(([, f]) => f) as [
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
  tf.KernelFunc,
];
