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
import { fileHandler, filePath, type FileHandlerOptions } from './file-handler.js';
import { download, isLocalSource, resolveSource } from './download.js';
import { decodeArtifacts } from './container.js';

export {
  fileHandler,
  atomicWrite,
  makeDirs,
  nodeFs,
  filePath,
  loadModelJSON,
  specBytes,
  isConfinedPath,
  type FsLike,
  type FileHandlerOptions,
} from './file-handler.js';
export {
  download,
  resolveSource,
  type DownloadOptions,
  type DownloadProgress,
} from './download.js';
export {
  encodeArtifacts,
  decodeArtifacts,
  isArtifactsContainer,
  crc32,
  weightBytes,
  sniff,
} from './container.js';

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
    if (typeof target?.save !== 'function')
      throw new TypeError(
        'The save target must be a URL string or a tf.io.IOHandler with a save() method.',
      );
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
export function loadHandler(
  source: IOTarget,
  opts: FileHandlerOptions & { fetch?: typeof fetch } = {},
): tf.io.IOHandler {
  if (typeof source !== 'string') {
    if (typeof source?.load !== 'function')
      throw new TypeError(
        'The load source must be a URL string or a tf.io.IOHandler with a load() method.',
      );
    return source;
  }
  if (isBrowserScheme(source)) {
    const handlers = tf.io.getLoadHandlers(source);
    if (!handlers.length) throw unsupported(source, 'load');
    return handlers[0];
  }
  // Relative and root-relative paths resolve against the page or worker in browsers.
  const href = resolveSource(source);
  if (href.startsWith('file://') || (!hasScheme(href) && !/^(data|blob):/i.test(href)))
    return fileHandler(href, opts);
  if (/^(https?|data|blob):/i.test(href)) {
    if (/\.json([?#].*)?$/i.test(href))
      return tf.io.http(href, opts.fetch ? { fetchFunc: opts.fetch } : undefined);
    return { load: async () => decodeArtifacts(await fetchBytes(href, opts.fetch), `"${href}"`) };
  }
  throw unsupported(source, 'load');
}

/**
 * Fetches a URL's bytes with a clear error on HTTP failures.
 *
 * @example
 * ```ts
 * const bytes = await fetchBytes('https://example.com/latest_net_G.pth');
 * ```
 */
export function fetchBytes(
  url: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<Uint8Array> {
  return download(url, { fetch: fetchImpl });
}

/**
 * Reads bytes from a path, `file://` URL or http(s) URL (for `.pth` / `.pict` files that are not
 * tfjs artifacts); in browsers a relative path is a URL relative to the page or worker.
 *
 * @example
 * ```ts
 * const bytes = await readBytes('latest_net_G.pth');
 * ```
 */
export async function readBytes(
  source: string,
  opts: FileHandlerOptions & { fetch?: typeof fetch } = {},
): Promise<Uint8Array> {
  const href = resolveSource(source);
  if (isLocalSource(href)) {
    if (hasScheme(href) && !href.startsWith('file://') && !/^[a-z]:[\\/]/i.test(href))
      throw unsupported(source, 'load');
    if (opts.fs) {
      const path = filePath(href);
      try {
        return await opts.fs.readFile(path);
      } catch (e) {
        const code = (e as { code?: string })?.code;
        throw new CheckpointError(
          code === 'ENOENT'
            ? `No file at "${path}".`
            : `Could not read "${path}": ${(e as Error)?.message ?? e}.`,
          code === 'ENOENT' ? 'E_IO_NOT_FOUND' : 'E_IO_READ',
          { cause: e },
        );
      }
    }
    return download(filePath(href));
  }
  if (!/^(https?|data|blob):/i.test(href)) throw unsupported(source, 'load');
  return download(href, { fetch: opts.fetch });
}
