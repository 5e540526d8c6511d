/**
 * `pix2pix-ts/bench`: the benchmark harness (inference and training-step cases on every backend
 * available, plus onnxruntime-web / onnxruntime-node peers on the same exported network), the
 * analytic FLOP counter, and the ONNX export it uses.
 *
 * @example
 * ```ts
 * import { runBench, formatTable } from 'pix2pix-ts/bench';
 * const { results } = await runBench({ task: ['infer'], size: [256], ngf: [64] });
 * console.log(formatTable(results));
 * ```
 */
export {
  selectCases,
  validateFilters,
  numDownsFor,
  BENCH_BACKENDS,
  BENCH_TASKS,
  BENCH_SIZES,
  DEFAULT_BENCH_BACKENDS,
  DEFAULT_BENCH_SIZES,
  DEFAULT_BENCH_NGF,
  DEFAULT_BENCH_THREADS,
  DEFAULT_BENCH_BATCH,
} from './cases.js';
export type {
  BenchBackend,
  BenchTask,
  BenchCase,
  BenchFilters,
  BenchEnvironment,
  BenchSkip,
} from './cases.js';
export {
  runBench,
  probeBenchEnvironment,
  summarize,
  formatJsonLine,
  formatTable,
} from './harness.js';
export type { BenchResult, BenchRunOptions } from './harness.js';
export { generatorFlops, discriminatorFlops, caseFlops } from './flops.js';
export type { NetFlops } from './flops.js';
export { createPeerSession, loadOrt, peerUnavailable } from './peers.js';
export type { PeerSession } from './peers.js';
export {
  exportGeneratorOnnx,
  exportModelOnnx,
  ENGINE_EXPORT_OPTIONS,
  inferGeneratorOptions,
  ONNX_INPUT_NAME,
  ONNX_OUTPUT_NAME,
} from '../pix2pix/onnx-export.js';
export type { OnnxExportOptions } from '../pix2pix/onnx-export.js';
