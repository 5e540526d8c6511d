// `pix2pix-ts translate` on a folder of PNGs with two worker threads, run in-process (npm test does
// not build dist/): this bundle is also the workers' script (run as a worker it starts the host).
import { isMainThread } from 'node:worker_threads';
import { mkdtempSync, mkdirSync, rmSync, existsSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startWorkerHost } from '../../src/workers/host.js';
import { makeTranslateCommand } from '../../src/cli/translate.js';
import { decodeImage } from '../../src/node/image-io.js';
import { createPix2Pix } from '../../src/index.js';
import { ROOT } from '../support/env.js';
import { copyBundleWithWasm } from '../support/bundle-copy.js';
import { torchPython, runReference } from '../support/torch.js';

if (!isMainThread) {
  startWorkerHost();
} else {
  // Inside the repository, so the workers' copy of this bundle resolves sharp from node_modules;
  // a private copy because other test runs may clear .tmp/test.
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.tmp', 'cli-translate-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const self = copyBundleWithWasm(import.meta.url, dir);
  const workerUrl = pathToFileURL(self);

  const sizes: [string, number, number][] = [
    ['a', 40, 30],
    ['b', 64, 64],
    ['c', 33, 17],
    ['d', 50, 70],
  ];
  const input = join(dir, 'in');
  const weights = join(dir, 'G.pth');

  /** Runs the command with stdout lines and stderr text (its own lines and the progress bar's) captured. */
  const translateCommand = makeTranslateCommand({ workerUrl });
  async function run(args: string[]): Promise<{ code: number; out: string[]; err: string }> {
    const out: string[] = [];
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (
      (err += String(chunk)),
      true
    )) as typeof process.stderr.write;
    try {
      return {
        code: await translateCommand.run(args, {
          out: (s) => void out.push(s),
          err: (s) => void (err += `${s}\n`),
        }),
        out,
        err,
      };
    } finally {
      process.stderr.write = write;
    }
  }

  const t = suite('pix2pix-ts translate (2 worker threads)');

  t.before(async () => {
    mkdirSync(input, { recursive: true });
    for (const [name, w, h] of sizes) {
      const px = new Uint8Array(w * h * 3).map((_, i) => (i * 29 + name.charCodeAt(0) * 7) & 255);
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(join(input, `${name}.png`));
    }
    const g = await createPix2Pix({
      generator: { numDowns: 5, ngf: 4 },
      seed: 11,
      backend: 'wasm',
    });
    writeFileSync(weights, await g.exportPth('G'));
    await g.dispose();
  });

  t('writes one PNG per input, same size, pixel-equal to in-thread translation', async () => {
    const out = join(dir, 'out');
    const r = await run([
      input,
      '--out',
      out,
      '--weights',
      weights,
      '--workers',
      '2',
      '--backend',
      'wasm',
      '--quiet',
    ]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out.at(-1)!, /4 of 4 image\(s\) written .* 2 worker\(s\), wasm/);
    const local = await createPix2Pix({ backend: 'wasm', weights });
    try {
      for (const [name, w, h] of sizes) {
        const file = join(out, `${name}.png`);
        assert.ok(existsSync(file), file);
        const meta = await sharp(file).metadata();
        assert.equal([meta.width, meta.height], [w, h]);
        const got = await decodeImage(file, 3);
        const want = await local.translate(await decodeImage(join(input, `${name}.png`), 3));
        const rgb = new Uint8Array(w * h * 3);
        for (let i = 0; i < w * h; i++)
          for (let c = 0; c < 3; c++) rgb[3 * i + c] = want.data[4 * i + c];
        assert.equal(
          Array.from(got.data),
          Array.from(rgb),
          `${name}.png differs from in-thread translation`,
        );
      }
    } finally {
      await local.dispose();
    }
  });

  t('reports an unreadable file by name, writes the others and exits 1', async () => {
    const broken = join(dir, 'in-broken');
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(input, 'a.png'), join(broken, 'a.png'));
    writeFileSync(join(broken, 'broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const out = join(dir, 'out-broken');
    const r = await run([
      broken,
      '--out',
      out,
      '--weights',
      weights,
      '--workers',
      '2',
      '--backend',
      'wasm',
      '--quiet',
    ]);
    assert.is(r.code, 1);
    assert.match(r.err, /error \[E_\w+\]: .*broken\.png: Cannot read image/);
    assert.ok(existsSync(join(out, 'a.png')));
    assert.ok(!existsSync(join(out, 'broken.png')));
    assert.match(r.out.at(-1)!, /1 of 2 image\(s\) written/);
  });

  t(
    'on ort-node writes PNGs equal to in-thread wasm translation (at most 1 level in 255)',
    async () => {
      const out = join(dir, 'out-ort');
      const r = await run([
        input,
        '--out',
        out,
        '--weights',
        weights,
        '--workers',
        '2',
        '--backend',
        'ort-node',
        '--quiet',
      ]);
      assert.is(r.code, 0, r.err);
      assert.match(
        r.out.at(-1)!,
        /4 of 4 image\(s\) written .* 2 worker\(s\), ort-node x \d+ thread\(s\)/,
      );
      const local = await createPix2Pix({ backend: 'wasm', weights });
      try {
        for (const [name, w, h] of sizes) {
          const got = await decodeImage(join(out, `${name}.png`), 3);
          const want = await local.translate(await decodeImage(join(input, `${name}.png`), 3));
          assert.equal([got.width, got.height], [w, h]);
          let worst = 0;
          for (let i = 0; i < w * h; i++)
            for (let c = 0; c < 3; c++)
              worst = Math.max(worst, Math.abs(got.data[3 * i + c] - want.data[4 * i + c]));
          assert.ok(worst <= 1, `${name}.png: ${worst} levels from wasm`);
        }
      } finally {
        await local.dispose();
      }
    },
  );

  t(
    'without onnxruntime-node, auto translates on wasm and says why; naming ort-node exits 2 with the cause',
    async () => {
      process.env.PIX2PIX_TS_ORT_NODE_MODULE = 'pix2pix-ts-no-such-onnxruntime';
      try {
        const auto = await run([
          input,
          '--out',
          join(dir, 'out-auto'),
          '--weights',
          weights,
          '--workers',
          '1',
        ]);
        assert.is(auto.code, 0, auto.err);
        assert.match(auto.err, /backend: wasm \(.*not ort-node: onnxruntime-node is not installed/);
        assert.match(auto.out.at(-1)!, /4 of 4 image\(s\) written .* 1 worker\(s\), wasm/);
        const named = await run([
          input,
          '--out',
          join(dir, 'out-named'),
          '--weights',
          weights,
          '--backend',
          'ort-node',
        ]);
        assert.is(named.code, 2);
        assert.match(
          named.err,
          /error \[E_BACKEND\]: Backend "ort-node" failed to initialise: onnxruntime-node is not installed/,
        );
      } finally {
        delete process.env.PIX2PIX_TS_ORT_NODE_MODULE;
      }
    },
  );

  t('exits 2 with a coded message on stderr for a missing input or bad --workers', async () => {
    const missing = await run([join(dir, 'nope'), '--out', join(dir, 'o')]);
    assert.is(missing.code, 2);
    assert.match(missing.err, /^error \[E_USAGE\]: cannot read ".*nope"/);
    const bad = await run([input, '--out', join(dir, 'o'), '--workers', '0']);
    assert.is(bad.code, 2);
    assert.match(
      bad.err,
      /^error \[E_USAGE\]: --workers must be an integer >= 1 and <= \d+, got "0"/,
    );
    const huge = await run([input, '--out', join(dir, 'o'), '--workers', '1e9']);
    assert.is(huge.code, 2);
    assert.match(
      huge.err,
      /^error \[E_USAGE\]: --workers must be an integer >= 1 and <= \d+, got "1e9"/,
    );
    assert.equal([...missing.out, ...bad.out, ...huge.out], [], 'nothing on stdout');
  });

  t(
    '--out under /proc (a folder that cannot be made) fails at once, coded, on stderr',
    async () => {
      // Node's mkdir(p, { recursive: true }) never returned for /proc/x.
      const r = await run([input, '--out', '/proc/x', '--weights', weights, '--quiet']);
      assert.is(r.code, 2);
      assert.match(r.err, /^error \[E_USAGE\]: --out \/proc\/x is not a folder that can be made/);
      assert.equal(r.out, []);
    },
  );

  t(
    '--key reads the generator from a checkpoint dict ({netG, opt, epoch}, written by PyTorch)',
    async () => {
      const python = torchPython('translate --key on a checkpoint dict written by PyTorch');
      if (!python) return;
      const ckpt = join(dir, 'run.pth');
      runReference(python, ['wrap', weights, ckpt, 'netG']);
      const plain = join(dir, 'out-plain');
      const keyed = join(dir, 'out-key');
      const a = await run([
        join(input, 'b.png'),
        '--out',
        plain,
        '--weights',
        weights,
        '--workers',
        '1',
        '--backend',
        'wasm',
        '--quiet',
      ]);
      assert.is(a.code, 0, a.err);
      const b = await run([
        join(input, 'b.png'),
        '--out',
        keyed,
        '--weights',
        ckpt,
        '--key',
        'netG',
        '--workers',
        '1',
        '--backend',
        'wasm',
        '--quiet',
      ]);
      assert.is(b.code, 0, b.err);
      assert.equal(
        Array.from((await decodeImage(join(keyed, 'b.png'), 3)).data),
        Array.from((await decodeImage(join(plain, 'b.png'), 3)).data),
      );
      const c = await run([
        join(input, 'b.png'),
        '--out',
        keyed,
        '--weights',
        ckpt,
        '--workers',
        '1',
        '--backend',
        'wasm',
        '--quiet',
      ]);
      assert.is(c.code, 2);
      assert.match(c.err, /netG, opt, epoch\. Pass \{ key \}/);
    },
  );

  t.run();
}
