/**
 * One way to get a file's bytes with progress: a path or `file:` URL from disk (Node), anything
 * else fetched, with relative URLs resolved against the page or worker in browsers. Used by
 * core/io (`readBytes`) and the worker host (`loadPth` with a URL).
 */
import { CheckpointError } from '../errors.js';
import { defaultBaseUrl, detectEnvironment, nodeBuiltin } from '../env.js';

/** Bytes received so far and the total (from `content-length`), null while unknown. */
export interface DownloadProgress {
  loaded: number;
  total: number | null;
}

/** Options of {@link download}. */
export interface DownloadOptions {
  /** Called as bytes arrive (at most once per whole percent, or per MiB without a total) and once at the end. */
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /** What is being fetched, for messages. @defaultValue `'file'` */
  what?: string;
}

const FETCHABLE = /^(https?|data|blob):/i;
const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const WINDOWS_PATH = /^[a-z]:[\\/]/i;

/**
 * Where `source` is read from: in Node a path or `file:` URL is kept; in browsers and workers a
 * relative or root-relative path is resolved against the page (`document.baseURI`) or the worker's
 * location, so `'/models/x/model.json'` and `'models/x.pth'` work in-thread and in workers alike.
 *
 * @example
 * ```ts
 * resolveSource('models/x.pth'); // in a page at https://example.com/app/: 'https://example.com/app/models/x.pth'
 * ```
 */
export function resolveSource(source: string | URL): string {
  const s = String(source);
  if (detectEnvironment() === 'node' || (HAS_SCHEME.test(s) && !WINDOWS_PATH.test(s))) return s;
  const base = defaultBaseUrl();
  return base ? new URL(s, base).href : s;
}

/** Whether `source` (after {@link resolveSource}) is read from disk rather than fetched. */
export function isLocalSource(source: string): boolean {
  return detectEnvironment() === 'node' && !FETCHABLE.test(source);
}

/**
 * The bytes at `source` (see {@link resolveSource}), with progress.
 *
 * @throws CheckpointError `E_IO_NOT_FOUND` (no such file, HTTP 404), `E_IO_READ` (any other
 *   failure), each message naming the URL or path and the status or error.
 * @example
 * ```ts
 * const bytes = await download('/models/latest_net_G.pth', { onProgress: (p) => console.log(p.loaded, p.total) });
 * ```
 */
export async function download(
  source: string | URL,
  opts: DownloadOptions = {},
): Promise<Uint8Array> {
  const what = opts.what ?? 'file';
  const href = resolveSource(source);
  if (isLocalSource(href)) {
    const fs = nodeBuiltin('node:fs/promises');
    const url = nodeBuiltin('node:url');
    if (!fs || !url)
      throw new CheckpointError(
        `Cannot read "${href}": local files need Node.js >= 20.16.`,
        'E_IO_UNSUPPORTED',
      );
    const path = href.startsWith('file:') ? url.fileURLToPath(href) : href;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await fs.readFile(path, { signal: opts.signal }));
    } catch (cause) {
      if (opts.signal?.aborted) throw cause;
      const code = (cause as { code?: string })?.code;
      throw new CheckpointError(
        code === 'ENOENT'
          ? `No ${what} at "${path}".`
          : `Could not read ${what} "${path}": ${(cause as Error)?.message ?? cause}.`,
        code === 'ENOENT' ? 'E_IO_NOT_FOUND' : 'E_IO_READ',
        { cause },
      );
    }
    opts.onProgress?.({ loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await fetchImpl(href, opts.signal ? { signal: opts.signal } : undefined);
  } catch (cause) {
    if (opts.signal?.aborted) throw cause;
    throw new CheckpointError(
      `Could not fetch ${what} "${href}": ${(cause as Error)?.message ?? cause}. Check the URL (relative URLs resolve against the page or worker) and its CORS headers.`,
      'E_IO_READ',
      { cause },
    );
  }
  if (!res.ok) {
    throw new CheckpointError(
      `Could not fetch ${what} "${href}": HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
      res.status === 404 ? 'E_IO_NOT_FOUND' : 'E_IO_READ',
    );
  }
  const header = Number(res.headers.get('content-length'));
  // A compressed response's content-length counts the compressed bytes; the stream gives more.
  const total = header > 0 && !res.headers.get('content-encoding') ? header : null;
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    opts.onProgress?.({ loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let reported = -1;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      const step = total ? Math.floor((100 * loaded) / total) : Math.floor(loaded / 2 ** 20);
      if (step !== reported) {
        reported = step;
        opts.onProgress?.({ loaded, total });
      }
    }
  } catch (cause) {
    if (opts.signal?.aborted) throw cause;
    throw new CheckpointError(
      `The download of ${what} "${href}" broke off after ${loaded} bytes: ${(cause as Error)?.message ?? cause}.`,
      'E_IO_READ',
      { cause },
    );
  }
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  opts.onProgress?.({ loaded, total: loaded });
  return bytes;
}
