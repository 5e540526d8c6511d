/**
 * Backends layer: one file per tfjs backend (`cpu.ts`, `wasm.ts`, `webgl.ts`, `webgpu.ts`) and per
 * onnxruntime inference engine (`ort-node.ts`, `ort-webgpu.ts`, sharing `ort.ts`), the
 * capability probe (`probe.ts`) and the selection policy (`select.ts`). The only folder that
 * imports `@tensorflow/tfjs-backend-*`.
 */
import { selectBackend } from './select.js';
import type { BackendInfo } from './select.js';
import type { BackendInitOptions, BackendName, Purpose } from './types.js';

export { BACKEND_NAMES, TF_BACKEND_NAMES } from './types.js';
export type {
  BackendDescriptor,
  BackendInitOptions,
  BackendName,
  TfBackendName,
  EngineName,
  BackendRuntime,
  Detection,
  Purpose,
  WasmBinaryName,
} from './types.js';
export {
  probeCapabilities,
  isSoftwareRenderer,
  detectEnvironment,
  NODE_WASM_THREADS_REASON,
} from './probe.js';
export type { Capabilities, Environment, GpuAdapterSummary } from './probe.js';
export { selectBackend, planBackends, BACKENDS } from './select.js';
export type {
  BackendInfo,
  BackendRequest,
  BackendTable,
  PlanEntry,
  SelectBackendOptions,
} from './select.js';
export { cpuBackend } from './cpu.js';
export { wasmBackend, defaultWasmPaths, wasmThreadCap } from './wasm.js';
export { webglBackend, DEFAULT_WEBGL_DELETE_TEXTURE_THRESHOLD } from './webgl.js';
export { webgpuBackend } from './webgpu.js';
export { ortNodeBackend, createOrtNodeSession, loadOrtNode, ortNodeThreads } from './ort-node.js';
export { ortWebGPUBackend, createOrtWebGPUSession, useOnnxRuntimeWeb } from './ort-webgpu.js';
export type { OnnxGeneratorSession } from './ort.js';

/**
 * Makes `name` the active tfjs backend, or throws a {@link BackendError} that says why not and
 * which backends are available. Shorthand for `selectBackend({ backend: name, ...options })`.
 *
 * @example
 * ```ts
 * const info = await initBackend('wasm');
 * console.log(info.threads, info.simd);
 * ```
 */
export function initBackend(
  name: BackendName,
  options: BackendInitOptions & { purpose?: Purpose } = {},
): Promise<BackendInfo> {
  return selectBackend({ ...options, backend: name });
}
