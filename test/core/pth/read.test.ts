import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fixture } from '../../support/env.js';
import {
  readPth,
  readPthObject,
  detectPthFormat,
  PyDict,
  PthTensor,
} from '../../../src/core/pth/index.js';
import type { StateDict } from '../../../src/core/state-dict.js';
import { sizeOf } from '../../../src/core/state-dict.js';

const load = (...p: string[]): Uint8Array => new Uint8Array(readFileSync(fixture('golden', ...p)));
const manifest = (
  cfg: string,
): { G_keys: Record<string, number[]>; D_keys: Record<string, number[]> } =>
  JSON.parse(readFileSync(fixture('golden', cfg, 'manifest.json'), 'utf8'));

function checkAgainstManifest(sd: StateDict, keys: Record<string, number[]>): void {
  assert.equal([...sd.keys()], Object.keys(keys), 'keys and their order');
  for (const [k, shape] of Object.entries(keys)) {
    const t = sd.get(k)!;
    assert.equal(t.shape, shape, `shape of ${k}`);
    assert.is(t.data.length, sizeOf(shape), `element count of ${k}`);
    if (k.endsWith('num_batches_tracked')) {
      assert.is(t.dtype, 'int64', `dtype of ${k}`);
      assert.instance(t.data, BigInt64Array);
    } else {
      assert.is(t.dtype, 'float32', `dtype of ${k}`);
      assert.instance(t.data, Float32Array);
    }
  }
}

function assertSameStateDict(a: StateDict, b: StateDict): void {
  assert.equal([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) {
    const u = b.get(k)!;
    assert.is(u.dtype, t.dtype, k);
    assert.equal(u.shape, t.shape, k);
    assert.equal(
      Array.from(u.data as ArrayLike<number>),
      Array.from(t.data as ArrayLike<number>),
      `values of ${k}`,
    );
  }
}

const golden = suite('readPth on the golden checkpoints');

for (const cfg of ['unet64_batch', 'unet64_instance']) {
  golden(`reads ${cfg}/G.pth with every key and shape of the manifest`, () => {
    assert.is(detectPthFormat(load(cfg, 'G.pth')), 'zip');
    checkAgainstManifest(readPth(load(cfg, 'G.pth')), manifest(cfg).G_keys);
  });

  golden(`reads the legacy ${cfg}/G_legacy.pth with every key and shape of the manifest`, () => {
    assert.is(detectPthFormat(load(cfg, 'G_legacy.pth')), 'legacy');
    checkAgainstManifest(readPth(load(cfg, 'G_legacy.pth')), manifest(cfg).G_keys);
  });

  golden(`loads a legacy checkpoint with the same values as the zip one (${cfg})`, () => {
    assertSameStateDict(readPth(load(cfg, 'G.pth')), readPth(load(cfg, 'G_legacy.pth')));
  });

  golden(`reads ${cfg}/D.pth with every key and shape of the manifest`, () => {
    checkAgainstManifest(readPth(load(cfg, 'D.pth')), manifest(cfg).D_keys);
  });
}

golden('reads num_batches_tracked as an int64 scalar', () => {
  const t = readPth(load('unet64_batch', 'G.pth')).get(
    'model.model.1.model.2.num_batches_tracked',
  )!;
  assert.equal(t.shape, []);
  assert.is(t.data.length, 1);
  assert.is(typeof t.data[0], 'bigint');
});

golden('decodes storage bytes to the floats Python reads from them', () => {
  // Reference values: struct.unpack('<f', ...) on D/data/0 of D.pth, read with Python's zipfile.
  const w = readPth(load('unet64_batch', 'D.pth')).get('model.0.weight')!.data as Float32Array;
  assert.is(w.length, 768);
  assert.equal(
    Array.from(w.subarray(0, 3)),
    [-0.017186831682920456, 0.011397944763302803, 0.030850540846586227],
  );
  assert.is(w[767], -0.017729448154568672);
});

golden('exposes the unpickled object with tensors as PthTensor', () => {
  const obj = readPthObject(load('unet64_batch', 'D.pth'));
  assert.instance(obj, PyDict);
  const t = (obj as PyDict).get('model.0.weight');
  assert.instance(t, PthTensor);
  assert.equal((t as PthTensor).stride, [96, 16, 4, 1]);
});

golden.run();
