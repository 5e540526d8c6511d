import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32, encodeArtifacts, decodeArtifacts } from '../../../src/core/io/index.js';
import { CheckpointError } from '../../../src/core/errors.js';

const c = suite('artifacts container');

c('crc32 matches the IEEE check value and continues incrementally', () => {
  const b = new TextEncoder().encode('123456789');
  assert.is(crc32(b), 0xcbf43926);
  assert.is(crc32(b.subarray(4), crc32(b.subarray(0, 4))), 0xcbf43926);
});

c('round-trips specs, metadata and weight bytes, sharded weightData included', () => {
  const a = {
    format: 'x',
    weightSpecs: [{ name: 'w', shape: [3], dtype: 'float32' as const }],
    weightData: [new Float32Array([1, 2]).buffer, new Float32Array([3]).buffer],
    userDefinedMetadata: { k: { v: 1 } },
  };
  const parts = encodeArtifacts(a);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  const back = decodeArtifacts(bytes);
  assert.equal(back.weightSpecs, a.weightSpecs);
  assert.equal(back.userDefinedMetadata, a.userDefinedMetadata);
  assert.equal(Array.from(new Float32Array(back.weightData as ArrayBuffer)), [1, 2, 3]);
  const extra = new Uint8Array(bytes.length + 1);
  extra.set(bytes);
  assert.throws(
    () => decodeArtifacts(extra),
    (e: Error) => e instanceof CheckpointError && /longer than its header says/.test(e.message),
  );
});

c.run();
