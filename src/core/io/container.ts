/**
 * A single-file container for tfjs `io.ModelArtifacts` (weight specs, weight bytes, JSON
 * metadata), with a CRC32 so that a truncated or damaged file is refused with a clear error
 * instead of loading garbage. Layout (little-endian):
 *
 * ```
 * 8 bytes  magic "P2PTSART"
 * u32      container version (1)
 * u32      JSON length J
 * u64      weight data length W (as two u32: low, high)
 * J bytes  UTF-8 JSON: every ModelArtifacts field except weightData
 * W bytes  weight data
 * u32      CRC32 (IEEE) of everything before it
 * ```
 */
import { CheckpointError } from '../errors.js';
import type { tf } from '../tf.js';

type ModelArtifacts = tf.io.ModelArtifacts;

const MAGIC = 'P2PTSART';
const VERSION = 1;
const HEADER = 24;

let table: Uint32Array | undefined;

/**
 * CRC32 (IEEE 802.3, as zlib), incrementally: pass the previous value to continue.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')).toString(16); // 'cbf43926'
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~previous >>> 0;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** Flattens tfjs `WeightData` (one buffer or shards) into one byte view without copying when possible. */
export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/**
 * The container's bytes as a list of parts (header, JSON, weights, CRC), so a writer can stream
 * them without concatenating a checkpoint of hundreds of MB once more.
 *
 * @example
 * ```ts
 * const parts = encodeArtifacts(artifacts); // write them in order
 * ```
 */
export function encodeArtifacts(artifacts: ModelArtifacts): Uint8Array[] {
  const { weightData, getWeightStream: _stream, ...rest } = artifacts;
  const weights = weightBytes(weightData);
  const json = new TextEncoder().encode(JSON.stringify(rest));
  const header = new Uint8Array(HEADER);
  const dv = new DataView(header.buffer);
  for (let i = 0; i < 8; i++) header[i] = MAGIC.charCodeAt(i);
  dv.setUint32(8, VERSION, true);
  dv.setUint32(12, json.length, true);
  dv.setUint32(16, weights.length % 2 ** 32, true);
  dv.setUint32(20, Math.floor(weights.length / 2 ** 32), true);
  let c = crc32(header);
  c = crc32(json, c);
  c = crc32(weights, c);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, c, true);
  return [header, json, weights, tail];
}

/** Whether bytes start with the container's magic. */
export function isArtifactsContainer(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** A short guess of what a file is, for error messages. */
export function sniff(bytes: Uint8Array): string {
  if (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    bytes[2] === 3 &&
    bytes[3] === 4
  )
    return 'a zip file (a PyTorch .pth? load it with loadPth / readPth)';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5)
    return 'a pickle (a legacy PyTorch .pth? load it with loadPth / readPth)';
  if (bytes.length >= 1 && bytes[0] === 0x7b)
    return 'a JSON file (a tfjs model.json? load it through its path or URL ending in .json)';
  if (bytes.length === 0) return 'an empty file';
  return `${bytes.length} bytes starting ${Array.from(bytes.slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * Parses container bytes back into ModelArtifacts, checking magic, version, lengths and CRC.
 *
 * @throws CheckpointError `E_CHECKPOINT_FORMAT` (not a container), `E_CHECKPOINT_TRUNCATED`,
 *   `E_CHECKPOINT_CORRUPT` (CRC or JSON).
 * @example
 * ```ts
 * const artifacts = decodeArtifacts(await readFile('latest.p2p'), 'latest.p2p');
 * ```
 */
export function decodeArtifacts(bytes: Uint8Array, where = 'the checkpoint'): ModelArtifacts {
  if (!isArtifactsContainer(bytes)) {
    throw new CheckpointError(
      `${where} is not a pix2pix-ts checkpoint/weights file (expected the magic "${MAGIC}"; found ${sniff(bytes)}).`,
      'E_CHECKPOINT_FORMAT',
    );
  }
  if (bytes.length < HEADER + 4)
    throw new CheckpointError(
      `${where} is truncated: ${bytes.length} bytes, shorter than the ${HEADER + 4}-byte header and checksum. The save was probably interrupted; use an earlier checkpoint.`,
      'E_CHECKPOINT_TRUNCATED',
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== VERSION)
    throw new CheckpointError(
      `${where} has container version ${version}; this pix2pix-ts reads version ${VERSION}. Use the pix2pix-ts version that wrote it, or a newer one.`,
      'E_CHECKPOINT_VERSION',
    );
  const jsonLen = dv.getUint32(12, true);
  const wLen = dv.getUint32(16, true) + dv.getUint32(20, true) * 2 ** 32;
  const expected = HEADER + jsonLen + wLen + 4;
  if (bytes.length !== expected) {
    throw new CheckpointError(
      `${where} is ${bytes.length < expected ? 'truncated' : 'longer than its header says'}: ${bytes.length} bytes, expected ${expected}. The save was probably interrupted or the file was damaged in transfer; use an earlier checkpoint.`,
      bytes.length < expected ? 'E_CHECKPOINT_TRUNCATED' : 'E_CHECKPOINT_CORRUPT',
    );
  }
  const stored = dv.getUint32(expected - 4, true);
  const actual = crc32(bytes.subarray(0, expected - 4));
  if (stored !== actual) {
    throw new CheckpointError(
      `${where} is corrupt: its CRC32 is ${actual.toString(16)}, the file says ${stored.toString(16)}. Use an earlier checkpoint.`,
      'E_CHECKPOINT_CORRUPT',
    );
  }
  let meta: ModelArtifacts;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER, HEADER + jsonLen)));
  } catch (e) {
    throw new CheckpointError(
      `${where} has unreadable metadata JSON: ${(e as Error).message}.`,
      'E_CHECKPOINT_CORRUPT',
      { cause: e },
    );
  }
  const start = bytes.byteOffset + HEADER + jsonLen;
  meta.weightData = bytes.buffer.slice(start, start + wLen) as ArrayBuffer;
  return meta;
}
