import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import sharp from 'sharp';
import { DatasetError, LimitError } from '../../src/core/errors.js';
import { crc32 } from '../../src/core/io/index.js';
import {
  decodeImage,
  encodePng,
  readImageSize,
  rgbToGray,
  toFloat,
} from '../../src/node/image-io.js';

const io = suite('image-io');

const rgbPixels = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50, 0, 0, 0]); // 3x2 RGB

io('decodes PNG, WebP (lossless) and JPEG to RGB HWC bytes', async () => {
  const raw = { raw: { width: 3, height: 2, channels: 3 as const } };
  for (const [fmt, buf, tol] of [
    ['png', await sharp(rgbPixels, raw).png().toBuffer(), 0],
    ['webp', await sharp(rgbPixels, raw).webp({ lossless: true }).toBuffer(), 0],
    [
      'jpeg',
      await sharp(rgbPixels, raw).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer(),
      40,
    ],
  ] as const) {
    const img = await decodeImage(buf, 3);
    assert.equal([img.width, img.height, img.channels, img.data.length], [3, 2, 3, 18], fmt);
    img.data.forEach((v, i) =>
      assert.ok(Math.abs(v - rgbPixels[i]) <= tol, `${fmt} byte ${i}: ${v} vs ${rgbPixels[i]}`),
    );
  }
});

io("one channel is PIL's L (601 luma), alpha is dropped, gray files replicate to RGB", async () => {
  const png = await sharp(rgbPixels, { raw: { width: 3, height: 2, channels: 3 } })
    .png()
    .toBuffer();
  const gray = await decodeImage(png, 1);
  // Pillow 12.3: Image.frombytes('RGB', (3, 2), rgbPixels).convert('L').
  assert.equal(Array.from(gray.data), [76, 150, 29, 18, 124, 0]);
  assert.equal(Array.from(rgbToGray(await decodeImage(png, 3)).data), Array.from(gray.data));
  const rgba = await sharp(Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]), {
    raw: { width: 2, height: 1, channels: 4 },
  })
    .png()
    .toBuffer();
  assert.equal(Array.from((await decodeImage(rgba, 3)).data), [10, 20, 30, 40, 50, 60]);
  const g = await sharp(Buffer.from([0, 128, 255]), { raw: { width: 3, height: 1, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  assert.equal(Array.from((await decodeImage(g, 3)).data), [0, 0, 0, 128, 128, 128, 255, 255, 255]);
  assert.equal(Array.from((await decodeImage(g, 1)).data), [0, 128, 255]);
});

io('16-bit PNGs are reduced to 8 bits', async () => {
  const g16 = await sharp(Buffer.from([0, 128, 255]), { raw: { width: 3, height: 1, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
  assert.is((await sharp(g16).metadata()).depth, 'ushort');
  assert.equal(Array.from((await decodeImage(g16, 1)).data), [0, 128, 255]);
});

io('toFloat maps 0..255 to [-1, 1] and encodePng maps it back', async () => {
  const f = toFloat({ data: Uint8Array.from([0, 127, 128, 255]) });
  assert.equal(
    Array.from(f),
    Array.from(Float32Array.from([-1, 127 / 127.5 - 1, 128 / 127.5 - 1, 1])),
  );
  const png = await encodePng({
    data: Float32Array.from([-1, -0.2, 0.4, 1, 1.5, -3]),
    width: 3,
    height: 2,
    channels: 1,
  });
  assert.is((await sharp(png).metadata()).channels, 1);
  assert.equal(Array.from((await decodeImage(png, 1)).data), [0, 102, 179, 255, 255, 0]);
  try {
    await encodePng({ data: new Float32Array(5), width: 3, height: 2, channels: 1 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, RangeError);
  }
});

io('an unreadable file is a DatasetError naming it and saying why', async () => {
  for (const [label, buf, why] of [
    ['garbage.png', Buffer.from('this is not an image'), /unsupported image format/],
    [
      'truncated.png',
      (
        await sharp(rgbPixels, { raw: { width: 3, height: 2, channels: 3 } })
          .png()
          .toBuffer()
      ).subarray(0, 30),
      /corrupt header|read error/i,
    ],
  ] as const) {
    try {
      await decodeImage(buf, 3, label);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, DatasetError);
      assert.is((e as DatasetError).code, 'E_DATASET');
      assert.match((e as Error).message, `Cannot read image "${label}"`);
      assert.match((e as Error).message, why);
    }
  }
  try {
    await readImageSize('/nonexistent/x.png');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, DatasetError);
    assert.match((e as Error).message, '"/nonexistent/x.png"');
  }
});

io('an image above the pixel budget is refused from its header, before decoding', async () => {
  // A real 8x8 PNG whose IHDR says 16000x8000 (CRC fixed): a few hundred bytes.
  const png = new Uint8Array(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer(),
  );
  const dv = new DataView(png.buffer, png.byteOffset);
  dv.setUint32(16, 16000);
  dv.setUint32(20, 8000);
  dv.setUint32(29, crc32(png.subarray(12, 29)));
  try {
    await decodeImage(png, 3, 'huge.png');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, LimitError, String((e as Error)?.stack ?? e));
    assert.is((e as LimitError).code, 'E_LIMIT');
    assert.match((e as Error).message, /16000x8000 = 128000000 pixels.*maxPixels/);
  }
  const small = new Uint8Array(
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer(),
  );
  assert.is((await decodeImage(small, 3)).width, 8, 'the budget lets ordinary images through');
});

io.run();
