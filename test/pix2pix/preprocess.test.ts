import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng } from '../../src/core/rng.js';
import { ShapeError } from '../../src/core/errors.js';
import {
  applyTransform,
  cropImage,
  flipHorizontal,
  getTransformParams,
  preprocessedSize,
  preprocessPair,
  resizeBicubic,
  resolvePreprocessOptions,
  type HwcImage,
} from '../../src/pix2pix/preprocess.js';

/** An image whose every value encodes its (x, y, channel), so any misplaced pixel shows. */
function coded(width: number, height: number, channels: number, salt = 0): HwcImage {
  const data = new Float32Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919 + salt * 104729) % 2001) / 1000 - 1;
  return { data, width, height, channels };
}
const at = (img: HwcImage, x: number, y: number, c = 0): number =>
  img.data[(y * img.width + x) * img.channels + c];

const resize = suite('resizeBicubic');

// PIL 12.3 `Image.resize(size, Image.BICUBIC)` of this 7x5 'L' image (random.seed(1) values).
const PIL_IN = [
  68, 32, 130, 60, 253, 230, 241, 194, 107, 48, 249, 14, 199, 221, 1, 228, 136, 117, 52, 162, 15,
  11, 13, 4, 195, 110, 216, 14, 113, 224, 253, 119, 176, 118, 112,
];
const PIL_OUT: [number, number, number[]][] = [
  [
    11,
    9,
    [
      60, 39, 32, 117, 105, 45, 196, 255, 236, 236, 244, 113, 81, 50, 89, 110, 117, 161, 194, 220,
      236, 244, 199, 155, 89, 45, 119, 240, 96, 54, 192, 229, 234, 122, 147, 173, 101, 127, 201, 67,
      37, 170, 160, 128, 0, 100, 231, 164, 126, 117, 65, 76, 161, 82, 5, 0, 37, 99, 60, 85, 159,
      104, 108, 198, 86, 0, 19, 20, 19, 13, 78, 192, 143, 138, 212, 105, 8, 79, 115, 162, 179, 168,
      143, 154, 160, 150, 110, 81, 113, 170, 248, 255, 219, 113, 157, 170, 114, 112, 121,
    ],
  ],
  [4, 3, [97, 100, 161, 230, 91, 122, 110, 109, 96, 148, 156, 107]],
  [
    7,
    8,
    [
      59, 27, 136, 46, 255, 232, 242, 127, 56, 93, 141, 157, 220, 243, 190, 114, 49, 249, 9, 197,
      213, 57, 213, 119, 154, 29, 167, 70, 0, 171, 98, 131, 68, 177, 0, 7, 15, 2, 194, 106, 217, 11,
      73, 130, 148, 153, 153, 159, 73, 120, 239, 255, 114, 181, 111, 119,
    ],
  ],
];

resize('matches PIL bicubic (up, down, one axis) to within one level of 255', () => {
  const img: HwcImage = {
    data: Float32Array.from(PIL_IN, (v) => v / 127.5 - 1),
    width: 7,
    height: 5,
    channels: 1,
  };
  for (const [w, h, expected] of PIL_OUT) {
    const out = resizeBicubic(img, w, h);
    assert.is(out.data.length, w * h);
    let worst = 0;
    out.data.forEach((v, i) => {
      worst = Math.max(worst, Math.abs((v + 1) * 127.5 - expected[i]));
    });
    assert.ok(worst <= 1, `${w}x${h}: worst difference ${worst.toFixed(2)} levels`);
  }
});

resize('treats channels independently and keeps a constant image constant', () => {
  const gray: HwcImage = {
    data: Float32Array.from(PIL_IN, (v) => v / 127.5 - 1),
    width: 7,
    height: 5,
    channels: 1,
  };
  const rgb: HwcImage = { data: new Float32Array(7 * 5 * 3), width: 7, height: 5, channels: 3 };
  gray.data.forEach((v, i) => {
    rgb.data[3 * i] = v;
    rgb.data[3 * i + 1] = 0.25;
    rgb.data[3 * i + 2] = -v;
  });
  const g = resizeBicubic(gray, 11, 9);
  const c = resizeBicubic(rgb, 11, 9);
  g.data.forEach((v, i) => {
    assert.ok(Math.abs(c.data[3 * i] - v) < 1e-6);
    assert.ok(Math.abs(c.data[3 * i + 1] - 0.25) < 1e-6);
  });
});

resize('same size returns an equal copy, not the same buffer', () => {
  const img = coded(5, 4, 2);
  const out = resizeBicubic(img, 5, 4);
  assert.equal(Array.from(out.data), Array.from(img.data));
  assert.is.not(out.data, img.data);
});

const geometry = suite('crop and flip');

geometry('crop takes the right window and pads outside with -1', () => {
  const img = coded(6, 5, 2);
  const c = cropImage(img, 2, 1, 3, 3);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let ch = 0; ch < 2; ch++) assert.is(at(c, x, y, ch), at(img, x + 2, y + 1, ch));
  const past = cropImage(img, 4, 3, 4, 4);
  assert.is(at(past, 0, 0, 1), at(img, 4, 3, 1));
  assert.is(at(past, 2, 0), -1);
  assert.is(at(past, 0, 2), -1);
});

geometry('flip mirrors columns, keeps channels together, and is its own inverse', () => {
  const img = coded(5, 3, 3);
  const f = flipHorizontal(img);
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 5; x++)
      for (let ch = 0; ch < 3; ch++) assert.is(at(f, x, y, ch), at(img, 4 - x, y, ch));
  assert.equal(Array.from(flipHorizontal(f).data), Array.from(img.data));
});

const pairs = suite('preprocessPair');

pairs('applies the same crop and flip to A and B (different channel counts)', () => {
  const opts = resolvePreprocessOptions({ preprocess: 'crop', cropSize: 4 });
  const a = coded(10, 8, 3, 1);
  const b = coded(10, 8, 1, 2);
  const rng = new Rng(9);
  let flips = 0;
  for (let k = 0; k < 20; k++) {
    const { a: pa, b: pb, params } = preprocessPair(a, b, opts, rng);
    assert.is(pa.width, 4);
    assert.is(pb.height, 4);
    assert.is(pb.channels, 1);
    assert.ok(params.x >= 0 && params.x <= 6 && params.y >= 0 && params.y <= 4);
    flips += Number(params.flip);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const sx = params.x + (params.flip ? 3 - x : x);
        assert.is(at(pa, x, y, 2), at(a, sx, params.y + y, 2));
        assert.is(at(pb, x, y), at(b, sx, params.y + y));
      }
    }
  }
  assert.ok(flips > 0 && flips < 20, `flipped ${flips} of 20`);
});

pairs('resize_and_crop is resize then crop, and is deterministic for a seed', () => {
  const opts = resolvePreprocessOptions({ loadSize: 12, cropSize: 8 });
  const a = coded(10, 10, 1, 3);
  const b = coded(10, 10, 1, 4);
  const one = preprocessPair(a, b, opts, new Rng(123));
  const two = preprocessPair(a, b, opts, new Rng(123));
  assert.equal(one.params, two.params);
  assert.equal(Array.from(one.a.data), Array.from(two.a.data));
  let expected = cropImage(resizeBicubic(a, 12, 12), one.params.x, one.params.y, 8, 8);
  if (one.params.flip) expected = flipHorizontal(expected);
  assert.equal(Array.from(one.a.data), Array.from(expected.data));
  const other = preprocessPair(a, b, opts, new Rng(124));
  const seen = new Set([JSON.stringify(one.params), JSON.stringify(other.params)]);
  for (let s = 0; s < 10; s++)
    seen.add(JSON.stringify(preprocessPair(a, b, opts, new Rng(s)).params));
  assert.ok(seen.size > 3, 'different seeds give different crops');
});

pairs('a restored RNG state reproduces the same stream of augmentations', () => {
  const opts = resolvePreprocessOptions({ loadSize: 12, cropSize: 8 });
  const a = coded(10, 10, 1);
  const rng = new Rng(5);
  preprocessPair(a, a, opts, rng);
  const saved = rng.getState();
  const expected = [0, 1, 2].map(() => preprocessPair(a, a, opts, rng).params);
  const resumed = new Rng(0);
  resumed.setState(saved);
  assert.equal(
    [0, 1, 2].map(() => preprocessPair(a, a, opts, resumed).params),
    expected,
  );
});

pairs('flip: false never flips, but draws the same number of values', () => {
  const opts = resolvePreprocessOptions({ preprocess: 'crop', cropSize: 2, flip: false });
  const a = coded(4, 4, 1);
  const r1 = new Rng(1);
  const r2 = new Rng(1);
  for (let k = 0; k < 10; k++) {
    const { a: out, params } = preprocessPair(a, a, opts, r1);
    getTransformParams(4, 4, resolvePreprocessOptions({ preprocess: 'crop', cropSize: 2 }), r2);
    assert.equal(Array.from(out.data), Array.from(cropImage(a, params.x, params.y, 2, 2).data));
  }
  assert.equal(r1.getState(), r2.getState());
});

pairs('rejects A and B of different sizes', () => {
  assert.throws(
    () => preprocessPair(coded(4, 4, 1), coded(4, 5, 1), resolvePreprocessOptions(), new Rng(0)),
    (e: Error) => e instanceof ShapeError && /4x4 and 4x5/.test(e.message),
  );
});

const modes = suite('preprocess modes');

modes('output sizes follow the reference for every mode', () => {
  const cases: [Parameters<typeof resolvePreprocessOptions>[0], number, number, number, number][] =
    [
      [{ preprocess: 'resize_and_crop', loadSize: 72, cropSize: 64 }, 50, 30, 64, 64],
      [{ preprocess: 'crop', cropSize: 16 }, 50, 30, 16, 16],
      [{ preprocess: 'scale_width', loadSize: 40, cropSize: 16 }, 50, 30, 40, 24],
      [{ preprocess: 'scale_width', loadSize: 40, cropSize: 32 }, 50, 30, 40, 32], // height raised to cropSize
      [{ preprocess: 'scale_width_and_crop', loadSize: 40, cropSize: 16 }, 50, 30, 16, 16],
      [{ preprocess: 'none' }, 50, 30, 48, 32], // 12.5 -> 12 (half to even), 7.5 -> 8
      [{ preprocess: 'none' }, 54, 26, 56, 24], // 13.5 -> 14, 6.5 -> 6
      [{ preprocess: 'none' }, 48, 32, 48, 32],
    ];
  for (const [o, w, h, ew, eh] of cases) {
    const opts = resolvePreprocessOptions(o);
    const out = applyTransform(coded(w, h, 1), getTransformParams(w, h, opts, new Rng(1)), opts);
    assert.equal([out.width, out.height], [ew, eh], JSON.stringify(o));
    assert.equal(preprocessedSize(w, h, opts), { width: ew, height: eh });
  }
});

modes('scale_width_and_crop draws y over the reference range (loadSize * h // w)', () => {
  const opts = resolvePreprocessOptions({
    preprocess: 'scale_width_and_crop',
    loadSize: 40,
    cropSize: 16,
  });
  const ys = new Set<number>();
  const rng = new Rng(2);
  for (let k = 0; k < 400; k++) ys.add(getTransformParams(50, 30, opts, rng).y);
  assert.equal(Math.max(...ys), 24 - 16);
  assert.is(ys.size, 9);
});

modes('options are validated with messages naming the option', () => {
  assert.throws(
    () => resolvePreprocessOptions({ preprocess: 'zoom' as never }),
    (e: Error) => e instanceof TypeError && /Should be one of: "resize_and_crop"/.test(e.message),
  );
  assert.throws(
    () => resolvePreprocessOptions({ loadSize: 0 }),
    (e: Error) => e instanceof RangeError && /"loadSize"/.test(e.message),
  );
  assert.throws(
    () => resolvePreprocessOptions({ loadSize: 32, cropSize: 64 }),
    (e: Error) =>
      e instanceof RangeError &&
      /"cropSize" \(64\) must not exceed "loadSize" \(32\)/.test(e.message),
  );
});

resize.run();
geometry.run();
pairs.run();
modes.run();
