/**
 * A tfjs `io.IOHandler` for the local file system (Node), with atomic saves: the bytes go to a
 * temporary file in the target's directory, are fsynced, and the temporary file is renamed over
 * the target, so `latest` is always either the previous complete file or the new complete one,
 * never half of one. tfjs-node is not used (it would pull in libtensorflow), so this is our own.
 *
 * Two layouts, chosen by the path:
 * - `*.json`: tfjs's standard layout, `model.json` plus one weights file beside it, loadable by
 *   `tf.io.http` / any tfjs loader once served. The weights file name carries a content hash and
 *   the JSON rename is the commit point, so a crash between the two writes leaves the old pair.
 * - anything else: one self-checking file ({@link encodeArtifacts}).
 *
 * Node's `fs` is reached through `process.getBuiltinModule` (Node >= 20.16) instead of an
 * import, so browser bundles of the library never see a `node:fs` import.
 */
import { CheckpointError } from '../errors.js';
import type { tf } from '../tf.js';
import { encodeArtifacts, decodeArtifacts, weightBytes, crc32 } from './container.js';
import { nodeBuiltin } from '../env.js';

type ModelArtifacts = tf.io.ModelArtifacts;

/** The subset of `node:fs/promises` the handler uses (replaceable in tests to simulate crashes). */
export interface FsLike {
  open(
    path: string,
    flags: string,
  ): Promise<{
    write(
      buffer: Uint8Array,
      offset?: number,
      length?: number,
      position?: number | null,
    ): Promise<unknown>;
    sync(): Promise<void>;
    close(): Promise<void>;
  }>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  mkdir(path: string, opts: { recursive: boolean }): Promise<unknown>;
  /** Used, when present, to remove temp files a killed save left behind. */
  readdir?(path: string): Promise<string[]>;
  /** Used, when present, to read only regular files (not links, devices or folders) of a known size. */
  lstat?(path: string): Promise<{ isFile(): boolean; size: number }>;
}

export interface FileHandlerOptions {
  /** File system implementation. @defaultValue Node's `fs/promises` */
  fs?: FsLike;
}

/** Node's fs/promises, or a clear error outside Node. */
export function nodeFs(): FsLike {
  const fs = nodeBuiltin('node:fs/promises') as FsLike | undefined;
  if (!fs) {
    throw new CheckpointError(
      'file:// paths need Node.js >= 20.16 (process.getBuiltinModule). In a browser use "indexeddb://name", "downloads://name", an http(s):// URL to load, or pass your own tf.io.IOHandler.',
      'E_IO_UNSUPPORTED',
    );
  }
  return fs;
}

function dirOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
}
function baseOf(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return p.slice(i + 1);
}
function join(dir: string, name: string): string {
  return dir === '.' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** `file:///a/b` or `file://a/b` or a plain path -> a path. */
export function filePath(url: string): string {
  if (!url.startsWith('file://')) return url;
  const rest = url.slice('file://'.length);
  return decodeURIComponent(rest);
}

/**
 * Makes `dir` and its missing parents, one level at a time. Node's own `mkdir(p, { recursive:
 * true })` never returns for some paths (`/proc/x`: each level reports ENOENT and it retries
 * forever); here a level that cannot be made fails at once with its error.
 *
 * @example
 * ```ts
 * await makeDirs(nodeFs(), 'runs/facades/samples');
 * ```
 */
export async function makeDirs(fs: Pick<FsLike, 'mkdir'>, dir: string, depth = 0): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: false });
  } catch (e) {
    const code = (e as { code?: string })?.code;
    if (code === 'EEXIST') return;
    const parent = dirOf(dir);
    if (code !== 'ENOENT' || parent === dir || depth > 4096) throw e;
    await makeDirs(fs, parent, depth + 1);
    try {
      await fs.mkdir(dir, { recursive: false });
    } catch (e2) {
      if ((e2 as { code?: string })?.code !== 'EEXIST') throw e2;
    }
  }
}

/** Temp files of `base` older than this were left by a killed save (a live one takes seconds). */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Removes `.<base>.<time><random>.tmp` files older than {@link STALE_TEMP_MS}: saves killed
 * between writing and renaming left them forever (14 MB after 12 kills). Best effort.
 * @internal
 */
export async function removeStaleTemps(fs: FsLike, dir: string, base: string): Promise<void> {
  if (!fs.readdir) return;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const prefix = `.${base}.`;
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const stamp = name.slice(prefix.length, -'.tmp'.length);
    const time = parseInt(stamp.slice(0, -6), 36);
    if (stamp.length > 6 && Number.isFinite(time) && Date.now() - time > STALE_TEMP_MS)
      await fs.unlink(join(dir, name)).catch(() => undefined);
  }
}

/**
 * Writes `parts` to `path` atomically: temp file in the same directory, fsync, rename over the
 * target, then a best-effort fsync of the directory (so the rename itself survives a power cut).
 * On any error the temp file is removed and the target is untouched.
 *
 * @example
 * ```ts
 * await atomicWrite(nodeFs(), '/runs/x/latest.p2p', [bytes]);
 * ```
 */
export async function atomicWrite(fs: FsLike, path: string, parts: Uint8Array[]): Promise<void> {
  const dir = dirOf(path);
  const tmp = join(
    dir,
    `.${baseOf(path)}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`,
  );
  let handle: Awaited<ReturnType<FsLike['open']>> | undefined;
  try {
    await makeDirs(fs, dir);
    handle = await fs.open(tmp, 'w');
    for (const p of parts) {
      // Large parts in slices: one write call of > 2 GiB fails in Node.
      for (let o = 0; o < p.length; o += 1 << 30)
        await handle.write(p, o, Math.min(1 << 30, p.length - o), null);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(tmp, path);
    await removeStaleTemps(fs, dir, baseOf(path));
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(tmp).catch(() => undefined);
    throw new CheckpointError(
      `Could not save "${path}": ${(e as Error)?.message ?? e}. The previous file, if any, is unchanged.`,
      'E_IO_WRITE',
      { cause: e },
    );
  }
  try {
    const d = await fs.open(dir, 'r');
    await d.sync().catch(() => undefined);
    await d.close();
  } catch {
    // Directories cannot be opened for fsync on every platform (Windows); the rename is done.
  }
}

async function readOrThrow(fs: FsLike, path: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    const code = (e as { code?: string })?.code;
    throw new CheckpointError(
      code === 'ENOENT'
        ? `No checkpoint/weights file at "${path}".`
        : `Could not read "${path}": ${(e as Error)?.message ?? e}.`,
      code === 'ENOENT' ? 'E_IO_NOT_FOUND' : 'E_IO_READ',
      { cause: e },
    );
  }
}

/**
 * A tfjs IOHandler reading and writing artifacts at a local path (see the module comment for the
 * two layouts). `save` is atomic.
 *
 * @example
 * ```ts
 * const handler = fileHandler('/runs/facades/latest.p2p');
 * await handler.save!(artifacts);
 * const again = await handler.load!();
 * ```
 */
export function fileHandler(url: string, opts: FileHandlerOptions = {}): tf.io.IOHandler {
  const path = filePath(url);
  const fs = () => opts.fs ?? nodeFs();
  const json = path.toLowerCase().endsWith('.json');
  return {
    async save(artifacts: ModelArtifacts): Promise<tf.io.SaveResult> {
      const f = fs();
      if (!json) {
        const parts = encodeArtifacts(artifacts);
        await atomicWrite(f, path, parts);
        const weightDataBytes = parts[2].length;
        return { modelArtifactsInfo: info(artifacts, weightDataBytes) };
      }
      const weights = weightBytes(artifacts.weightData);
      const stem = baseOf(path).replace(/\.json$/i, '');
      const binName = `${stem}.${crc32(weights).toString(16).padStart(8, '0')}.bin`;
      let previousBins: string[] = [];
      try {
        const old = JSON.parse(new TextDecoder().decode(await f.readFile(path))) as tf.io.ModelJSON;
        previousBins = old.weightsManifest?.flatMap((g) => g.paths) ?? [];
      } catch {
        // No previous model.json (or an unreadable one): nothing to clean up.
      }
      const { weightData: _w, getWeightStream: _s, weightSpecs, ...rest } = artifacts;
      const modelJSON: tf.io.ModelJSON = {
        ...(rest as Omit<tf.io.ModelJSON, 'weightsManifest' | 'modelTopology'>),
        modelTopology: rest.modelTopology ?? {},
        weightsManifest: [{ paths: [binName], weights: weightSpecs ?? [] }],
      };
      await atomicWrite(f, join(dirOf(path), binName), [weights]);
      await atomicWrite(f, path, [new TextEncoder().encode(JSON.stringify(modelJSON))]);
      for (const p of previousBins)
        if (p !== binName && !p.includes('/'))
          await f.unlink(join(dirOf(path), p)).catch(() => undefined);
      return { modelArtifactsInfo: info(artifacts, weights.length) };
    },
    async load(): Promise<ModelArtifacts> {
      const f = fs();
      const bytes = await readOrThrow(f, path);
      if (!json) return decodeArtifacts(bytes, `"${path}"`);
      let modelJSON: tf.io.ModelJSON;
      try {
        modelJSON = JSON.parse(new TextDecoder().decode(bytes));
      } catch (e) {
        throw new CheckpointError(
          `"${path}" is not valid JSON: ${(e as Error).message}.`,
          'E_CHECKPOINT_CORRUPT',
          { cause: e },
        );
      }
      return loadModelJSON(
        modelJSON,
        async (p, maxBytes) => {
          const full = join(dirOf(path), p);
          if (f.lstat) {
            const st = await f.lstat(full).catch((e: unknown) => {
              throw new CheckpointError(
                `Could not read weights file "${p}" of "${path}": ${(e as Error)?.message ?? e}.`,
                (e as { code?: string })?.code === 'ENOENT' ? 'E_IO_NOT_FOUND' : 'E_IO_READ',
                { cause: e },
              );
            });
            if (!st.isFile())
              throw new CheckpointError(
                `Weights file "${p}" of "${path}" is not a regular file (a link, device or folder); refused.`,
                'E_UNSAFE_PATH',
              );
            if (st.size > maxBytes) {
              throw new CheckpointError(
                `Weights file "${p}" of "${path}" has ${st.size} bytes, more than the ${maxBytes} its weight specs need; refused before reading. It belongs to another model.json.`,
                'E_CHECKPOINT_CORRUPT',
              );
            }
          }
          return readOrThrow(f, full);
        },
        `"${path}"`,
      );
    },
  };
}

/**
 * Turns a tfjs `model.json` plus a way to fetch its weight files into ModelArtifacts, checking
 * that the weight bytes are as long as the specs need.
 *
 * @example
 * ```ts
 * const artifacts = await loadModelJSON(json, (p) => fetchBytes(new URL(p, base)), 'model.json');
 * ```
 */
export async function loadModelJSON(
  modelJSON: tf.io.ModelJSON,
  fetchPath: (p: string, maxBytes: number) => Promise<Uint8Array>,
  where: string,
): Promise<ModelArtifacts> {
  if (
    !Array.isArray(modelJSON.weightsManifest) ||
    !modelJSON.weightsManifest.every((g) => g && Array.isArray(g.paths) && Array.isArray(g.weights))
  ) {
    throw new CheckpointError(
      `${where} has no valid "weightsManifest" (a list of { paths, weights }): not a tfjs model.json.`,
      'E_CHECKPOINT_FORMAT',
    );
  }
  const specs = modelJSON.weightsManifest.flatMap((g) => g.weights);
  const need = specs.reduce((n, s) => n + specBytes(s), 0);
  const paths = modelJSON.weightsManifest.flatMap((g) => g.paths);
  // Decided before any read: every path stays inside the model.json's folder.
  for (const p of paths) {
    if (!isConfinedPath(p)) {
      throw new CheckpointError(
        `${where} names the weights file ${JSON.stringify(String(p).slice(0, 200))}, which is not a relative path inside its folder (no "..", no absolute path, drive or URL); refused.`,
        'E_UNSAFE_PATH',
      );
    }
  }
  const parts: Uint8Array[] = [];
  let read = 0;
  for (const p of paths) {
    const part = await fetchPath(p, need - read);
    read += part.length;
    if (read > need) break;
    parts.push(part);
  }
  const total = read;
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  if (total !== need) {
    throw new CheckpointError(
      `${where}: the weight files hold ${total} bytes but the weight specs need ${need}. A weights file is truncated or belongs to another model.json.`,
      total < need ? 'E_CHECKPOINT_TRUNCATED' : 'E_CHECKPOINT_CORRUPT',
    );
  }
  const { weightsManifest: _m, ...rest } = modelJSON;
  return { ...rest, weightSpecs: specs, weightData: data.buffer };
}

/**
 * Whether a weights path of a model.json is a relative path that stays in the model.json's
 * folder: a non-empty string with no `..` segment, no leading `/` or `\`, no drive letter, no
 * URL scheme.
 *
 * @example
 * ```ts
 * isConfinedPath('group1-shard1of1.bin'); // true
 * isConfinedPath('../../etc/passwd'); // false
 * ```
 */
export function isConfinedPath(p: unknown): p is string {
  if (
    typeof p !== 'string' ||
    !p ||
    p.includes('\0') ||
    /^[/\\]/.test(p) ||
    /^[a-z][a-z0-9+.-]*:/i.test(p)
  )
    return false;
  return !p.split(/[/\\]/).some((seg) => seg === '..');
}

/** Bytes one weight spec occupies (quantised dtypes included). */
export function specBytes(s: tf.io.WeightsManifestEntry): number {
  if (!s || !Array.isArray(s.shape) || !s.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new CheckpointError(
      `Invalid weight spec ${JSON.stringify(s?.name ?? null)?.slice(0, 100)}: "shape" must be a list of non-negative integers.`,
      'E_CHECKPOINT_FORMAT',
    );
  }
  const n = s.shape.reduce((a, b) => a * b, 1);
  const dtype = s.quantization?.dtype ?? s.dtype;
  const size = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 }[dtype as string];
  if (size === undefined)
    throw new CheckpointError(
      `Unsupported weight dtype "${dtype}" for "${s.name}".`,
      'E_CHECKPOINT_FORMAT',
    );
  return n * size;
}

function info(a: ModelArtifacts, weightDataBytes: number): tf.io.ModelArtifactsInfo {
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: a.modelTopology ? JSON.stringify(a.modelTopology).length : 0,
    weightSpecsBytes: a.weightSpecs ? JSON.stringify(a.weightSpecs).length : 0,
    weightDataBytes,
  };
}
