/**
 * Types shared by the backend descriptors (`cpu.ts`, `wasm.ts`, `webgl.ts`, `webgpu.ts`), the
 * capability probe and the selection policy.
 */
import type { Capabilities, GpuAdapterSummary } from './probe.js';

/** The tfjs backends pix2pix-ts knows how to select and initialise. */
export type TfBackendName = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

/**
 * The onnxruntime inference engines (eval-mode generator exported to ONNX in memory): native CPU in
 * Node (`onnxruntime-node`), WebGPU in browsers (`onnxruntime-web`). Optional peer dependencies.
 */
export type EngineName = 'ort-node' | 'ort-webgpu';

/** Everything `backend` may name: the tfjs backends and the onnxruntime inference engines. */
export type BackendName = TfBackendName | EngineName;

/** Every backend name, in no particular order of preference. */
export const BACKEND_NAMES: readonly BackendName[] = [
  'cpu',
  'wasm',
  'webgl',
  'webgpu',
  'ort-node',
  'ort-webgpu',
];

/** The tfjs backend names. */
export const TF_BACKEND_NAMES: readonly TfBackendName[] = ['cpu', 'wasm', 'webgl', 'webgpu'];

/** What the backend will be used for: the selection policy differs. */
export type Purpose = 'train' | 'infer';

/** Names of the three tfjs-backend-wasm binaries (as shipped, unrenamed). */
export type WasmBinaryName =
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * Options read by the backends' `init`. All optional; the defaults work without configuration.
 *
 * @example
 * ```ts
 * const opts: BackendInitOptions = { wasmPaths: '/static/tfjs/', threads: 4 };
 * ```
 */
export interface BackendInitOptions {
  /**
   * Where the tfjs-backend-wasm binaries are: a folder URL/path ending in `/`, or one URL per
   * binary. Global to the page (tfjs keeps one wasm module), so it cannot change once wasm has
   * initialised. In browsers the threaded binary's glue, `tfjs-backend-wasm-threaded-simd.js`
   * (shipped beside the binaries in `dist/`; the map form may name its URL), must be there too:
   * without it the wasm backend runs on one thread and `BackendInfo.reason` says why.
   * @defaultValue in browsers `new URL('./', import.meta.url)` of the bundle; in Node the bundle's
   * folder when the binaries sit there, else `@tensorflow/tfjs-backend-wasm/dist/` in node_modules.
   */
  wasmPaths?:
    string | (Record<WasmBinaryName, string> & { 'tfjs-backend-wasm-threaded-simd.js'?: string });
  /**
   * XNNPACK thread-pool size of the threaded wasm binary (only used where threads are available:
   * Node, or a cross-origin-isolated page or worker). At most 8 (the pthread workers the binary
   * starts with); read at the first wasm init only. In Node, `1` keeps the single-threaded binary.
   * `ort-node`: onnxruntime's intra-op threads of the session (default: one per logical core).
   * @defaultValue one per logical core, min(8, hardwareConcurrency) (tfjs alone would take half);
   * 1 in a Node worker thread
   */
  threads?: number;
  /**
   * Bytes of GPU texture memory past which the WebGL backend deletes released textures instead of
   * keeping them in its reuse pool; `-1` never deletes (tfjs's default, which lets a long training
   * run hold every texture shape it ever used).
   * @defaultValue `268435456` (256 MiB)
   */
  webglDeleteTextureThreshold?: number;
  /**
   * Whether tfjs's WebGL backend packs 2x2 values per texel (its `WEBGL_PACK` flag). Off by
   * default: pix2pix is bound by the number of GPU programs, and packing added a pack or unpack
   * program around most of them (a UNet numDowns 5 step: 846 programs packed, 435 unpacked; an
   * eval pass 43 and 33). Global to the page's tfjs.
   * @defaultValue false
   */
  webglPack?: boolean;
}

/**
 * Result of a backend's capability check.
 *
 * @example
 * ```ts
 * const d: Detection = { ok: false, reason: 'no WebGL2 context (environment: node)' };
 * ```
 */
export interface Detection {
  ok: boolean;
  /** Why it is usable (what it will run on) or why it is not. */
  reason: string;
}

/**
 * How an initialised backend computes: filled into {@link BackendInfo}.
 *
 * @example
 * ```ts
 * const r: BackendRuntime = { threads: 8, simd: true, software: false };
 * ```
 */
export interface BackendRuntime {
  /** CPU threads the backend computes with (wasm: XNNPACK pool size; others: 1). */
  threads: number;
  /** Whether the wasm SIMD binary runs (false for non-wasm backends). */
  simd: boolean;
  /** Whether a GPU backend runs on a software rasterizer (SwiftShader, llvmpipe, fallback adapter). */
  software: boolean;
  /** webgpu only: the adapter it runs on (vendor, architecture, device, description, fallback). */
  adapter?: GpuAdapterSummary | null;
  /**
   * What initialising found that `detect` could not know; replaces the detection's reason in
   * `BackendInfo.reason` (wasm in Node: the thread count, or why the threaded binary fell back).
   */
  detail?: string;
}

/**
 * One backend: what it can do, how to tell whether it works here, how to start it.
 *
 * @example
 * ```ts
 * const d = webglBackend.detect(await probeCapabilities());
 * if (d.ok) await webglBackend.init({});
 * ```
 */
export interface BackendDescriptor {
  readonly name: BackendName;
  readonly canTrain: boolean;
  readonly canInfer: boolean;
  /** Whether it computes on a GPU (one GPU context per page or worker: see the worker pool). */
  readonly gpu: boolean;
  /**
   * Set for an inference engine that is not a tfjs backend (`'onnxruntime'`): selecting it also
   * selects a tfjs backend under it for the weights, training and paper mode.
   */
  readonly engine?: 'onnxruntime';
  /** Synchronous check against probed capabilities; never throws. */
  detect(caps: Capabilities): Detection;
  /**
   * Imports its tfjs package (a dynamic import: a bundle holds it, but nothing runs before a
   * backend is chosen), registers its kernels and makes it the active tfjs backend (an engine:
   * loads its runtime), or rejects with the cause.
   */
  init(opts: BackendInitOptions): Promise<void>;
  /** How the backend computes once initialised. */
  runtime(caps: Capabilities): BackendRuntime;
}
