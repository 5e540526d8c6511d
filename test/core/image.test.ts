import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  toFloatImage,
  padToMultiple,
  cropTopLeft,
  toRGBA8,
  toPaddedPlanar,
  planarToFloatImage,
  planarToRGBA8,
  type FloatImage,
  type PixelImage,
} from '../../src/core/image.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function pixels(width: number, height: number, c: number, seed: number, float = false): PixelImage {
  const r = lcg(seed);
  const n = width * height * c;
  const data = float ? new Float32Array(n) : new Uint8ClampedArray(n);
  for (let i = 0; i < n; i++) data[i] = float ? r() * 2 - 1 : Math.floor(r() * 256);
  return { data, width, height, channels: c };
}

/** Interleaved (HWC) -> planar (CHW), the plain way. */
function transpose(img: FloatImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * img.channels);
  for (let k = 0; k < img.channels; k++)
    for (let p = 0; p < n; p++) out[k * n + p] = img.data[p * img.channels + k];
  return out;
}

function caught(f: () => unknown): { name: string; message: string } | null {
  try {
    f();
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
}

const planar = suite('planar conversions for NCHW engines');

// Sizes: exact multiples, odd sizes padded past one reflection, a 1-pixel row (reflect to itself).
const sizes: [number, number, number][] = [
  [16, 16, 16],
  [13, 7, 8],
  [5, 3, 16],
  [1, 9, 4],
];

planar('converts and pads exactly as toFloatImage, padToMultiple and a transpose', () => {
  let seed = 1;
  for (const [w, h, m] of sizes)
    for (const float of [false, true])
      for (const c of [1, 2, 3, 4])
        // As many channels as the image too: RGBA into a 4-input-channel model keeps alpha.
        for (const channels of new Set([1, 3, c])) {
          const img = pixels(w, h, c, seed++, float);
          const want = padToMultiple(toFloatImage(img, channels), m);
          const got = toPaddedPlanar(img, channels, m);
          const what = `${w}x${h} m ${m} ${float ? 'float' : 'u8'} ${c} -> ${channels}`;
          assert.equal([got.width, got.height, got.channels], [want.width, want.height, channels]);
          assert.equal(got.data, transpose(want), what);
        }
});

planar('crops and interleaves exactly as a transpose and cropTopLeft', () => {
  for (const [w, h, m] of sizes)
    for (const c of [1, 2, 3]) {
      const full = toFloatImage(pixels(Math.ceil(w / m) * m, Math.ceil(h / m) * m, c, 9, true), c);
      const y = { data: transpose(full), width: full.width, height: full.height, channels: c };
      assert.equal(planarToFloatImage(y, w, h), cropTopLeft(full, w, h), `${w}x${h} ${c}`);
    }
});

planar('gives the 8-bit levels of toRGBA8 after the crop, out-of-range values clamped', () => {
  for (const [w, h, m] of sizes)
    for (const c of [1, 2, 3, 4]) {
      const full = toFloatImage(pixels(Math.ceil(w / m) * m, Math.ceil(h / m) * m, c, 5, true), c);
      // Values past [-1, 1] and exact half levels: (v + 1) * 127.5 = 0.5, 127.5, 254.5.
      full.data.set([1.5, -3, 0, 1 / 255 - 1, 253 / 255, 0.9999], 0);
      const y = { data: transpose(full), width: full.width, height: full.height, channels: c };
      const want = toRGBA8(cropTopLeft(full, w, h));
      assert.equal(planarToRGBA8(y, w, h), want, `${w}x${h} ${c}`);
    }
});

planar('rejects what toFloatImage rejects, with the same error', () => {
  const nan = pixels(4, 4, 3, 2, true);
  (nan.data as Float32Array)[5] = NaN;
  const bad: [PixelImage, number][] = [
    [nan, 3],
    [pixels(4, 4, 3, 2), 2],
    [{ data: new Uint8Array(10), width: 4, height: 4 }, 3],
    [{ data: new Uint8Array(0), width: 0, height: 4 }, 3],
  ];
  for (const [img, channels] of bad) {
    const want = caught(() => toFloatImage(img, channels));
    assert.ok(want, 'toFloatImage throws');
    assert.equal(
      caught(() => toPaddedPlanar(img, channels, 4)),
      want,
    );
  }
});

const rgba = suite('toRGBA8');

rgba('repeats gray and takes G and B from the second of two channels', () => {
  const data = new Float32Array([-1, 1, 0, 0.5]);
  assert.equal(
    [...toRGBA8({ data, width: 2, height: 2, channels: 1 }).data],
    [0, 0, 0, 255, 255, 255, 255, 255, 128, 128, 128, 255, 191, 191, 191, 255],
  );
  assert.equal(
    [...toRGBA8({ data, width: 2, height: 1, channels: 2 }).data],
    [0, 255, 255, 255, 128, 191, 191, 255],
  );
});

planar.run();
rgba.run();
