import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { fixture } from '../../support/env.js';
import { readPth, readPthObject, writePth, PyDict } from '../../../src/core/pth/index.js';
import type { StateDict, StateTensor } from '../../../src/core/state-dict.js';
import { ShapeError } from '../../../src/core/errors.js';

const load = (...p: string[]): Uint8Array => new Uint8Array(readFileSync(fixture('golden', ...p)));
const dec = new TextDecoder();

/** Walks the local headers: name, data offset and size of each entry, in file order. */
function localEntries(
  zip: Uint8Array,
): { name: string; dataStart: number; size: number; extra: Uint8Array }[] {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = [];
  let p = 0;
  while (dv.getUint32(p, true) === 0x04034b50) {
    const flags = dv.getUint16(p + 6, true);
    const nameLen = dv.getUint16(p + 26, true);
    const extraLen = dv.getUint16(p + 28, true);
    const name = dec.decode(zip.subarray(p + 30, p + 30 + nameLen));
    const extra = zip.subarray(p + 30 + nameLen, p + 30 + nameLen + extraLen);
    const dataStart = p + 30 + nameLen + extraLen;
    assert.is(flags & 8, 8, 'sizes in a data descriptor');
    // The size is in the data descriptor; find it through the central directory instead.
    const size = unzipSync(zip, { filter: (f) => f.name === name })[name].length;
    out.push({ name, dataStart, size, extra });
    p = dataStart + size + 16;
  }
  return out;
}

function sameTensor(a: StateTensor, b: StateTensor, key: string): void {
  assert.is(b.dtype, a.dtype, `dtype of ${key}`);
  assert.equal(b.shape, a.shape, `shape of ${key}`);
  assert.is(b.data.constructor, a.data.constructor, `array type of ${key}`);
  const bytes = (t: StateTensor): number[] =>
    Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  assert.equal(bytes(b), bytes(a), `bytes of ${key}`);
}

const writer = suite('writePth');

writer('writes the golden checkpoints byte for byte as PyTorch did', () => {
  for (const cfg of ['unet64_batch', 'unet64_instance']) {
    for (const net of ['G', 'D']) {
      const golden = load(cfg, `${net}.pth`);
      const id = dec.decode(unzipSync(golden)[`${net}/.data/serialization_id`]);
      const out = writePth(readPth(golden), {
        archiveName: net,
        container: 'dict',
        serializationId: id,
      });
      assert.is(out.length, golden.length, `${cfg}/${net}.pth length`);
      const first = out.findIndex((b, i) => b !== golden[i]);
      assert.is(first, -1, `${cfg}/${net}.pth first differing byte`);
    }
  }
});

writer('rewrites a read golden checkpoint as a structurally valid archive', () => {
  const sd = readPth(load('unet64_batch', 'G.pth'));
  const out = writePth(sd);
  const entries = localEntries(out);
  const names = entries.map((e) => e.name);
  assert.equal(names, [
    'archive/data.pkl',
    'archive/.format_version',
    'archive/.storage_alignment',
    'archive/byteorder',
    ...[...sd.keys()].map((_, i) => `archive/data/${i}`),
    'archive/version',
    'archive/.data/serialization_id',
  ]);
  for (const e of entries) {
    assert.is(e.dataStart % 64, 0, `alignment of ${e.name}`);
    assert.equal([e.extra[0], e.extra[1]], [0x46, 0x42], `FB extra field of ${e.name}`);
  }
  const files = unzipSync(out);
  assert.is(dec.decode(files['archive/version']), '3\n');
  assert.is(dec.decode(files['archive/byteorder']), 'little');
  assert.is(dec.decode(files['archive/.storage_alignment']), '64');
  const id = dec.decode(files['archive/.data/serialization_id']);
  assert.match(id, /^\d{40}$/);
  const top = readPthObject(out);
  assert.instance(top, PyDict);
  assert.ok((top as PyDict).ordered, 'an OrderedDict by default');
});

writer('derives the serialization id second half from the record CRCs as PyTorch does', () => {
  const golden = load('unet64_batch', 'G.pth');
  const goldenId = dec.decode(unzipSync(golden)['G/.data/serialization_id']);
  const ours = dec.decode(
    unzipSync(writePth(readPth(golden), { archiveName: 'G', container: 'dict' }))[
      'G/.data/serialization_id'
    ],
  );
  assert.is(ours.slice(20), goldenId.slice(20));
  assert.is.not(ours.slice(0, 20), '0'.repeat(20));
});

writer('leaves the serialization id out when asked', () => {
  const files = unzipSync(writePth(new Map(), { serializationId: null }));
  assert.equal(Object.keys(files), [
    'archive/data.pkl',
    'archive/.format_version',
    'archive/.storage_alignment',
    'archive/byteorder',
    'archive/version',
  ]);
  assert.is(readPth(writePth(new Map())).size, 0);
});

writer('round-trips every dtype and shape exactly', () => {
  const sd: StateDict = new Map<string, StateTensor>([
    [
      'f32',
      {
        dtype: 'float32',
        shape: [2, 3],
        data: new Float32Array([1, -2, 3.5, 1e-30, -0, Infinity]),
      },
    ],
    ['f64', { dtype: 'float64', shape: [3], data: new Float64Array([Math.PI, -1e300, 5e-324]) }],
    ['i64', { dtype: 'int64', shape: [], data: new BigInt64Array([-(2n ** 62n) - 3n]) }],
    ['num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([7n]) }],
    [
      'i32',
      { dtype: 'int32', shape: [1, 1, 1, 2], data: new Int32Array([-2147483648, 2147483647]) },
    ],
    ['u8', { dtype: 'uint8', shape: [4], data: new Uint8Array([0, 1, 128, 255]) }],
    ['i8', { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) }],
    ['b', { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) }],
    ['empty', { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) }],
    ['h', { dtype: 'float16', shape: [3], data: new Float32Array([1, -0.099975586, 65504]) }],
    ['bf', { dtype: 'bfloat16', shape: [2], data: new Float32Array([1, 3.140625]) }],
  ]);
  const back = readPth(writePth(sd));
  assert.equal([...back.keys()], [...sd.keys()]);
  for (const [k, t] of sd) sameTensor(t, back.get(k)!, k);
});

writer('round-trips a whole golden state dict exactly', () => {
  const sd = readPth(load('unet64_batch', 'D.pth'));
  const back = readPth(writePth(sd, { archiveName: 'netD' }));
  for (const [k, t] of sd) sameTensor(t, back.get(k)!, k);
});

writer('stores float16 and bfloat16 as Half and BFloat16 storages, rounded', () => {
  const data = new Float32Array([1, 0.1, 1e-7, 70000, -2.5]);
  const out = writePth(
    new Map<string, StateTensor>([
      ['h', { dtype: 'float16', shape: [5], data }],
      ['bf', { dtype: 'bfloat16', shape: [5], data }],
    ]),
  );
  const files = unzipSync(out);
  const pkl = dec.decode(files['archive/data.pkl']);
  assert.match(pkl, /torch\nHalfStorage\n/);
  assert.match(pkl, /torch\nBFloat16Storage\n/);
  assert.equal(Array.from(files['archive/data/0'].subarray(0, 4)), [0x00, 0x3c, 0x66, 0x2e]);
  assert.is(files['archive/data/1'].length, 10);
  const back = readPth(out);
  assert.is(back.get('h')!.dtype, 'float16');
  assert.instance(back.get('h')!.data, Float32Array);
  assert.equal(Array.from(back.get('h')!.data as Float32Array), [
    1,
    0.0999755859375,
    1.1920928955078125e-7,
    Infinity,
    -2.5,
  ]);
  assert.is(back.get('bf')!.dtype, 'bfloat16');
  assert.equal(
    Array.from(back.get('bf')!.data as Float32Array),
    [1, 0.10009765625, 1.0011717677116394e-7, 70144, -2.5],
  );
});

writer('writes int64 num_batches_tracked as a LongStorage', () => {
  const sd = readPth(load('unet64_batch', 'G.pth'));
  const files = unzipSync(writePth(sd));
  const pkl = files['archive/data.pkl'];
  const keys = [...sd.keys()];
  const idx = keys.indexOf('model.model.1.model.2.num_batches_tracked');
  assert.ok(idx >= 0);
  assert.is(files[`archive/data/${idx}`].length, 8);
  assert.match(dec.decode(pkl), /torch\nLongStorage\n/);
});

writer('refuses a tensor whose data does not fit its shape', () => {
  const sd: StateDict = new Map([
    ['w', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }],
  ]);
  assert.throws(
    () => writePth(sd),
    (e: unknown) => e instanceof ShapeError && /"w" has 3 element\(s\)/.test((e as Error).message),
  );
});

writer('refuses an archive name with a slash', () => {
  assert.throws(() => writePth(new Map(), { archiveName: 'a/b' }), TypeError);
});

writer.run();
