/**
 * A zip writer that lays records out byte for byte as PyTorch's `PyTorchStreamWriter`
 * (caffe2/serialize/inline_container.cc, on miniz) does: stored entries, each data
 * start aligned to 64 bytes by an `FB` extra field of `Z`s in the local header, data
 * descriptors, zero timestamps, and a zip64 end record.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 (IEEE, as zip uses).
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Alignment of record data in PyTorch archives (`kFieldAlignment`).
 *
 * @example
 * ```ts
 * dataOffset % FIELD_ALIGNMENT === 0;
 * ```
 */
export const FIELD_ALIGNMENT = 64;

const MASK64 = (1n << 64n) - 1n;

/**
 * `c10::hash_combine` on uint64 (boost's formula), used for the serialization id.
 *
 * @example
 * ```ts
 * hashCombine(0n, 5n); // 2654435774n
 * ```
 */
export function hashCombine(seed: bigint, value: bigint): bigint {
  return (
    (seed ^ ((value + 0x9e3779b9n + ((seed << 6n) & MASK64) + (seed >> 2n)) & MASK64)) & MASK64
  );
}

/**
 * One record to store: its full path inside the archive and its bytes.
 *
 * @example
 * ```ts
 * const r: ZipRecord = { name: 'archive/byteorder', data: new TextEncoder().encode('little') };
 * ```
 */
export interface ZipRecord {
  name: string;
  data: Uint8Array;
}

/**
 * Size of the `FB` padding extra field for a record whose local header starts at
 * `cursor` (`detail::getPadding`): it makes the data start at a multiple of 64.
 *
 * @example
 * ```ts
 * paddingSize(0, 10); // 24: 30 + 10 + 24 = 64
 * ```
 */
export function paddingSize(cursor: number, nameLength: number): number {
  const start = cursor + 30 + nameLength + 4;
  const mod = start % FIELD_ALIGNMENT;
  return 4 + (mod === 0 ? 0 : FIELD_ALIGNMENT - mod);
}

/**
 * Writes records as a PyTorch-style zip archive.
 *
 * @example
 * ```ts
 * const zip = writeZip([{ name: 'archive/version', data: new TextEncoder().encode('3\n') }]);
 * ```
 */
export function writeZip(records: readonly ZipRecord[]): Uint8Array {
  const enc = new TextEncoder();
  const names = records.map((r) => enc.encode(r.name));
  const crcs = records.map((r) => crc32(r.data));
  let size = 0;
  const offsets: number[] = [];
  for (let i = 0; i < records.length; i++) {
    offsets.push(size);
    size += 30 + names[i].length + paddingSize(size, names[i].length) + records[i].data.length + 16;
  }
  const cdStart = size;
  for (const n of names) size += 46 + n.length;
  const cdSize = size - cdStart;
  size += 56 + 20 + 22;
  // Beyond 4 GiB miniz switches to zip64 local headers; no browser buffer gets there.
  if (cdStart + cdSize > 0xffffffff)
    throw new RangeError(`Archive of ${size} bytes is too large: at most 4 GiB is supported.`);

  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  const u16 = (v: number): void => {
    dv.setUint16(p, v, true);
    p += 2;
  };
  const u32 = (v: number): void => {
    dv.setUint32(p, v, true);
    p += 4;
  };
  const u64 = (v: number): void => {
    dv.setBigUint64(p, BigInt(v), true);
    p += 8;
  };
  const bytes = (b: Uint8Array): void => {
    out.set(b, p);
    p += b.length;
  };

  for (let i = 0; i < records.length; i++) {
    const { data } = records[i];
    const pad = paddingSize(p, names[i].length);
    u32(0x04034b50);
    u16(0); // version needed (miniz writes 0 for stored entries)
    u16(0x0808); // data descriptor follows; UTF-8 names
    u16(0); // stored
    u16(0); // time
    u16(0); // date
    u32(0); // crc, sizes: in the data descriptor
    u32(0);
    u32(0);
    u16(names[i].length);
    u16(pad);
    bytes(names[i]);
    out[p] = 0x46; // 'F'
    out[p + 1] = 0x42; // 'B'
    dv.setUint16(p + 2, pad - 4, true);
    out.fill(0x5a, p + 4, p + pad); // 'Z'
    p += pad;
    bytes(data);
    u32(0x08074b50);
    u32(crcs[i]);
    u32(data.length);
    u32(data.length);
  }
  for (let i = 0; i < records.length; i++) {
    u32(0x02014b50);
    u16(0); // made by
    u16(0); // needed
    u16(0x0808);
    u16(0);
    u16(0);
    u16(0);
    u32(crcs[i]);
    u32(records[i].data.length);
    u32(records[i].data.length);
    u16(names[i].length);
    u16(0); // extra
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(offsets[i]);
    bytes(names[i]);
  }
  const zip64End = p;
  u32(0x06064b50);
  u64(44);
  u16(0x031e); // made by (miniz: unix, 3.0)
  u16(0x002d); // needed: 4.5 (zip64)
  u32(0);
  u32(0);
  u64(records.length);
  u64(records.length);
  u64(cdSize);
  u64(cdStart);
  u32(0x07064b50);
  u32(0);
  u64(zip64End);
  u32(1);
  u32(0x06054b50);
  u16(0);
  u16(0);
  // More than 65535 entries: the zip64 record above holds the count.
  u16(Math.min(records.length, 0xffff));
  u16(Math.min(records.length, 0xffff));
  u32(cdSize);
  u32(cdStart);
  u16(0);
  return out;
}
