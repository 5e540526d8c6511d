// Resource limits of the checkpoint readers: each hostile file here is refused (or read) with a
// named error decided before the work, where it used to hang, allocate gigabytes or throw a
// RangeError.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/env.js';
import { readPth, unpickle, preview } from '../../../src/core/pth/index.js';
import { PLAIN_DATA_HOOKS } from '../../../src/core/pth/pickle.js';
import { writeZip } from '../../../src/core/pth/zip-writer.js';
import { CheckpointError, LimitError } from '../../../src/core/errors.js';

const enc = new TextEncoder();
type Part = number | number[] | Uint8Array | string;
/** Concatenates opcodes (numbers), raw bytes and latin-1 text. */
function pk(...parts: Part[]): Uint8Array {
  return pkList(parts);
}
function pkList(parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const b of typeof p === 'string' ? enc.encode(p) : p) out.push(b);
  }
  return new Uint8Array(out);
}
const i32 = (v: number): number[] => [v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
const str = (s: string): Part[] => [0x58, i32(enc.encode(s).length), s];
const int = (v: number): Part[] => [0x4a, i32(v)];
const tuple = (...items: Part[][]): Part[] => [0x28, ...items.flat(), 0x74];

/** A zip checkpoint pickle `{name: tensor}` for each (storage key, numel, offset, shape, stride). */
function tensorPickle(
  tensors: {
    name: string;
    key: string;
    numel: number;
    offset?: number;
    shape: number[];
    stride: number[];
  }[],
): Uint8Array {
  const parts: Part[] = [0x80, 2, 0x7d];
  for (const t of tensors) {
    parts.push(...str(t.name), 0x63, 'torch._utils\n_rebuild_tensor_v2\n', 0x28);
    parts.push(
      ...tuple(
        str('storage'),
        [0x63, 'torch\nFloatStorage\n'],
        str(t.key),
        str('cpu'),
        int(t.numel),
      ),
      0x51,
    );
    parts.push(
      ...int(t.offset ?? 0),
      ...tuple(...t.shape.map(int)),
      ...tuple(...t.stride.map(int)),
      0x89,
      0x74,
      0x52,
      0x73,
    );
  }
  parts.push(0x2e);
  return pk(...parts);
}
const f32 = (n: number): Uint8Array =>
  new Uint8Array(new Float32Array(Array.from({ length: n }, (_, i) => i)).buffer);
const archive = (
  pkl: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  extra: { name: string; data: Uint8Array }[] = [],
): Uint8Array =>
  writeZip([
    { name: 'archive/data.pkl', data: pkl },
    ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
    ...extra,
  ]);

/** Sets a central-directory field of entry `name` (compression at 10, uncompressed size at 24). */
function patchCentral(
  zip: Uint8Array,
  name: string,
  field: { compression?: number; originalSize?: number },
): Uint8Array {
  const out = zip.slice();
  const dv = new DataView(out.buffer);
  for (let p = 0; p + 46 <= out.length; p++) {
    if (dv.getUint32(p, true) !== 0x02014b50) continue;
    const n = dv.getUint16(p + 28, true);
    if (new TextDecoder().decode(out.subarray(p + 46, p + 46 + n)) !== name) continue;
    if (field.compression !== undefined) dv.setUint16(p + 10, field.compression, true);
    if (field.originalSize !== undefined) dv.setUint32(p + 24, field.originalSize, true);
    return out;
  }
  throw new Error(`no central entry ${name}`);
}

function expectError<T extends Error>(
  fn: () => unknown,
  Class: new (...a: never[]) => T,
  code: string,
  message?: RegExp,
): T {
  try {
    fn();
  } catch (e) {
    assert.instance(e, Class, String((e as Error)?.stack ?? e));
    assert.is((e as { code?: string }).code, code, (e as Error).message);
    if (message) assert.match((e as Error).message, message);
    return e as T;
  }
  return assert.unreachable('expected an error') as never;
}

const pickle = suite('unpickler budget');

pickle(
  'a dict keyed by a shared tuple graph of 2^40 nodes fails fast with a bounded message',
  () => {
    // t = 'x'; 40 times t = (t, t); {t: None}: 700 bytes of pickle, 2^40 leaves if printed in full.
    const pkl = pk(
      0x80,
      2,
      0x7d,
      0x8c,
      1,
      'x',
      ...Array.from({ length: 40 }, () => [0x32, 0x86]).flat(),
      0x4e,
      0x73,
      0x2e,
    );
    const e = expectError(() => readPth(archive(pkl)), CheckpointError, 'E_NO_STATE_DICT');
    assert.ok(e.message.length < 600, `message of ${e.message.length} chars`);
    assert.match(e.message, /\(\(\(\(/);
  },
);

pickle('preview renders any value within its budget', () => {
  let t: readonly unknown[] = Object.freeze(['x']);
  for (let i = 0; i < 60; i++) t = Object.freeze([t, t]);
  assert.ok(preview(t as never, 80).length <= 83);
  assert.is(preview(Object.freeze(['a', 1]) as never), "('a', 1)");
  assert.is(preview([1, null, true]), '[1, None, true]');
});

pickle(
  'a LONG4 integer above maxIntBytes is refused before decoding; below it decodes in linear time',
  () => {
    const n = 512 * 1024;
    const long4 = (bytes: number) =>
      pk(0x80, 2, 0x8b, i32(bytes), new Uint8Array(bytes).fill(0xff), 0x2e);
    expectError(
      () => unpickle(long4(n), 0, PLAIN_DATA_HOOKS),
      LimitError,
      'E_LIMIT',
      /maxIntBytes/,
    );
    assert.is(unpickle(long4(n), 0, PLAIN_DATA_HOOKS, { maxIntBytes: n }).value, -1);
  },
);

pickle('one million APPENDS items load (no RangeError); past maxItems they are refused', () => {
  const m = 1_000_000;
  const bytes = pk(0x80, 2, 0x5d, 0x28, new Uint8Array(m).fill(0x4e), 0x65, 0x2e);
  const v = unpickle(bytes, 0, PLAIN_DATA_HOOKS).value as unknown[];
  assert.is(v.length, m);
  expectError(
    () => unpickle(bytes, 0, PLAIN_DATA_HOOKS, { maxItems: 1000 }),
    LimitError,
    'E_LIMIT',
    /maxItems/,
  );
});

pickle(
  'MARKs nested past maxDepth, opcodes past maxOpcodes and memo past maxMemo are refused',
  () => {
    expectError(
      () => unpickle(pk(0x80, 2, new Uint8Array(5000).fill(0x28), 0x4e, 0x2e), 0, PLAIN_DATA_HOOKS),
      LimitError,
      'E_LIMIT',
      /maxDepth/,
    );
    expectError(
      () =>
        unpickle(pk(0x80, 2, new Uint8Array(100).fill(0x4e), 0x2e), 0, PLAIN_DATA_HOOKS, {
          maxOpcodes: 50,
        }),
      LimitError,
      'E_LIMIT',
      /maxOpcodes/,
    );
    expectError(
      () =>
        unpickle(
          pk(0x80, 2, 0x4e, ...Array.from({ length: 20 }, () => 0x94), 0x2e),
          0,
          PLAIN_DATA_HOOKS,
          { maxMemo: 10 },
        ),
      LimitError,
      'E_LIMIT',
      /maxMemo/,
    );
  },
);

pickle('state_dict entries nested 100,000 deep end in a named error', () => {
  // {'state_dict': {'state_dict': ...}}, 100,000 levels, built with SETITEM (no MARK).
  const depth = 100_000;
  const parts: Part[] = [0x80, 2];
  for (let i = 0; i < depth; i++) parts.push(0x7d, 0x8c, 10, 'state_dict');
  parts.push(0x7d);
  for (let i = 0; i < depth; i++) parts.push(0x73);
  parts.push(0x2e);
  expectError(() => readPth(archive(pkList(parts))), CheckpointError, 'E_NO_STATE_DICT', /nest/);
});

pickle.run();

const tensors = suite('tensor limits');

tensors('a negative storage size is a named error, not a RangeError', () => {
  const pkl = tensorPickle([{ name: 'w', key: '0', numel: -5, shape: [2], stride: [1] }]);
  expectError(
    () => readPth(archive(pkl, { 0: f32(2) })),
    CheckpointError,
    'E_BAD_STORAGE',
    /negative/,
  );
});

tensors('a stride-0 view with more elements than its storage is refused before allocation', () => {
  const pkl = tensorPickle([
    { name: 'w', key: '0', numel: 1, shape: [65536, 65536, 65536], stride: [0, 0, 0] },
  ]);
  expectError(
    () => readPth(archive(pkl, { 0: f32(1) })),
    CheckpointError,
    'E_BAD_STORAGE',
    /more elements than its storage|holds 1/,
  );
});

tensors('tensors sharing one storage are views of it, not copies', () => {
  const views = Array.from({ length: 200 }, (_, i) => ({
    name: `w${i}`,
    key: '0',
    numel: 4096,
    offset: 0,
    shape: [64, 64],
    stride: [64, 1],
  }));
  const sd = readPth(archive(tensorPickle(views), { 0: f32(4096) }));
  assert.is(sd.size, 200);
  const buffers = new Set([...sd.values()].map((t) => t.data.buffer));
  assert.is(buffers.size, 1, 'one decoded storage behind all 200 tensors');
  assert.is((sd.get('w7')!.data as Float32Array)[65], 65);
});

tensors('a strided (transposed) view is still copied in C order', () => {
  const sd = readPth(
    archive(tensorPickle([{ name: 't', key: '0', numel: 6, shape: [3, 2], stride: [1, 3] }]), {
      0: f32(6),
    }),
  );
  assert.equal([...(sd.get('t')!.data as Float32Array)], [0, 3, 1, 4, 2, 5]);
});

tensors('the elements of all storages and copies are counted against limits.maxElements', () => {
  const g = new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth')));
  assert.ok(readPth(g).size > 0);
  expectError(
    () => readPth(g, { limits: { maxElements: 1000 } }),
    LimitError,
    'E_LIMIT',
    /maxElements/,
  );
});

tensors.run();

const zip = suite('zip archive limits');

zip('only referenced entries are inflated: a damaged entry nothing refers to is never read', () => {
  const pkl = tensorPickle([{ name: 'w', key: '0', numel: 4, shape: [4], stride: [1] }]);
  const junk = new Uint8Array(4096).fill(0xff);
  const file = patchCentral(
    archive(pkl, { 0: f32(4) }, [{ name: 'archive/data/junk', data: junk }]),
    'archive/data/junk',
    { compression: 8, originalSize: 0x7fffffff },
  );
  const sd = readPth(file);
  assert.equal([...(sd.get('w')!.data as Float32Array)], [0, 1, 2, 3]);
});

zip('an entry declaring more bytes than its storage needs is refused before inflating', () => {
  const pkl = tensorPickle([{ name: 'w', key: '0', numel: 4, shape: [4], stride: [1] }]);
  const file = patchCentral(archive(pkl, { 0: f32(4) }), 'archive/data/0', {
    compression: 8,
    originalSize: 0x7fffffff,
  });
  expectError(() => readPth(file), LimitError, 'E_LIMIT', /declares 2147483647 bytes; at most 16/);
});

zip('entry names that leave the archive are refused', () => {
  for (const bad of ['../evil', 'archive/../../x', '/etc/passwd', 'C:/x', 'a\\b']) {
    const file = writeZip([
      { name: 'archive/data.pkl', data: pk(0x80, 2, 0x7d, 0x2e) },
      { name: bad, data: new Uint8Array(1) },
    ]);
    expectError(() => readPth(file), CheckpointError, 'E_NOT_PTH', /Unsafe zip entry name/);
  }
});

zip('a zip64 record claiming billions of entries is refused at once', () => {
  const file = archive(pk(0x80, 2, 0x7d, 0x2e));
  const dv = new DataView(file.buffer);
  let z = -1;
  for (let p = file.length - 22; p >= 0; p--)
    if (dv.getUint32(p, true) === 0x06064b50) {
      z = p;
      break;
    }
  assert.ok(z > 0, 'the writer emits a zip64 end record');
  dv.setBigUint64(z + 32, 2n ** 32n, true);
  expectError(() => readPth(file), CheckpointError, 'E_TRUNCATED', /claims 4294967296 entries/);
});

zip.run();
