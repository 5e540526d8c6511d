import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { fixture } from '../../support/env.js';
import { readPth, writePth } from '../../../src/core/pth/index.js';
import { writeZip } from '../../../src/core/pth/zip-writer.js';
import { CheckpointError, UnsafePickleError } from '../../../src/core/errors.js';
import type { StateDict, StateTensor } from '../../../src/core/state-dict.js';

const load = (...p: string[]): Uint8Array => new Uint8Array(readFileSync(fixture('golden', ...p)));
const hex = (s: string): Uint8Array => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
const enc = new TextEncoder();
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
// pickle.dumps of an object reducing to (os.system, ('echo pwned',)) and to (builtins.eval, ('1+1',)).
const EVIL_SYSTEM = hex(
  '800263706f7369780a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e',
);
const EVIL_EVAL = hex(
  '8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e',
);

function expectCode(fn: () => unknown, code: string, message?: RegExp): CheckpointError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, CheckpointError);
    assert.is((e as CheckpointError).code, code, (e as Error).message);
    if (message) assert.match((e as Error).message, message);
    return e as CheckpointError;
  }
  return assert.unreachable('expected an error') as never;
}

/** Rebuilds a written archive with some records replaced (undefined removes one). */
function patchArchive(zip: Uint8Array, patch: Record<string, Uint8Array | undefined>): Uint8Array {
  const files = unzipSync(zip);
  const records = Object.entries(files)
    .map(([name, data]) => ({ name, data: name in patch ? patch[name] : data }))
    .filter((r): r is { name: string; data: Uint8Array } => r.data !== undefined);
  return writeZip(records);
}

const small: StateDict = new Map<string, StateTensor>([
  ['w', { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }],
]);

const errors = suite('readPth errors');

errors('says a zip checkpoint cut short is truncated', () => {
  const g = load('unet64_batch', 'G.pth');
  expectCode(() => readPth(g.subarray(0, g.length >> 1)), 'E_TRUNCATED', /cut short/);
  expectCode(() => readPth(g.subarray(0, g.length - 30)), 'E_TRUNCATED');
});

errors('says a legacy checkpoint cut short is truncated, in the pickle or in the storages', () => {
  const g = load('unet64_batch', 'G_legacy.pth');
  expectCode(() => readPth(g.subarray(0, 1000)), 'E_TRUNCATED');
  expectCode(
    () => readPth(g.subarray(0, g.length - 100)),
    'E_TRUNCATED',
    /storage "\d+" needs the file to be at least/,
  );
});

errors('says random bytes are not a checkpoint and shows what they start with', () => {
  const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
  bytes[0] = 0x13;
  expectCode(
    () => readPth(bytes),
    'E_NOT_PTH',
    /expected a zip archive .* or a legacy pickle stream .*starts with 13 /,
  );
  expectCode(() => readPth(new Uint8Array(0)), 'E_TRUNCATED', /empty/);
});

errors('recognises a safetensors file and says so', () => {
  const header = enc.encode('{"w":{}}');
  const bytes = concat(new Uint8Array([header.length, 0, 0, 0, 0, 0, 0, 0]), header);
  expectCode(() => readPth(bytes), 'E_NOT_PTH', /safetensors/);
});

errors('says a pickle without the torch.save magic number is not a checkpoint', () => {
  expectCode(() => readPth(hex('80027d71002e')), 'E_NOT_PTH', /magic number/);
});

errors('refuses a zip checkpoint whose pickle names os.system', () => {
  const zip = writeZip([{ name: 'archive/data.pkl', data: EVIL_SYSTEM }]);
  try {
    readPth(zip);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsafePickleError);
    assert.match((e as Error).message, /"posix\.system".*refused for safety/);
  }
});

errors('refuses a legacy checkpoint whose main pickle calls builtins.eval', () => {
  const g = load('unet64_batch', 'G_legacy.pth');
  // The magic number, protocol version and sys_info pickles of the golden file, then the payload.
  let end = 0;
  for (let i = 0; i < 3; i++) end = g.indexOf(0x2e, g.indexOf(0x80, end) + 2) + 1;
  const evil = concat(g.subarray(0, end), EVIL_EVAL);
  try {
    readPth(evil);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UnsafePickleError);
    assert.match((e as Error).message, /"builtins\.eval"/);
  }
});

errors('refuses a zip checkpoint saved big-endian', () => {
  const zip = patchArchive(writePth(small), { 'archive/byteorder': enc.encode('big') });
  expectCode(() => readPth(zip), 'E_BIG_ENDIAN', /big-endian.*only "little" is supported/);
});

errors('refuses a legacy checkpoint saved big-endian', () => {
  const g = load('unet64_batch', 'G_legacy.pth').slice();
  const at =
    new TextDecoder('latin1').decode(g.subarray(0, 200)).indexOf('little_endian') +
    'little_endian'.length +
    2;
  assert.is(g[at], 0x88, 'NEWTRUE after little_endian in the golden sys_info');
  g[at] = 0x89;
  expectCode(() => readPth(g), 'E_BIG_ENDIAN');
});

errors('names the missing storage record', () => {
  const zip = patchArchive(writePth(small), { 'archive/data/0': undefined });
  expectCode(
    () => readPth(zip),
    'E_MISSING_STORAGE',
    /"archive\/data\/0", which is not in the archive/,
  );
});

errors('says a storage record that is too short is bad', () => {
  const zip = patchArchive(writePth(small), { 'archive/data/0': new Uint8Array(20) });
  expectCode(() => readPth(zip), 'E_BAD_STORAGE', /has 20 bytes; expected 24/);
});

errors('says a zip without data.pkl is not a checkpoint', () => {
  expectCode(
    () => readPth(writeZip([{ name: 'stuff/readme.txt', data: enc.encode('hi') }])),
    'E_NOT_PTH',
    /no "stuff\/data\.pkl"/,
  );
});

const views = suite('readPth on views and nested checkpoints');

/** The data.pkl of `small` with its storage offset, size and stride bytes replaced. */
function withGeometry(
  offset: number,
  shape: [number, number],
  stride: [number, number],
): Uint8Array {
  const zip = writePth(small);
  const pkl = unzipSync(zip)['archive/data.pkl'].slice();
  const geometry = [0x51, 0x4b, 0, 0x4b, 2, 0x4b, 3, 0x86, 0x71];
  const at = pkl.findIndex((_, i) => geometry.every((b, j) => pkl[i + j] === b));
  assert.ok(at > 0, 'geometry bytes found');
  pkl[at + 2] = offset;
  pkl[at + 4] = shape[0];
  pkl[at + 6] = shape[1];
  const s = pkl.indexOf(0x86, at + 8) - 4; // the stride tuple: K s0 K s1 TUPLE2
  assert.equal([pkl[s], pkl[s + 1], pkl[s + 2], pkl[s + 3]], [0x4b, 3, 0x4b, 1]);
  pkl[s + 1] = stride[0];
  pkl[s + 3] = stride[1];
  return patchArchive(zip, { 'archive/data.pkl': pkl });
}

views('materialises a transposed view in C order', () => {
  const t = readPth(withGeometry(0, [3, 2], [1, 3])).get('w')!;
  assert.equal(t.shape, [3, 2]);
  assert.equal(Array.from(t.data as Float32Array), [1, 4, 2, 5, 3, 6]);
});

views('materialises a view with a storage offset', () => {
  const t = readPth(withGeometry(1, [2, 2], [3, 1])).get('w')!;
  assert.equal(Array.from(t.data as Float32Array), [2, 3, 5, 6]);
});

views('refuses a view that reaches past its storage', () => {
  expectCode(() => readPth(withGeometry(1, [2, 3], [3, 1])), 'E_BAD_STORAGE', /out of bounds/);
});

views('finds the state dict under "state_dict" in a training checkpoint', () => {
  const zip = writePth(small);
  const inner = unzipSync(zip)['archive/data.pkl'];
  const str = (s: string): Uint8Array =>
    concat(new Uint8Array([0x58, s.length, 0, 0, 0]), enc.encode(s));
  // {'state_dict': <the OrderedDict>, 'epoch': 3}, without memo entries of its own
  const pkl = concat(
    hex('80027d28'),
    str('state_dict'),
    inner.subarray(2, -1),
    str('epoch'),
    hex('4b03752e'),
  );
  const nested = patchArchive(zip, { 'archive/data.pkl': pkl });
  assert.equal(Array.from(readPth(nested).get('w')!.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  assert.is(readPth(nested, { key: 'state_dict' }).size, 1);
  expectCode(
    () => readPth(nested, { key: 'netG' }),
    'E_NO_STATE_DICT',
    /keys are: state_dict, epoch/,
  );
});

views('unwraps a tensor saved as an nn.Parameter (_rebuild_parameter)', () => {
  const zip = writePth(small);
  const pkl = unzipSync(zip)['archive/data.pkl'];
  const key = [0x58, 1, 0, 0, 0, 0x77, 0x71, 2]; // X 'w' BINPUT 2
  const at = pkl.findIndex((_, i) => key.every((b, j) => pkl[i + j] === b)) + key.length;
  assert.equal([pkl[pkl.length - 2], pkl[pkl.length - 1]], [0x73, 0x2e], 'ends with SETITEM STOP');
  // _rebuild_parameter(<tensor>, True, OrderedDict())
  const param = concat(
    pkl.subarray(0, at),
    enc.encode('ctorch._utils\n_rebuild_parameter\n'),
    pkl.subarray(at, -2),
    hex('8868002952875273'),
    hex('2e'),
  );
  const t = readPth(patchArchive(zip, { 'archive/data.pkl': param })).get('w')!;
  assert.equal(t.shape, [2, 3]);
  assert.equal(Array.from(t.data as Float32Array), [1, 2, 3, 4, 5, 6]);
});

errors.run();
views.run();
