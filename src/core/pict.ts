/**
 * The `.pict` weights format of the earlier browser pix2pix demos (affinelayer's
 * pix2pix-tensorflow `server/tools/export-checkpoint.py`, read by its `server/static/index.html`
 * and by ml5.js `pix2pix()`): the generator variables of the TensorFlow port, 8-bit
 * codebook-quantised. Layout: a sequence of chunks, each a big-endian u32 length then the bytes:
 *
 * 1. UTF-8 JSON `[{"name": "generator/encoder_1/conv2d/kernel", "shape": [4, 4, 3, 64]}, ...]`,
 *    names sorted, the order of the values below;
 * 2. the codebook: float32 little-endian values (256 of them);
 * 3. one uint8 code per value, all tensors concatenated (C order, TF layouts).
 *
 * The exporter builds the codebook by mu-law (mu 255) companding the values scaled by their
 * largest magnitude, taking the centres of a 256-bin histogram of the companded values, expanding
 * them back, and coding each value as its nearest codebook entry; {@link writePict} does the same.
 */
import { CheckpointError } from './errors.js';
import { sizeOf } from './state-dict.js';

/** One tensor of a `.pict` file (TF layout: conv kernels `[kh,kw,in,out]`, transposed `[kh,kw,out,in]`). */
export interface PictTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A decoded `.pict` file. */
export interface PictFile {
  tensors: PictTensor[];
  codebook: Float32Array;
}

/**
 * Decodes a `.pict` file.
 *
 * @throws CheckpointError `E_PICT` naming what is malformed.
 * @example
 * ```ts
 * const { tensors } = readPict(new Uint8Array(await (await fetch('edges2cats_AtoB.pict')).arrayBuffer()));
 * ```
 */
export function readPict(bytes: Uint8Array): PictFile {
  const fail = (msg: string) => new CheckpointError(`Not a valid .pict file: ${msg}.`, 'E_PICT');
  const parts: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (o + 4 > bytes.length) throw fail(`truncated chunk header at byte ${o}`);
    const len =
      ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    o += 4;
    if (o + len > bytes.length)
      throw fail(
        `chunk ${parts.length} says ${len} bytes but only ${bytes.length - o} remain (truncated download?)`,
      );
    parts.push(bytes.subarray(o, o + len));
    o += len;
  }
  if (parts.length !== 3)
    throw fail(`expected 3 chunks (shapes JSON, codebook, codes), found ${parts.length}`);
  let shapes: Array<{ name: string; shape: number[] }>;
  try {
    shapes = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(parts[0]));
  } catch (e) {
    throw fail(`the first chunk is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (
    !Array.isArray(shapes) ||
    !shapes.every(
      (s) =>
        s &&
        typeof s.name === 'string' &&
        Array.isArray(s.shape) &&
        s.shape.every((d) => Number.isInteger(d) && d >= 0),
    )
  ) {
    throw fail('the first chunk is not a list of {name, shape}');
  }
  if (parts[1].length % 4 !== 0 || parts[1].length === 0)
    throw fail(`the codebook chunk has ${parts[1].length} bytes, not a positive multiple of 4`);
  const codebook = new Float32Array(parts[1].slice().buffer);
  const codes = parts[2];
  const total = shapes.reduce((n, s) => n + sizeOf(s.shape), 0);
  if (codes.length !== total)
    throw fail(`the shapes need ${total} values but there are ${codes.length} codes`);
  const tensors: PictTensor[] = [];
  let off = 0;
  for (const s of shapes) {
    const n = sizeOf(s.shape);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = codes[off + i];
      if (c >= codebook.length)
        throw fail(`code ${c} of "${s.name}" is outside the ${codebook.length}-entry codebook`);
      data[i] = codebook[c];
    }
    off += n;
    tensors.push({ name: s.name, shape: s.shape.slice(), data });
  }
  return { tensors, codebook };
}

/**
 * The exporter's codebook: mu-law companding, histogram bin centres, expansion (float32).
 *
 * @example
 * ```ts
 * const codebook = pictCodebook(allValues); // 256 entries
 * ```
 */
export function pictCodebook(values: ArrayLike<number>, mu = 255, bins = 256): Float32Array {
  let scale = 0;
  for (let i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]));
  if (scale === 0) return new Float32Array(bins);
  const logMu = Math.log(1 + mu);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const l = (Math.sign(v) * Math.log(1 + (mu * Math.abs(v)) / scale)) / logMu;
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const out = new Float32Array(bins);
  for (let b = 0; b < bins; b++) {
    const p = lo + ((b + 0.5) * (hi - lo)) / bins;
    out[b] = Math.sign(p) * (1 / mu) * ((1 + mu) ** Math.abs(p) - 1) * scale;
  }
  return out;
}

/**
 * Encodes tensors as a `.pict` file the way `export-checkpoint.py` does (names sorted, shared
 * 256-entry codebook, nearest-entry codes; ties to the lower index as numpy's argmin).
 *
 * @example
 * ```ts
 * const bytes = writePict([{ name: 'generator/decoder_1/conv2d_transpose/bias', shape: [3], data }]);
 * ```
 */
export function writePict(tensors: PictTensor[]): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const total = sorted.reduce((n, t) => n + t.data.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const t of sorted) {
    if (t.data.length !== sizeOf(t.shape))
      throw new RangeError(
        `Tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(', ')}].`,
      );
    flat.set(t.data, o);
    o += t.data.length;
  }
  const codebook = pictCodebook(flat);
  const codes = new Uint8Array(total);
  for (let i = 0; i < total; i++) {
    // The codebook is ascending (a monotone map of ascending bin centres): binary search, then
    // pick the nearer neighbour, the lower one on a tie.
    const x = flat[i];
    let a = 0;
    let b = codebook.length - 1;
    while (a < b) {
      const m = (a + b) >> 1;
      if (codebook[m] < x) a = m + 1;
      else b = m;
    }
    if (a > 0 && Math.abs(codebook[a - 1] - x) <= Math.abs(codebook[a] - x)) a--;
    codes[i] = a;
  }
  const json = new TextEncoder().encode(
    JSON.stringify(sorted.map((t) => ({ name: t.name, shape: t.shape }))),
  );
  const chunks = [json, new Uint8Array(codebook.buffer), codes];
  const out = new Uint8Array(chunks.reduce((n, c) => n + 4 + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    new DataView(out.buffer).setUint32(p, c.length, false);
    out.set(c, p + 4);
    p += 4 + c.length;
  }
  return out;
}
