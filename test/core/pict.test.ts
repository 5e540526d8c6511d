import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readPict, writePict, pictCodebook } from '../../src/core/pict.js';
import { CheckpointError } from '../../src/core/errors.js';

function chunks(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  let o = 0;
  for (const p of parts) {
    new DataView(out.buffer).setUint32(o, p.length, false);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

const pict = suite('.pict files');

pict(
  'reads a hand-made file: big-endian chunk lengths, shapes JSON, little-endian float32 codebook, one code per value',
  () => {
    const json = new TextEncoder().encode(
      '[{"name": "a", "shape": [2]}, {"name": "b/k", "shape": [1, 2]}]',
    );
    const book = new Uint8Array(new Float32Array([0.5, -1, 2]).buffer);
    const bytes = chunks(json, book, new Uint8Array([0, 1, 2, 0]));
    assert.is(bytes[3], json.length); // big-endian: the low byte is last
    const { tensors, codebook } = readPict(bytes);
    assert.equal(Array.from(codebook), [0.5, -1, 2]);
    assert.equal(
      tensors.map((t) => [t.name, t.shape, Array.from(t.data)]),
      [
        ['a', [2], [0.5, -1]],
        ['b/k', [1, 2], [2, 0.5]],
      ],
    );
  },
);

pict(
  'write then read returns every value within half a codebook step, names sorted as the exporter does',
  () => {
    let s = 1;
    const rnd = () => ((s = (s * 48271) % 2147483647) / 2147483647 - 0.5) * 0.1;
    const tensors = [
      {
        name: 'generator/encoder_2/conv2d/kernel',
        shape: [4, 4, 3, 5],
        data: Float32Array.from({ length: 240 }, rnd),
      },
      {
        name: 'generator/decoder_1/conv2d_transpose/bias',
        shape: [3],
        data: new Float32Array([0, 0.05, -0.02]),
      },
    ];
    const back = readPict(writePict(tensors));
    assert.equal(
      back.tensors.map((t) => t.name),
      ['generator/decoder_1/conv2d_transpose/bias', 'generator/encoder_2/conv2d/kernel'],
    );
    assert.is(back.codebook.length, 256);
    const book = Array.from(back.codebook);
    for (const t of tensors) {
      const got = back.tensors.find((x) => x.name === t.name)!;
      assert.equal(got.shape, t.shape);
      t.data.forEach((v, i) => {
        // The decoded value is the codebook entry nearest to the original.
        const best = book.reduce((b, c) => (Math.abs(c - v) < Math.abs(b - v) ? c : b), book[0]);
        assert.is(Math.abs(got.data[i] - v), Math.abs(best - v), `${t.name}[${i}]`);
      });
    }
    // mu-law puts more entries near zero than at the extremes.
    const cb = pictCodebook(tensors[0].data);
    assert.ok(cb[129] - cb[128] < (cb[255] - cb[254]) / 10);
  },
);

pict('refuses truncated and malformed files with E_PICT and says what is wrong', () => {
  const ok = writePict([{ name: 'x', shape: [3], data: new Float32Array([1, 2, 3]) }]);
  const cases: Array<[Uint8Array, RegExp]> = [
    [ok.subarray(0, ok.length - 1), /chunk 2 says 3 bytes but only 2 remain/],
    [ok.subarray(0, 2), /truncated chunk header/],
    [chunks(new TextEncoder().encode('{oops')), /expected 3 chunks/],
    [
      chunks(new TextEncoder().encode('nope'), new Uint8Array(4), new Uint8Array(1)),
      /not UTF-8 JSON/,
    ],
    [
      chunks(
        new TextEncoder().encode('[{"name":"x","shape":[2]}]'),
        new Uint8Array(4),
        new Uint8Array([0]),
      ),
      /need 2 values but there are 1 codes/,
    ],
    [
      chunks(
        new TextEncoder().encode('[{"name":"x","shape":[1]}]'),
        new Uint8Array(4),
        new Uint8Array([7]),
      ),
      /code 7 of "x" is outside the 1-entry codebook/,
    ],
  ];
  for (const [bytes, msg] of cases) {
    try {
      readPict(bytes);
      assert.unreachable(String(msg));
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as CheckpointError).code, 'E_PICT');
      assert.match((e as Error).message, msg);
    }
  }
});

pict.run();
