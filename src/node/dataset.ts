/**
 * Paired image datasets on disk (Node). Two layouts, as in the reference implementation:
 * - aligned (the reference's `AlignedDataset`): each file holds A on the left half and B on the
 *   right half, in `<root>/<phase>/` (`train/`, `val/`, `test/`);
 * - two folders: `A/` and `B/` with files of the same name (the input of the reference's
 *   `combine_A_and_B.py`), as `<root>/<phase>/A` + `<root>/<phase>/B`, or `<root>/A/<phase>` +
 *   `<root>/B/<phase>`, or `<root>/A` + `<root>/B`.
 *
 * Opening lists the files (and fails early on an empty folder or a file with no counterpart);
 * pixels are read lazily by `get(i)`, so a dataset larger than memory works. A file that cannot
 * be used is reported with a {@link DatasetError} naming it and saying why.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { DatasetError } from '../core/errors.js';
import type { PairSample } from '../pix2pix/preprocess.js';
import {
  decodeImage,
  IMAGE_EXTENSIONS,
  readImageSize,
  rgbToGray,
  toFloat,
  type DecodedImage,
} from './image-io.js';

export type { PairSample } from '../pix2pix/preprocess.js';

/** Which half is the generator's input: `AtoB` translates A into B. */
export type Direction = 'AtoB' | 'BtoA';
/** `aligned`: one A|B file per pair; `two-folder`: `A/` and `B/` with matching names. */
export type DatasetLayout = 'aligned' | 'two-folder';

/** Options of {@link openPairedDataset}. */
export interface OpenDatasetOptions {
  /** Dataset folder (the reference's `--dataroot`). */
  root: string;
  /** Subfolder to read (the reference's `--phase`). @defaultValue 'train' */
  phase?: string;
  /** @defaultValue 'auto': two-folder when `A/` and `B/` folders are found, aligned otherwise */
  layout?: DatasetLayout | 'auto';
  /** @defaultValue 'AtoB' */
  direction?: Direction;
  /** Channels of `a`, the generator input: 1 (gray, PIL's `L`) or 3 (RGB). @defaultValue 3 */
  inputChannels?: 1 | 3;
  /** Channels of `b`, the target. @defaultValue 3 */
  outputChannels?: 1 | 3;
  /** Keep only the first `maxSize` files in sorted order (`--max_dataset_size`). @defaultValue Infinity */
  maxSize?: number;
}

/** A problem found by {@link PairedDataset.validate}. */
export interface DatasetIssue {
  name: string;
  error: DatasetError;
}

/**
 * A paired dataset on disk. `get(i)` decodes pair `i` into a {@link PairSample}: `a` (input) and
 * `b` (target) as HWC `Float32Array`s in [-1, 1], after the direction is applied.
 */
export interface PairedDataset {
  /** Folder the names are relative to (the phase folder, or the `A/` folder's parent). */
  readonly root: string;
  readonly layout: DatasetLayout;
  readonly direction: Direction;
  /** Sample names (paths relative to the image folder, `/`-separated), sorted. */
  readonly names: readonly string[];
  readonly size: number;
  /** Decodes one pair; throws a {@link DatasetError} naming the file if it is unusable. */
  get(index: number): Promise<PairSample>;
  /**
   * Reads every file's header (not its pixels) and returns the problems found: unreadable
   * headers, odd widths, halves of different sizes. Cheap enough to run before training.
   */
  validate(): Promise<DatasetIssue[]>;
}

const DIRECTIONS: readonly Direction[] = ['AtoB', 'BtoA'];
const LAYOUTS: readonly (DatasetLayout | 'auto')[] = ['auto', 'aligned', 'two-folder'];

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Image files under `dir`, recursively (as the reference's `make_dataset`), relative and sorted. */
async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return (
    entries
      .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
      .map((e) =>
        relative(dir, join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
          .split(sep)
          .join('/'),
      )
      // Code-unit order, like Python's sorted(): names do not reorder with the locale.
      .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  );
}

function noImages(dir: string): DatasetError {
  return new DatasetError(
    `No images in "${dir}": expected files ending in ${IMAGE_EXTENSIONS.join(', ')} (searched recursively).`,
  );
}

const stem = (name: string): string => name.slice(0, name.length - extname(name).length);

/**
 * Opens a paired dataset folder (listing only; pixels are read by `get`).
 *
 * @example
 * ```ts
 * const train = await openPairedDataset({ root: 'data/fonts-zi2zi', phase: 'train', inputChannels: 1, outputChannels: 1 });
 * const { a, b, width, height } = await train.get(0); // a: Song glyph, b: brush glyph, 64x64x1 each
 * ```
 */
export async function openPairedDataset(options: OpenDatasetOptions): Promise<PairedDataset> {
  const {
    root: rootOpt,
    phase = 'train',
    layout = 'auto',
    direction = 'AtoB',
    inputChannels = 3,
    outputChannels = 3,
    maxSize = Infinity,
  } = options;
  if (typeof rootOpt !== 'string' || !rootOpt)
    throw new TypeError('Option "root" must be the path of a dataset folder.');
  if (!DIRECTIONS.includes(direction))
    throw new TypeError(
      `Unsupported direction: ${JSON.stringify(direction)}. Should be one of: "AtoB", "BtoA".`,
    );
  if (!LAYOUTS.includes(layout))
    throw new TypeError(
      `Unsupported layout: ${JSON.stringify(layout)}. Should be one of: ${LAYOUTS.map((l) => `"${l}"`).join(', ')}.`,
    );
  for (const [k, v] of [
    ['inputChannels', inputChannels],
    ['outputChannels', outputChannels],
  ] as const) {
    if (v !== 1 && v !== 3)
      throw new RangeError(`Option "${k}" must be 1 or 3, got ${JSON.stringify(v)}.`);
  }
  if (!(maxSize >= 1)) throw new RangeError(`Option "maxSize" must be at least 1, got ${maxSize}.`);
  const root = resolve(rootOpt);
  if (!(await isDir(root)))
    throw new DatasetError(`Dataset folder "${root}" does not exist or is not a folder.`);

  // The left half (A in the file) is the input for AtoB, the target for BtoA.
  const leftChannels = direction === 'AtoB' ? inputChannels : outputChannels;
  const rightChannels = direction === 'AtoB' ? outputChannels : inputChannels;

  const phaseDir = join(root, phase);
  const twoFolderCandidates: [string, string][] = [
    [join(phaseDir, 'A'), join(phaseDir, 'B')],
    [join(root, 'A', phase), join(root, 'B', phase)],
    [join(root, 'A'), join(root, 'B')],
  ];
  if (layout !== 'aligned') {
    for (const [dirA, dirB] of twoFolderCandidates) {
      if ((await isDir(dirA)) && (await isDir(dirB)))
        return openTwoFolder(dirA, dirB, direction, leftChannels, rightChannels, maxSize);
    }
    if (layout === 'two-folder') {
      throw new DatasetError(
        `No A/ and B/ folders for phase "${phase}" in "${root}": expected one of ${twoFolderCandidates.map(([a, b]) => `"${relative(root, a)}" + "${relative(root, b)}"`).join(', ')}.`,
      );
    }
  }
  // The reference reads <dataroot>/<phase>; a folder of A|B images given directly works too.
  const dir = (await isDir(phaseDir)) ? phaseDir : root;
  if (dir === root && (await listImages(root)).length === 0) {
    throw new DatasetError(
      `No dataset for phase "${phase}" in "${root}": expected A|B images in "${phaseDir}", A/ and B/ folders, or A|B images in "${root}" itself.`,
    );
  }
  return openAligned(dir, direction, leftChannels, rightChannels, maxSize);
}

async function openAligned(
  dir: string,
  direction: Direction,
  leftC: 1 | 3,
  rightC: 1 | 3,
  maxSize: number,
): Promise<PairedDataset> {
  const names = (await listImages(dir)).slice(0, maxSize);
  if (names.length === 0) throw noImages(dir);
  const oddWidth = (name: string, w: number, h: number): DatasetError =>
    new DatasetError(
      `"${join(dir, name)}" is ${w}x${h}: an aligned A|B image must have an even width (A is the left half, B the right half of equal size).`,
    );
  return {
    root: dir,
    layout: 'aligned',
    direction,
    names,
    size: names.length,
    async get(index: number): Promise<PairSample> {
      const name = names[checkIndex(index, names.length)];
      const path = join(dir, name);
      // One decode; a gray half of an RGB file is converted from the RGB pixels, as PIL would.
      const decoded = await decodeImage(path, leftC === 3 || rightC === 3 ? 3 : 1);
      const left = withChannels(decoded, leftC);
      const right = withChannels(decoded, rightC);
      if (left.width % 2 !== 0) throw oddWidth(name, left.width, left.height);
      const half = left.width / 2;
      const l = toFloat(cropHalf(left, 0, half));
      const r = toFloat(cropHalf(right, half, half));
      const [a, b] = direction === 'AtoB' ? [l, r] : [r, l];
      return {
        a,
        b,
        width: half,
        height: left.height,
        channelsA: direction === 'AtoB' ? leftC : rightC,
        channelsB: direction === 'AtoB' ? rightC : leftC,
        name,
      };
    },
    async validate(): Promise<DatasetIssue[]> {
      const issues: DatasetIssue[] = [];
      for (const name of names) {
        try {
          const { width, height } = await readImageSize(join(dir, name));
          if (width % 2 !== 0) throw oddWidth(name, width, height);
        } catch (e) {
          if (!(e instanceof DatasetError)) throw e;
          issues.push({ name, error: e });
        }
      }
      return issues;
    },
  };
}

async function openTwoFolder(
  dirA: string,
  dirB: string,
  direction: Direction,
  leftC: 1 | 3,
  rightC: 1 | 3,
  maxSize: number,
): Promise<PairedDataset> {
  const [filesA, filesB] = await Promise.all([listImages(dirA), listImages(dirB)]);
  if (filesA.length === 0) throw noImages(dirA);
  if (filesB.length === 0) throw noImages(dirB);
  // Pairs match by name without extension, so A/x.jpg pairs with B/x.png.
  const byStem = (files: string[], dir: string): Map<string, string> => {
    const m = new Map<string, string>();
    for (const f of files) {
      const s = stem(f);
      const prev = m.get(s);
      if (prev !== undefined)
        throw new DatasetError(
          `"${join(dir, prev)}" and "${join(dir, f)}" have the same name without extension, so their counterpart is ambiguous: rename or remove one.`,
        );
      m.set(s, f);
    }
    return m;
  };
  const stemsA = byStem(filesA, dirA);
  const stemsB = byStem(filesB, dirB);
  const missing = (
    from: Map<string, string>,
    fromDir: string,
    to: Map<string, string>,
    toDir: string,
  ): string[] =>
    [...from]
      .filter(([s]) => !to.has(s))
      .map(([, f]) => `"${join(fromDir, f)}" has no counterpart "${join(toDir, stem(f))}.*"`);
  const unmatched = [
    ...missing(stemsA, dirA, stemsB, dirB),
    ...missing(stemsB, dirB, stemsA, dirA),
  ];
  if (unmatched.length) {
    const shown =
      unmatched.slice(0, 5).join('; ') +
      (unmatched.length > 5 ? `; and ${unmatched.length - 5} more` : '');
    throw new DatasetError(
      `${unmatched.length} file(s) without a counterpart: ${shown}. A/ and B/ must hold files with the same names.`,
    );
  }
  const pairs = [...stemsA]
    .map(([s, fa]) => ({ name: fa, fileA: fa, fileB: stemsB.get(s)! }))
    .slice(0, maxSize);
  const mismatch = (
    fa: string,
    sa: { width: number; height: number },
    fb: string,
    sb: { width: number; height: number },
  ): DatasetError =>
    new DatasetError(
      `"${join(dirA, fa)}" is ${sa.width}x${sa.height} but its counterpart "${join(dirB, fb)}" is ${sb.width}x${sb.height}: the two images of a pair must have the same size.`,
    );
  return {
    root: resolve(dirA, '..'),
    layout: 'two-folder',
    direction,
    names: pairs.map((p) => p.name),
    size: pairs.length,
    async get(index: number): Promise<PairSample> {
      const { name, fileA, fileB } = pairs[checkIndex(index, pairs.length)];
      const [imgA, imgB] = await Promise.all([
        decodeImage(join(dirA, fileA), leftC),
        decodeImage(join(dirB, fileB), rightC),
      ]);
      if (imgA.width !== imgB.width || imgA.height !== imgB.height)
        throw mismatch(fileA, imgA, fileB, imgB);
      const [x, y] = direction === 'AtoB' ? [imgA, imgB] : [imgB, imgA];
      return {
        a: toFloat(x),
        b: toFloat(y),
        width: imgA.width,
        height: imgA.height,
        channelsA: x.channels,
        channelsB: y.channels,
        name,
      };
    },
    async validate(): Promise<DatasetIssue[]> {
      const issues: DatasetIssue[] = [];
      for (const { name, fileA, fileB } of pairs) {
        try {
          const [sa, sb] = await Promise.all([
            readImageSize(join(dirA, fileA)),
            readImageSize(join(dirB, fileB)),
          ]);
          if (sa.width !== sb.width || sa.height !== sb.height)
            throw mismatch(fileA, sa, fileB, sb);
        } catch (e) {
          if (!(e instanceof DatasetError)) throw e;
          issues.push({ name, error: e });
        }
      }
      return issues;
    },
  };
}

function checkIndex(index: number, size: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= size)
    throw new RangeError(`Sample index must be an integer from 0 to ${size - 1}, got ${index}.`);
  return index;
}

function cropHalf(img: DecodedImage, x0: number, width: number): DecodedImage {
  const { height, channels: c } = img;
  const out = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++)
    out.set(
      img.data.subarray((y * img.width + x0) * c, (y * img.width + x0 + width) * c),
      y * width * c,
    );
  return { data: out, width, height, channels: c };
}

const withChannels = (img: DecodedImage, channels: 1 | 3): DecodedImage =>
  img.channels === channels ? img : rgbToGray(img);

/** Where the shipped dataset lives, relative to the package root. */
export const DEFAULT_DATASET_DIR = 'data/fonts-zi2zi';

/**
 * Finds the dataset that ships with pix2pix-ts (`data/fonts-zi2zi`: Noto Serif SC glyphs to
 * Ma Shan Zheng brush glyphs, 64x64 gray, 500 train / 100 test pairs) by walking up from `from`
 * (a folder or a `file:` URL; by default this module's location, which works from `src/`, a bundle
 * in `dist/` and the test bundles alike). Throws a {@link DatasetError} if it is not found.
 *
 * @example
 * ```ts
 * const test = await openPairedDataset({ root: findDefaultDataset(), phase: 'test', inputChannels: 1, outputChannels: 1 });
 * ```
 */
export function findDefaultDataset(from: string = import.meta.url): string {
  let dir = from.startsWith('file:') ? dirname(new URL(from).pathname) : resolve(from);
  for (;;) {
    const candidate = join(dir, DEFAULT_DATASET_DIR);
    if (existsSync(join(candidate, 'train'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new DatasetError(
        `The default dataset "${DEFAULT_DATASET_DIR}" was not found above "${from}": run from a checkout of pix2pix-ts, or pass a dataset folder.`,
      );
    dir = parent;
  }
}
