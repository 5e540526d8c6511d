/**
 * Files that must stay consistent with one another (a training checkpoint and the `.pth` exports
 * of the same step), written as one set: every file goes to a temp file first (fsynced), then the
 * temps are renamed over their targets in order, and last a manifest naming each file's size and
 * CRC-32 is written atomically. A process killed between two renames leaves files of two saves,
 * and the manifest (still the previous one) no longer matches them: {@link checkFileSet} says
 * which, so the reader can rewrite them instead of trusting a `.pth` one save behind.
 */
import { CheckpointError } from '../errors.js';
import { crc32 } from './container.js';
import { atomicWrite, makeDirs, removeStaleTemps, type FsLike } from './file-handler.js';

/** One file of a set: its name inside the folder and its bytes (in parts). */
export interface SetFile {
  name: string;
  parts: Uint8Array[];
}

/** The manifest written after the files of a set. */
export interface FileSetManifest {
  format: 'pix2pix-ts-file-set';
  version: 1;
  /** What this save was (e.g. `step 1200`), for messages. */
  generation: string;
  files: { name: string; bytes: number; crc32: string }[];
}

const hex = (n: number): string => n.toString(16).padStart(8, '0');
const crcOf = (parts: Uint8Array[]): number => parts.reduce((c, p) => crc32(p, c), 0);
const joinPath = (dir: string, name: string): string =>
  dir.endsWith('/') ? dir + name : `${dir}/${name}`;

const isPlainName = (name: string): boolean =>
  !!name && !/[/\\]/.test(name) && name !== '.' && name !== '..';

/**
 * Writes `files` into `dir` as one set, then `manifestName` (see the module comment). On an error
 * before the first rename nothing is changed and the temps are removed; an error (or a kill)
 * between renames leaves a set that {@link checkFileSet} reports.
 *
 * @example
 * ```ts
 * await writeFileSet(nodeFs(), 'runs/x', 'latest.json', [{ name: 'latest.ckpt', parts }], 'step 40');
 * ```
 */
export async function writeFileSet(
  fs: FsLike,
  dir: string,
  manifestName: string,
  files: SetFile[],
  generation: string,
): Promise<FileSetManifest> {
  for (const f of [...files.map((x) => x.name), manifestName])
    if (!isPlainName(f))
      throw new TypeError(`File set names must be plain file names, got "${f}".`);
  const temps: string[] = [];
  try {
    await makeDirs(fs, dir);
    for (const f of files) {
      const tmp = joinPath(
        dir,
        `.${f.name}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}.tmp`,
      );
      temps.push(tmp);
      const h = await fs.open(tmp, 'w');
      try {
        for (const p of f.parts)
          for (let o = 0; o < p.length; o += 1 << 30)
            await h.write(p, o, Math.min(1 << 30, p.length - o), null);
        await h.sync();
      } finally {
        await h.close();
      }
    }
  } catch (e) {
    for (const t of temps) await fs.unlink(t).catch(() => undefined);
    throw new CheckpointError(
      `Could not save ${files.map((f) => `"${joinPath(dir, f.name)}"`).join(', ')}: ${(e as Error)?.message ?? e}. The previous files are unchanged.`,
      'E_IO_WRITE',
      { cause: e },
    );
  }
  const manifest: FileSetManifest = {
    format: 'pix2pix-ts-file-set',
    version: 1,
    generation,
    files: files.map((f) => ({
      name: f.name,
      bytes: f.parts.reduce((n, p) => n + p.length, 0),
      crc32: hex(crcOf(f.parts)),
    })),
  };
  try {
    for (let i = 0; i < files.length; i++) await fs.rename(temps[i], joinPath(dir, files[i].name));
  } catch (e) {
    throw new CheckpointError(
      `Saving ${files.map((f) => `"${f.name}"`).join(', ')} in "${dir}" stopped between renames: ${(e as Error)?.message ?? e}. The files are from two saves; "${manifestName}" says which do not match.`,
      'E_IO_WRITE',
      { cause: e },
    );
  }
  await atomicWrite(fs, joinPath(dir, manifestName), [
    new TextEncoder().encode(JSON.stringify(manifest, null, 1)),
  ]);
  for (const f of files) await removeStaleTemps(fs, dir, f.name);
  return manifest;
}

/** What {@link checkFileSet} found. */
export interface FileSetCheck {
  /** The manifest, or null when there is none (a folder written before manifests existed). */
  manifest: FileSetManifest | null;
  /** Files whose size or CRC-32 differ from the manifest (or that are missing). */
  mismatched: string[];
}

/**
 * Compares the files of a set with its manifest: a non-empty `mismatched` means a save was
 * interrupted between renames (or a file was replaced by hand).
 *
 * @example
 * ```ts
 * const { mismatched } = await checkFileSet(nodeFs(), 'runs/x', 'latest.json');
 * ```
 */
export async function checkFileSet(
  fs: FsLike,
  dir: string,
  manifestName: string,
): Promise<FileSetCheck> {
  let manifest: FileSetManifest;
  try {
    manifest = JSON.parse(
      new TextDecoder().decode(await fs.readFile(joinPath(dir, manifestName))),
    ) as FileSetManifest;
  } catch (e) {
    if ((e as { code?: string })?.code === 'ENOENT') return { manifest: null, mismatched: [] };
    throw new CheckpointError(
      `"${joinPath(dir, manifestName)}" is not a readable manifest: ${(e as Error)?.message ?? e}.`,
      'E_CHECKPOINT_CORRUPT',
      { cause: e },
    );
  }
  if (manifest?.format !== 'pix2pix-ts-file-set' || !Array.isArray(manifest.files))
    throw new CheckpointError(
      `"${joinPath(dir, manifestName)}" is not a pix2pix-ts file-set manifest.`,
      'E_CHECKPOINT_CORRUPT',
    );
  const mismatched: string[] = [];
  for (const f of manifest.files) {
    if (!isPlainName(f?.name)) {
      mismatched.push(String(f?.name));
      continue;
    }
    const bytes = await fs.readFile(joinPath(dir, f.name)).catch(() => null);
    if (!bytes || bytes.length !== f.bytes || hex(crc32(bytes)) !== f.crc32)
      mismatched.push(f.name);
  }
  return { manifest, mismatched };
}
