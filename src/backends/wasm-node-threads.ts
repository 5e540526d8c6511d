/**
 * Lets tfjs-backend-wasm 4.22 start its threaded binary in Node. tfjs hard-wires
 * `WASM_HAS_MULTITHREAD_SUPPORT` to false under Node (tfjs issue 3830) because its `init()` hands
 * emscripten two Blobs: the pthread worker script as a `blob:` URL (from `locateFile`), which
 * `worker_threads` refuses (ERR_WORKER_PATH), and the main script as `mainScriptUrlOrBlob`, which the
 * worker's Node shim would `importScripts` (read with `fs`) through a `blob:` URL it cannot read.
 * While the backend initialises, {@link withNodeWasmThreads} writes the worker script and the
 * package's own threaded glue (the main script) to a temporary folder and hands out file paths,
 * so emscripten's own Node pthread code runs as written: `new Worker(path)`, then
 * `importScripts(path)` of the main script in each worker (the compiled module and the shared
 * memory are posted to the worker, so no other file is read).
 * emscripten `unref()`s idle pool workers but `ref()`s those running a pthread, and XNNPACK's pool
 * threads never end, so {@link withNodeWasmThreads} unrefs them all: the process still exits by
 * itself (the backend's `dispose()` terminates them too).
 */
import { tf } from '../core/tf.js';
import { nodeBuiltin } from '../core/env.js';

/** Marks the pthread worker script's Blob. */
const WORKER_SCRIPT_MARK = 'WasmBackendModuleThreadedSimd(Module)';

type NodeModules = {
  fs: typeof import('node:fs');
  os: typeof import('node:os');
  path: typeof import('node:path');
};

function nodeModules(): NodeModules | undefined {
  const fs = nodeBuiltin('node:fs');
  const os = nodeBuiltin('node:os');
  const path = nodeBuiltin('node:path');
  return fs && os && path ? { fs, os, path } : undefined;
}

let scriptDir: string | undefined;
/** What the pthread worker script file holds (it is written once per process). */
let writtenWorkerScript: string | undefined;

interface NodeWorkerLike {
  ref(): void;
  unref(): void;
}
interface PThreadLike {
  unusedWorkers: NodeWorkerLike[];
  runningWorkers: NodeWorkerLike[];
}

/**
 * Emscripten keeps a worker that runs a pthread referenced, as if the process had to wait for the
 * thread; XNNPACK's threads wait for work forever, so the process would never exit. Unrefs every
 * pool worker and keeps them so (a later pthread start calls `ref()` again).
 */
function unrefPthreadWorkers(): void {
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { PThread?: PThreadLike } } | null;
  const pool = backend?.wasm?.PThread;
  if (!pool) throw new Error('the wasm backend initialised without its pthread pool (PThread)');
  for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) {
    w.ref = () => {};
    w.unref();
  }
}

/**
 * Runs `fn` (the wasm backend's first initialisation, in Node) with the threaded binary enabled
 * and with `threads` XNNPACK threads let through tfjs's cap (min(8, logical cores / 2), read from
 * `os.cpus()` in Node). Everything patched is restored afterwards; the temporary scripts stay
 * until the process exits, since emscripten starts another worker if its pool runs short.
 * `gluePath`: the package's own `wasm-out/tfjs-backend-wasm-threaded-simd.js` (same version), which
 * the workers import instead of tfjs's Blob of the factory source: bundlers rename free names in
 * that source (`require` to esbuild's `__require`, rollup's `commonjsGlobal`), which the worker's
 * global scope lacks, and a worker that fails there takes the process down. Without it, this
 * throws before starting anything.
 *
 * @example
 * ```ts
 * await withNodeWasmThreads(2, () => activateTfBackend('wasm'));
 * ```
 */
export async function withNodeWasmThreads<T>(
  threads: number,
  fn: () => Promise<T>,
  gluePath: string | undefined,
): Promise<T> {
  const node = nodeModules();
  if (!node)
    throw new Error(
      'Node built-in modules are not reachable (process.getBuiltinModule needs Node >= 20.16)',
    );
  if (typeof SharedArrayBuffer !== 'function') throw new Error('SharedArrayBuffer is unavailable');
  const { fs, os, path } = node;
  if (!scriptDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pix2pix-wasm-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    scriptDir = dir;
  }
  if (gluePath === undefined)
    throw new Error(
      "tfjs-backend-wasm-threaded-simd.js (shipped in pix2pix-ts's dist/, beside the wasm binaries) was not found there nor in an installed @tensorflow/tfjs-backend-wasm of the same version; the pthread workers need it",
    );
  const dir = scriptDir;
  const mainPath = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const workerPath = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');

  const g = globalThis as { Blob: typeof Blob };
  const OriginalBlob = g.Blob;
  const texts = new WeakMap<Blob, string>();
  class ScriptBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts && parts.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        texts.set(this, text);
      }
    }
  }
  const originalCreate = URL.createObjectURL;
  const createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof OriginalBlob ? texts.get(obj) : undefined;
    if (text === undefined || !text.includes(WORKER_SCRIPT_MARK))
      return originalCreate.call(URL, obj as Blob);
    // The worker turns tfjs's main-script Blob into a URL with its own URL.createObjectURL and
    // imports that: there it must name the glue file written above.
    // emscripten asks for this URL once per pool worker (8), right after starting the previous
    // worker, which reads the file on its own thread: rewriting it in place could hand that worker
    // a truncated (empty) script, which ends without an error and without ever reporting "loaded",
    // so the backend would never finish starting and the process would exit with nothing pending.
    // So the file is written once (to a temporary name, then renamed) and never touched again.
    const content = `${text};URL.createObjectURL=()=>${JSON.stringify(mainPath)};URL.revokeObjectURL=()=>{};`;
    if (writtenWorkerScript !== content) {
      const tmp = `${workerPath}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, content);
      fs.renameSync(tmp, workerPath);
      writtenWorkerScript = content;
    }
    return workerPath;
  };
  // tfjs's cap reads the logical cores through emscripten_num_logical_cores = os.cpus().length.
  const originalCpus = os.cpus;
  const cores = originalCpus.call(os).length;
  const liftCap = Math.min(8, Math.floor(cores / 2)) < threads;
  const flags = tf.env();
  const hadFlag = Object.prototype.hasOwnProperty.call(
    (flags as unknown as { flags: object }).flags,
    'WASM_HAS_MULTITHREAD_SUPPORT',
  );
  const previousFlag = hadFlag ? flags.get('WASM_HAS_MULTITHREAD_SUPPORT') : undefined;
  if (!fs.existsSync(mainPath)) {
    const tmp = `${mainPath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, fs.readFileSync(gluePath, 'utf8'));
    fs.renameSync(tmp, mainPath);
  }
  g.Blob = ScriptBlob as typeof Blob;
  URL.createObjectURL = createObjectURL;
  if (liftCap)
    os.cpus = () =>
      Array.from({ length: 2 * threads }, (_, i) => originalCpus.call(os)[i % cores]!);
  flags.set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  try {
    const result = await fn();
    unrefPthreadWorkers();
    return result;
  } catch (e) {
    // A later attempt (the single-threaded fallback) must pick the plain SIMD binary again.
    if (hadFlag) flags.set('WASM_HAS_MULTITHREAD_SUPPORT', previousFlag as boolean);
    else flags.set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    throw e;
  } finally {
    g.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    if (liftCap) os.cpus = originalCpus;
  }
}
