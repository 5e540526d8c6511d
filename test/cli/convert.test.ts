import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCommand, CONVERT_HELP } from '../../src/cli/convert.js';
import { readPth } from '../../src/core/pth/index.js';
import { loadCheckpoint } from '../../src/pix2pix/checkpoint.js';
import { fixture } from '../support/env.js';
import { runCommand } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'p2p-convert-'));
const G = fixture('golden', 'unet64_batch', 'G.pth');

const cli = suite('pix2pix-ts convert');
cli.after(() => rmSync(dir, { recursive: true, force: true }));

cli('prints its help with --help and exits 0', async () => {
  const r = await runCommand(convertCommand, ['--help']);
  assert.is(r.code, 0);
  assert.is(r.out.join('\n'), CONVERT_HELP);
  assert.match(CONVERT_HELP, /--to pth\|ours\|web-f32\|web-f16\|web-u8/);
});

cli(
  'converts a .pth to our checkpoint, to web uint8 model.json, and back to a .pth with the same tensors',
  async () => {
    const ours = join(dir, 'g.p2p');
    const r = await runCommand(convertCommand, [G, ours]);
    assert.is(r.code, 0, r.err.join('\n'));
    assert.match(r.out[0], /read pth: U-Net numDowns 6, ngf 8, norm batch/);
    const { model, meta } = await loadCheckpoint(ours);
    assert.is(meta.kind, 'checkpoint');
    model.dispose();
    assert.is(
      (await runCommand(convertCommand, [G, join(dir, 'web', 'model.json'), '--to', 'web-u8']))
        .code,
      0,
    );
    assert.ok(existsSync(join(dir, 'web', 'model.json')));
    const back = join(dir, 'back.pth');
    assert.is((await runCommand(convertCommand, [ours, back])).code, 0);
    const a = readPth(new Uint8Array(readFileSync(G)));
    const b = readPth(new Uint8Array(readFileSync(back)));
    assert.equal([...b.keys()], [...a.keys()]);
    for (const [k, t] of a)
      assert.equal(
        Array.from(b.get(k)!.data as ArrayLike<number | bigint>),
        Array.from(t.data as ArrayLike<number | bigint>),
        k,
      );
  },
);

cli(
  'exits 2 with a coded message on stderr for a bad --to, a missing file, or D from a generator-only file',
  async () => {
    const bad = await runCommand(convertCommand, [G, join(dir, 'x'), '--to', 'onnx']);
    assert.is(bad.code, 2);
    assert.match(
      bad.err[0],
      /^error \[E_USAGE\]: --to must be one of: pth, ours, web-f32, web-f16, web-u8; got "onnx"/,
    );
    const missing = await runCommand(convertCommand, [
      join(dir, 'missing.pth'),
      join(dir, 'x.pth'),
    ]);
    assert.is(missing.code, 2);
    assert.match(missing.err[0], /^error \[E_IO_NOT_FOUND\]: .*missing\.pth/);
    const d = await runCommand(convertCommand, [G, join(dir, 'd.pth'), '--net', 'D']);
    assert.is(d.code, 2);
    assert.match(d.err[0], /holds no discriminator/);
    assert.equal([bad.out, missing.out], [[], []], 'nothing on stdout');
  },
);

cli('refuses a wrong number of arguments and unknown options, pointing at --help', async () => {
  const few = await runCommand(convertCommand, [G]);
  assert.is(few.code, 2);
  assert.match(
    few.err.join('\n'),
    /error \[E_USAGE\]: expected 2 argument\(s\), got 1.*\n.*pix2pix-ts convert --help/,
  );
  const unknown = await runCommand(convertCommand, [G, join(dir, 'y.pth'), '--bogus']);
  assert.is(unknown.code, 2);
  assert.match(unknown.err[0], /error \[E_USAGE\]: .*--bogus/);
});

cli.run();
