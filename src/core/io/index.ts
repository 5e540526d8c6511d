/**
 * Where checkpoints and weights go: a URL-like string is routed to a tfjs IOHandler.
 * - `file://path` or a plain path (Node): {@link fileHandler}, atomic saves.
 * - `http(s)://...` (load only): a `.json` URL through `tf.io.http` (tfjs model.json + shards),
 *   anything else fetched as one pix2pix-ts container file.
 * - every scheme tfjs-core registers in browsers: `indexeddb://`, `localstorage://`,
 *   `downloads://` (save only).
 * - or any `tf.io.IOHandler` object.
 */
import { tf } from '../tf.js';
import { CheckpointError } from '../errors.js';
import { fileHandler, nodeFs, filePath, type FileHandlerOptions } from './file-handler.js';
import { decodeArtifacts } from './container.js';

export { fileHandler, atomicWrite, nodeFs, filePath, loadModelJSON, specBytes, isConfinedPath, type FsLike, type FileHandlerOptions } from './file-handler.js';
export { encodeArtifacts, decodeArtifacts, isArtifactsContainer, crc32, weightBytes, sniff } from './container.js';

/** A destination or source: a URL-like string or a tfjs IOHandler. */
export type IOTarget = string | tf.io.IOHandler;

const isBrowserScheme = (s: string) => /^(indexeddb|localstorage|downloads):\/\//i.test(s);
const hasScheme = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

function unsupported(target: string, op: 'save' | 'load'): CheckpointError {
  return new CheckpointError(
    `Cannot ${op} "${target}": no handler for this URL. Should be one of: a file path or "file://..." (Node), ${op === 'load' ? '"http(s)://..." (a .json model or a pix2pix-ts file), ' : ''}"indexeddb://name", "localstorage://name"${op === 'save' ? ', "downloads://name"' : ''} (browsers), or a tf.io.IOHandler object.`,
    'E_IO_UNSUPPORTED',
  );
}

/**
 * The IOHandler that saves to `target`.
 *
 * @example
 * ```ts
 * await saveHandler('file:///runs/x/latest.p2p').save!(artifacts);
 * ```
 */
export function saveHandler(target: IOTarget, opts: FileHandlerOptions = {}): tf.io.IOHandler {
  if (typeof target !== 'string') {
    if (typeof target?.save !== 'function') throw new TypeError('The save target must be a URL string or a tf.io.IOHandler with a save() method.');
    return target;
  }
  if (target.startsWith('file://') || !hasScheme(target)) return fileHandler(target, opts);
  if (/^https?:\/\//i.test(target)) return tf.io.http(target);
  const handlers = isBrowserScheme(target) ? tf.io.getSaveHandlers(target) : [];
  if (!handlers.length) throw unsupported(target, 'save');
  return handlers[0];
}

/**
 * The IOHandler that loads from `source`.
 *
 * @example
 * ```ts
 * const artifacts = await loadHandler('https://example.com/facades/model.json').load!();
 * ```
 */
export function loadHandler(source: IOTarget, opts: FileHandlerOptions & { fetch?: typeof fetch } = {}): tf.io.IOHandler {
  if (typeof source !== 'string') {
    if (typeof source?.load !== 'function') throw new TypeError('The load source must be a URL string or a tf.io.IOHandler with a load() method.');
    return source;
  }
  if (source.startsWith('file://') || !hasScheme(source)) return fileHandler(source, opts);
  if (/^https?:\/\//i.test(source)) {
    if (/\.json([?#].*)?$/i.test(source)) return tf.io.http(source, opts.fetch ? { fetchFunc: opts.fetch } : undefined);
    return { load: async () => decodeArtifacts(await fetchBytes(source, opts.fetch), `"${source}"`) };
  }
  const handlers = isBrowserScheme(source) ? tf.io.getLoadHandlers(source) : [];
  if (!handlers.length) throw unsupported(source, 'load');
  return handlers[0];
}

/**
 * Fetches a URL's bytes with a clear error on HTTP failures.
 *
 * @example
 * ```ts
 * const bytes = await fetchBytes('https://example.com/latest_net_G.pth');
 * ```
 */
export async function fetchBytes(url: string, fetchImpl: typeof fetch = globalThis.fetch): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchImpl(url);
  } catch (e) {
    throw new CheckpointError(`Could not fetch "${url}": ${(e as Error)?.message ?? e}.`, 'E_IO_READ', { cause: e });
  }
  if (!res.ok) throw new CheckpointError(`Could not fetch "${url}": HTTP ${res.status} ${res.statusText}.`, res.status === 404 ? 'E_IO_NOT_FOUND' : 'E_IO_READ');
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Reads bytes from a path, `file://` URL or http(s) URL (for `.pth` / `.pict` files that are not
 * tfjs artifacts).
 *
 * @example
 * ```ts
 * const bytes = await readBytes('latest_net_G.pth');
 * ```
 */
export async function readBytes(source: string, opts: FileHandlerOptions & { fetch?: typeof fetch } = {}): Promise<Uint8Array> {
  if (/^https?:\/\//i.test(source)) return fetchBytes(source, opts.fetch);
  if (hasScheme(source) && !source.startsWith('file://')) throw unsupported(source, 'load');
  const fs = opts.fs ?? nodeFs();
  const path = filePath(source);
  try {
    return await fs.readFile(path);
  } catch (e) {
    const code = (e as { code?: string })?.code;
    throw new CheckpointError(code === 'ENOENT' ? `No file at "${path}".` : `Could not read "${path}": ${(e as Error)?.message ?? e}.`, code === 'ENOENT' ? 'E_IO_NOT_FOUND' : 'E_IO_READ', { cause: e });
  }
}
