/**
 * Writer of zip-format `.pth` checkpoints, laid out as `torch.save` (PyTorch 2.x)
 * writes them: `data.pkl` (a protocol 2 pickle, memoized as Python's pickler does),
 * `.format_version`, `.storage_alignment`, `byteorder`, `data/0..N-1`, `version`,
 * `.data/serialization_id`.
 */
import { ShapeError } from '../errors.js';
import type { StateDict, StateTensor } from '../state-dict.js';
import { sizeOf } from '../state-dict.js';
import { contiguousStrides, encodeStorage, storageTypeOf } from './storage.js';
import { FIELD_ALIGNMENT, crc32, hashCombine, writeZip, type ZipRecord } from './zip-writer.js';

/** Options of {@link writePth}. */
export interface WritePthOptions {
  /**
   * Root folder inside the archive. `torch.save` uses the file name without extension
   * (`torch.save(sd, 'G.pth')` gives `G/`), or `archive` when saving to a buffer.
   * @defaultValue 'archive'
   */
  archiveName?: string;
  /**
   * Top-level container: `OrderedDict` as `model.state_dict()` is, or a plain `dict`.
   * @defaultValue 'OrderedDict'
   */
  container?: 'OrderedDict' | 'dict';
  /**
   * Content of `.data/serialization_id`, or `null` to leave the record out (PyTorch
   * before 2.1 wrote none). PyTorch writes 20 random digits followed by 20 digits of
   * the combined CRC-32s of the records; by default the first half is derived from the
   * content instead, so equal state dicts give equal bytes.
   * @defaultValue derived from the content
   */
  serializationId?: string | null;
}

/** Builds a protocol 2 pickle with Python's memoization (BINPUT after every memoizable object). */
class PickleWriter {
  private buf = new Uint8Array(4096);
  private len = 0;
  private memo = new Map<string, number>();
  private readonly enc = new TextEncoder();

  private grow(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  op(...b: number[]): void {
    this.grow(b.length);
    for (const x of b) this.buf[this.len++] = x;
  }
  raw(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  /** Memoizes the object just written (`Pickler.memoize`). */
  put(id?: string): void {
    const idx = this.memo.size;
    this.memo.set(id ?? `#${idx}`, idx);
    if (idx < 256) this.op(0x71, idx);
    else {
      this.op(0x72);
      this.u32(idx);
    }
  }
  /** Writes BINGET for an object memoized under `id`, if it was. */
  get(id: string): boolean {
    const idx = this.memo.get(id);
    if (idx === undefined) return false;
    if (idx < 256) this.op(0x68, idx);
    else {
      this.op(0x6a);
      this.u32(idx);
    }
    return true;
  }
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`Cannot pickle ${v} as an integer.`);
    if (v >= 0 && v <= 0xff) this.op(0x4b, v);
    else if (v >= 0 && v <= 0xffff) this.op(0x4d, v & 0xff, v >> 8);
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.op(0x4a);
      this.u32(v >>> 0);
    } else {
      // LONG1: minimal little-endian two's complement, as Python's encode_long.
      const bytes: number[] = [];
      let b = BigInt(v);
      for (;;) {
        bytes.push(Number(b & 0xffn));
        b >>= 8n;
        const sign = bytes[bytes.length - 1] & 0x80;
        if ((b === 0n && !sign) || (b === -1n && sign)) break;
      }
      this.op(0x8a, bytes.length, ...bytes);
    }
  }
  /** A str; `shared` names Python objects that are one object each time (interned literals). */
  str(s: string, shared?: string): void {
    if (shared && this.get(`str:${shared}`)) return;
    const b = this.enc.encode(s);
    this.op(0x58);
    this.u32(b.length);
    this.raw(b);
    this.put(shared ? `str:${shared}` : undefined);
  }
  global(module: string, name: string): void {
    if (this.get(`global:${module}.${name}`)) return;
    this.op(0x63);
    this.raw(this.enc.encode(`${module}\n${name}\n`));
    this.put(`global:${module}.${name}`);
  }
  /** A tuple of ints, as `save_tuple` writes it in protocol 2. */
  intTuple(xs: readonly number[]): void {
    if (xs.length === 0) return this.op(0x29);
    if (xs.length > 3) this.op(0x28);
    for (const x of xs) this.int(x);
    this.op(xs.length > 3 ? 0x74 : [0x85, 0x86, 0x87][xs.length - 1]);
    this.put();
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function checkTensor(key: string, t: StateTensor): void {
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new ShapeError(
      `Tensor "${key}" has an invalid shape [${String(t.shape)}]; expected non-negative integers.`,
    );
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new ShapeError(
      `Tensor "${key}" has ${t.data.length} element(s) but its shape [${t.shape}] needs ${sizeOf(t.shape)}.`,
    );
  }
}

/**
 * Writes a state dict as a zip-format `.pth` that `torch.load` reads: one storage per
 * tensor, C-contiguous, in each tensor's own `dtype` (float16/bfloat16 rounded to
 * nearest even from the widened data; int64 as `LongStorage`).
 *
 * @example
 * ```ts
 * const bytes = writePth(new Map([['w', { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }]]));
 * // in Python: torch.load(io.BytesIO(bytes))['w'] -> tensor([1., 2.])
 * ```
 */
export function writePth(sd: StateDict, options: WritePthOptions = {}): Uint8Array {
  const { archiveName = 'archive', container = 'OrderedDict', serializationId } = options;
  if (typeof archiveName !== 'string' || archiveName === '' || archiveName.includes('/')) {
    throw new TypeError(
      `Invalid archiveName "${String(archiveName)}": expected a non-empty name without "/".`,
    );
  }
  if (container !== 'OrderedDict' && container !== 'dict') {
    throw new TypeError(
      `Invalid container "${String(container)}". Should be one of: "OrderedDict", "dict".`,
    );
  }
  const w = new PickleWriter();
  const storages: Uint8Array[] = [];
  w.op(0x80, 2);
  if (container === 'dict') {
    w.op(0x7d);
    w.put();
  } else {
    w.global('collections', 'OrderedDict');
    w.op(0x29, 0x52);
    w.put();
  }
  const entries = [...sd];
  // Python's _batch_setitems: batches of 1000, a lone item uses SETITEM.
  for (let b = 0; b < entries.length; b += 1000) {
    const batch = entries.slice(b, b + 1000);
    if (batch.length > 1) w.op(0x28);
    for (const [key, t] of batch) {
      checkTensor(key, t);
      const type = storageTypeOf(t.dtype);
      const storageKey = String(storages.length);
      storages.push(encodeStorage(t.data as ArrayLike<number | bigint>, t.dtype));
      w.str(key);
      w.global('torch._utils', '_rebuild_tensor_v2');
      w.op(0x28);
      // persistent id ('storage', <Type>Storage, key, 'cpu', numel)
      w.op(0x28);
      w.str('storage', 'storage');
      w.global('torch', type.name);
      w.str(storageKey);
      w.str('cpu', 'cpu');
      w.int(t.data.length);
      w.op(0x74);
      w.put();
      w.op(0x51); // BINPERSID
      w.int(0); // storage offset
      w.intTuple(t.shape);
      w.intTuple(contiguousStrides(t.shape));
      w.op(0x89); // requires_grad False
      w.global('collections', 'OrderedDict'); // backward hooks: OrderedDict()
      w.op(0x29, 0x52);
      w.put();
      w.op(0x74);
      w.put();
      w.op(0x52);
      w.put();
    }
    w.op(batch.length > 1 ? 0x75 : 0x73);
  }
  w.op(0x2e);

  const enc = new TextEncoder();
  const root = `${archiveName}/`;
  const records: ZipRecord[] = [
    { name: `${root}data.pkl`, data: w.bytes() },
    { name: `${root}.format_version`, data: enc.encode('1') },
    { name: `${root}.storage_alignment`, data: enc.encode(String(FIELD_ALIGNMENT)) },
    { name: `${root}byteorder`, data: enc.encode('little') },
    ...storages.map((data, i) => ({ name: `${root}data/${i}`, data })),
    { name: `${root}version`, data: enc.encode('3\n') },
  ];
  if (serializationId !== null) {
    let id = serializationId;
    if (id === undefined) {
      let combined = 0n;
      let derived = 0xcbf29ce484222325n;
      for (const r of records) {
        const c = BigInt(crc32(r.data));
        combined = hashCombine(combined, c);
        derived = hashCombine(derived, c ^ BigInt(r.data.length));
      }
      id = derived.toString().padStart(20, '0') + combined.toString().padStart(20, '0');
    }
    records.push({ name: `${root}.data/serialization_id`, data: enc.encode(id) });
  }
  return writeZip(records);
}
