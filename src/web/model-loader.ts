/**
 * The widget's model loader: downloads everything the widget needs with progress (the worker
 * script, and the model: one `.pth` / `.pict` / pix2pix-ts file, or a tfjs `model.json` with its
 * weight files), then starts the library's worker on those bytes, with a deadline. Failures are
 * the library's error classes with their stable codes (`E_IO_NOT_FOUND` for a 404, whatever the
 * format; `E_CHECKPOINT_FORMAT` for an HTML page served in place of a model), which the element
 * turns into one message per cause (see `status.ts`).
 *
 * The worker script is fetched here, not by `new Worker(url)`, so that its download (the largest
 * one) shows progress; the worker then starts from a blob URL of those bytes, with the script's
 * own URL written in for `import.meta.url` so that it still finds the wasm binaries beside it.
 *
 * @example
 * ```ts
 * const files = await downloadModelFiles({ modelUrl, workerUrl, onProgress: (p) => bar.value = p.loaded / p.total! });
 * const p2p = await startWorkerModel(files, { backend: 'auto' }, { timeoutMs: 60_000 });
 * ```
 */
import { WorkerPix2Pix } from '../workers/client.js';
import { AbortError, CheckpointError, Pix2PixError, WorkerError } from '../core/errors.js';
import { encodeArtifacts } from '../core/io/container.js';
import { loadModelJSON, specBytes } from '../core/io/file-handler.js';
import { download as downloadFile } from '../core/io/download.js';
import type { WorkerModelOptions } from '../workers/protocol.js';

/** What a widget's worker is created with: the model options and the downloaded weights. */
export type WidgetModelInit = WorkerModelOptions & { weights?: Uint8Array };

/** Progress of the downloads, summed over every file; `total` is null while a size is unknown. */
export interface DownloadProgress {
  loaded: number;
  total: number | null;
  /** What is being downloaded, in words: `model`, `model engine`, or both. */
  what: string;
}

/** Options of {@link download}. */
export interface DownloadOptions {
  onProgress?: (loaded: number, total: number | null) => void;
  signal?: AbortSignal;
}

const aborted = (signal?: AbortSignal) =>
  new AbortError(
    `The download was cancelled${signal?.reason instanceof Error ? `: ${signal.reason.message}` : ''}.`,
  );

/**
 * The one download helper (src/core/io/download.ts: HTTP 404 is a CheckpointError with code
 * `E_IO_NOT_FOUND`, any other failure `E_IO_READ`) with this loader's progress callback, and a
 * cancelled download reported as an AbortError.
 */
async function download(
  url: string,
  opts: DownloadOptions & { what?: string },
): Promise<Uint8Array> {
  const { onProgress, signal, what } = opts;
  if (signal?.aborted) throw aborted(signal);
  try {
    return await downloadFile(url, {
      signal,
      what,
      onProgress: onProgress && ((p) => onProgress(p.loaded, p.total)),
    });
  } catch (e) {
    if (signal?.aborted) throw aborted(signal);
    throw e;
  }
}

function concat(
  chunks: Uint8Array[],
  length = chunks.reduce((n, c) => n + c.length, 0),
): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Refuses what static hosts and dev servers answer for a missing file: their HTML page, with a 200. */
function assertNotHtml(bytes: Uint8Array, url: string): void {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart();
  if (!bytes.length || head.startsWith('<')) {
    throw new CheckpointError(
      `${url} is ${bytes.length ? "an HTML/XML document (perhaps the site's page for a missing file)" : 'empty'}, not a model file. Expected a PyTorch .pth, a pix2pix-ts checkpoint or web weights (model.json).`,
      'E_CHECKPOINT_FORMAT',
    );
  }
}

const isJsonUrl = (url: string) => /\.json([?#].*)?$/i.test(url);

/**
 * Downloads a model as bytes the worker can load: one file as it is, or a tfjs `model.json` with
 * its weight files (each path resolved against the model.json) packed into one pix2pix-ts
 * container. Progress counts every file.
 *
 * @example
 * ```ts
 * const bytes = await downloadModel('/models/fonts/model.json', { onProgress: (n, t) => {} });
 * ```
 */
export async function downloadModel(url: string, opts: DownloadOptions = {}): Promise<Uint8Array> {
  if (!isJsonUrl(url)) {
    const bytes = await download(url, { ...opts, what: 'model' });
    assertNotHtml(bytes, url);
    return bytes;
  }
  const jsonBytes = await download(url, {
    what: 'model',
    signal: opts.signal,
    onProgress: (n) => opts.onProgress?.(n, null),
  });
  assertNotHtml(jsonBytes, url);
  let json: Parameters<typeof loadModelJSON>[0];
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (e) {
    throw new CheckpointError(
      `${url} is not JSON (${(e as Error).message}); expected a tfjs model.json.`,
      'E_CHECKPOINT_FORMAT',
      { cause: e },
    );
  }
  let need: number | null = null;
  try {
    need = json.weightsManifest.flatMap((g) => g.weights).reduce((n, s) => n + specBytes(s), 0);
  } catch {
    /* loadModelJSON names what is wrong */
  }
  const base = jsonBytes.length;
  let done = 0;
  const total = need === null ? null : base + need;
  opts.onProgress?.(base, total);
  const artifacts = await loadModelJSON(
    json,
    async (p) => {
      const bytes = await download(new URL(p, url).href, {
        what: 'weights file',
        signal: opts.signal,
        onProgress: (n) => opts.onProgress?.(base + done + n, total),
      });
      done += bytes.length;
      return bytes;
    },
    url,
  );
  return concat(encodeArtifacts(artifacts));
}

/**
 * Fetches the worker script and returns a blob URL that starts it, with `import.meta.url` written
 * as the script's own URL (it finds the wasm binaries beside itself) and its source map still
 * found. A script that imports other files (a bundler's chunks) or that cannot be fetched (a
 * cross-origin host without CORS) is started from its URL instead: `{ url, bytes: 0 }`.
 *
 * @example
 * ```ts
 * const { url, revoke } = await downloadWorkerScript('https://example.com/dist/worker.js');
 * ```
 */
export async function downloadWorkerScript(
  url: string,
  opts: DownloadOptions = {},
): Promise<{ url: string; bytes: number; revoke(): void }> {
  const direct = directWorker(url);
  if (!/^https?:/i.test(url)) return direct;
  let bytes: Uint8Array;
  try {
    bytes = await download(url, { ...opts, what: 'worker script' });
  } catch (e) {
    if (e instanceof AbortError) throw e;
    if ((e as CheckpointError).code === 'E_IO_NOT_FOUND') {
      throw new WorkerError(
        `The widget's worker script is not at ${url} (HTTP 404). Serve dist/worker.js beside pix2pix-widget.min.js, or set the "worker-url" attribute to where it is.`,
        { cause: e },
      );
    }
    return direct; // let the browser try it the usual way (its error event names the failure)
  }
  let text = new TextDecoder().decode(bytes);
  if (
    /(^|[;}])\s*(import|export)\s*(?:[^;'"]*?from\s*)?['"]\.{0,2}\//m.test(text) ||
    /\bimport\s*\(\s*['"]\.{0,2}\//.test(text)
  )
    return direct;
  const self = JSON.stringify(url);
  text = text.split('import.meta.url').join(self);
  text = text.replace(
    /\/\/# sourceMappingURL=(\S+)\s*$/,
    (_, map: string) => `//# sourceMappingURL=${new URL(map, url).href}\n`,
  );
  text += `\n//# sourceURL=${url}\n`;
  const blobUrl = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  return { url: blobUrl, bytes: bytes.length, revoke: () => URL.revokeObjectURL(blobUrl) };
}

/**
 * Starts the worker from its URL. Module workers must be same-origin: a script from another
 * origin (a CDN) starts through a same-origin blob that imports it (the CDN must send CORS
 * headers, as script CDNs do).
 */
function directWorker(url: string): { url: string; bytes: number; revoke(): void } {
  const same =
    typeof location === 'undefined' ||
    new URL(url, location.href).origin === location.origin ||
    /^(blob|data):/i.test(url);
  if (same) return { url, bytes: 0, revoke() {} };
  const blobUrl = URL.createObjectURL(
    new Blob([`import ${JSON.stringify(url)};`], { type: 'text/javascript' }),
  );
  return { url: blobUrl, bytes: 0, revoke: () => URL.revokeObjectURL(blobUrl) };
}

/** What {@link downloadAll} fetched: the worker's start URL and the model's bytes. */
export interface DownloadedFiles {
  /** Where to start the worker from: a blob URL of the downloaded script, or the script's URL. */
  workerUrl: string;
  /** The worker script's own URL. */
  scriptUrl: string;
  weights: Uint8Array;
  /** Revokes the worker's blob URL (call when the widget no longer needs to start workers). */
  revoke(): void;
}

/**
 * Downloads the worker script and the model at the same time, with one summed progress.
 *
 * @example
 * ```ts
 * const files = await downloadAll({ modelUrl, workerUrl, onProgress: ({ loaded, total }) => {} });
 * ```
 */
export async function downloadAll(opts: {
  modelUrl: string;
  workerUrl: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}): Promise<DownloadedFiles> {
  const parts = {
    engine: { loaded: 0, total: null as number | null, done: false },
    model: { loaded: 0, total: null as number | null, done: false },
  };
  const report = () => {
    const loaded = parts.engine.loaded + parts.model.loaded;
    const known = Object.values(parts).every((p) => p.total !== null || p.done);
    const total = known
      ? Object.values(parts).reduce((n, p) => n + (p.total ?? p.loaded), 0)
      : null;
    const what =
      [!parts.model.done && 'model', !parts.engine.done && 'model engine']
        .filter(Boolean)
        .join(' and ') || 'model';
    opts.onProgress?.({ loaded, total, what });
  };
  const track = (key: keyof typeof parts) => (loaded: number, total: number | null) => {
    parts[key].loaded = loaded;
    parts[key].total = total;
    report();
  };
  const workerP = downloadWorkerScript(opts.workerUrl, {
    signal: opts.signal,
    onProgress: track('engine'),
  }).finally(() => {
    parts.engine.done = true;
    report();
  });
  const modelP = downloadModel(opts.modelUrl, {
    signal: opts.signal,
    onProgress: track('model'),
  }).finally(() => {
    parts.model.done = true;
    report();
  });
  const [worker, model] = await Promise.allSettled([workerP, modelP]);
  if (worker.status === 'fulfilled' && model.status === 'rejected') worker.value.revoke();
  // The model's failure first: it is the one the page can fix with its "model" attribute.
  if (model.status === 'rejected') throw model.reason;
  if (worker.status === 'rejected') throw worker.reason;
  return {
    workerUrl: worker.value.url,
    scriptUrl: opts.workerUrl,
    weights: model.value,
    revoke: worker.value.revoke,
  };
}

/**
 * Starts the library's worker with `init` (weights included) and resolves with the model, or
 * rejects after `timeoutMs` with a Pix2PixError of code `E_TIMEOUT` (the worker is terminated: a worker whose start-up
 * never finishes cannot keep a page waiting). `signal` cancels it (AbortError).
 *
 * @example
 * ```ts
 * const p2p = await startWorkerModel('blob:...', { weights, backend: 'auto' }, { timeoutMs: 60_000 });
 * ```
 */
export async function startWorkerModel(
  workerUrl: string,
  init: WidgetModelInit,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<WorkerPix2Pix> {
  const stop = new AbortController();
  const timer = setTimeout(
    () =>
      stop.abort(
        new Pix2PixError(
          `The model worker did not start within ${Math.round(opts.timeoutMs / 1000)} s; it was stopped.`,
          'E_TIMEOUT',
        ),
      ),
    opts.timeoutMs,
  );
  const onAbort = () => stop.abort(new AbortError('The model load was cancelled.'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    // Not `transfer`: the weights stay here, for a restart.
    // `weights` is createPix2Pix's option, passed through to the worker's init.
    return await WorkerPix2Pix.create({ ...init, workerUrl, signal: stop.signal } as Parameters<
      typeof WorkerPix2Pix.create
    >[0]);
  } catch (e) {
    if (stop.signal.aborted && stop.signal.reason instanceof Error) throw stop.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
