import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnxCommand } from '../../src/cli/export-onnx.js';
import { convertCommand } from '../../src/cli/convert.js';
import { readPth, writePth } from '../../src/core/pth/index.js';
import { fixture } from '../support/env.js';

const test = suite('export-onnx command');
const dir = mkdtempSync(join(tmpdir(), 'p2p-onnx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('writes a file onnxruntime-node loads, with a fixed shape when asked', async () => {
  const out = join(dir, 'G.onnx');
  const lines: string[] = [];
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_instance', 'G.pth'), out, '--shape', '1,64,64'], (l) => lines.push(l)), 0);
  assert.match(lines.join('\n'), /numDowns 6, ngf 8, instance norm/);
  const ort = await import('onnxruntime-node');
  const s = await ort.InferenceSession.create(readFileSync(out));
  const y = await s.run({ input: new ort.Tensor('float32', new Float32Array(3 * 64 * 64), [1, 3, 64, 64]) });
  assert.equal(y.output.dims, [1, 3, 64, 64]);
  await s.release();
});

test('exits 2 with a message on a discriminator file, a bad shape or a missing file', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_batch', 'D.pth'), join(dir, 'D.onnx')], log), 2);
  assert.match(lines.pop()!, /not a pix2pix U-Net generator/i);
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_batch', 'G.pth'), join(dir, 'x.onnx'), '--shape', '1,64'], log), 2);
  assert.match(lines.pop()!, /--shape must be three positive integers/);
  assert.is(await exportOnnxCommand([join(dir, 'nope.pth'), join(dir, 'x.onnx')], log), 2);
  assert.match(lines.pop()!, /ENOENT|no such file/);
});
test('reads a DataParallel state dict ("module." keys) and a pix2pix-ts checkpoint (.ckpt)', async () => {
  const sd = readPth(new Uint8Array(readFileSync(fixture('golden', 'unet64_batch', 'G.pth'))));
  const dp = join(dir, 'G_dp.pth');
  writeFileSync(dp, writePth(new Map([...sd].map(([k, v]) => [`module.${k}`, v]))));
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  assert.is(await exportOnnxCommand([dp, join(dir, 'dp.onnx')], log), 0, lines.join('\n'));
  assert.match(lines.pop()!, /numDowns 6, ngf 8, batch norm/);
  const ckpt = join(dir, 'G.ckpt');
  assert.is(await convertCommand([fixture('golden', 'unet64_batch', 'G.pth'), ckpt], log), 0);
  assert.is(await exportOnnxCommand([ckpt, join(dir, 'ckpt.onnx')], log), 0, lines.join('\n'));
  // Same weights, same graph: the files are byte-identical.
  assert.ok(Buffer.compare(readFileSync(join(dir, 'dp.onnx')), readFileSync(join(dir, 'ckpt.onnx'))) === 0);
});

test('refuses a --shape whose height or width is not a multiple of 2^numDowns (E_SHAPE)', async () => {
  const lines: string[] = [];
  const out = join(dir, 'bad.onnx');
  assert.is(await exportOnnxCommand([fixture('golden', 'unet64_batch', 'G.pth'), out, '--shape', '1,250,256'], (l) => lines.push(l)), 2);
  assert.match(lines.pop()!, /error \[E_SHAPE\].*multiples of 2\^numDowns = 64.*1,256,256/);
  assert.not.ok(existsSync(out));
});
test.run();
