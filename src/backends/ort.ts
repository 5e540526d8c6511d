/**
 * What the two onnxruntime engines (`ort-node`, `ort-webgpu`) share: loading an optional peer
 * package with the cause kept, and a session that runs the exported generator graph (NCHW float32
 * in, NCHW float32 out). Inference only: the model's weights, training and paper mode stay on tfjs.
 */

/** The part of the onnxruntime API (common to onnxruntime-node and onnxruntime-web) used here. */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
/** @internal */
export interface OrtModule {
  InferenceSession: {
    create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: {
    versions?: Record<string, string>;
    wasm?: Record<string, unknown>;
    webgpu?: Record<string, unknown>;
    logLevel?: string;
  };
}

/**
 * One loaded graph: `run` takes an NCHW float32 batch and resolves to the NCHW output.
 *
 * @example
 * ```ts
 * const s = await createOrtNodeSession(onnxBytes, { threads: 2 });
 * const y = await s.run(x, [1, 3, 256, 256]);
 * await s.release();
 * ```
 */
export interface OnnxGeneratorSession {
  run(input: Float32Array, dims: [number, number, number, number]): Promise<Float32Array>;
  release(): Promise<void>;
}

const modules = new Map<string, Promise<OrtModule>>();

/**
 * Imports an onnxruntime package once per specifier. Rejects with a plain Error (the selection
 * policy falls back on it) whose message says whether the package is missing or failed to load,
 * with the first line of the cause.
 */
export function loadOrtModule(specifier: string, pkg: string, install: string): Promise<OrtModule> {
  let p = modules.get(specifier);
  if (!p) {
    p = import(/* @vite-ignore */ /* webpackIgnore: true */ specifier).then(
      (m: { default?: OrtModule } & OrtModule) => {
        const mod = m.default?.InferenceSession ? m.default : m;
        if (
          typeof mod?.InferenceSession?.create !== 'function' ||
          typeof mod.Tensor !== 'function'
        ) {
          throw new Error(
            `${pkg} failed to load: "${specifier}" has no InferenceSession.create / Tensor (not an onnxruntime package?)`,
          );
        }
        return mod;
      },
      (e: unknown) => {
        const first = String((e as Error)?.message ?? e).split('\n')[0];
        const code = (e as { code?: string })?.code;
        const missing =
          (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
          first.includes(`'${specifier}'`);
        const what = missing
          ? `${pkg} is not installed (${first}); install it with "${install}"`
          : `${pkg} failed to load (${first})`;
        throw new Error(what, { cause: e });
      },
    );
    modules.set(specifier, p);
  }
  return p;
}

/** Wraps an onnxruntime session of the exported generator (input/output names `input`, `output`). */
export function wrapSession(ort: OrtModule, session: OrtSession): OnnxGeneratorSession {
  return {
    async run(input, dims) {
      const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
      const y = out.output;
      if (!y) throw new Error('internal: the ONNX session returned no "output"');
      // onnxruntime-web's GPU tensors download on `getData`; CPU tensors hold `data` already.
      const data = (
        typeof (y as { getData?: unknown }).getData === 'function' &&
        !(y.data instanceof Float32Array)
          ? await (y as unknown as { getData(release?: boolean): Promise<unknown> }).getData(true)
          : y.data
      ) as Float32Array;
      const copy = data.slice();
      y.dispose?.();
      return copy;
    },
    release: () => session.release(),
  };
}

/** Validates the `threads` option as the wasm backend does. */
export function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`Option "threads" must be a positive integer, got ${threads}.`);
  }
}
