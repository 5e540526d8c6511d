// Checks the built package (npm test builds dist/ first): the README's example, the CLI binary,
// the exports map and the shipped files, run as a user of the package would.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support/env.js';

const t = suite('the built package');
const dist = (f: string) => join(ROOT, 'dist', f);
const run = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });

t.before(() => {
  if (!existsSync(dist('index.node.js')))
    throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
});

t('ships ESM, Node ESM, the IIFE global, types, the worker, the CLI and the wasm binaries', () => {
  for (const f of [
    'index.js',
    'index.node.js',
    'pix2pix.min.js',
    'index.d.ts',
    'worker.js',
    'worker.node.js',
    'cli.js',
    'bench.js',
    'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm',
    'pix2pix-simd.wasm',
    'pix2pix-simd-shared.wasm',
  ]) {
    assert.ok(existsSync(dist(f)), f);
  }
  assert.match(readFileSync(dist('pix2pix.min.js'), 'utf8').slice(0, 200), /var Pix2Pix=/);
  assert.match(readFileSync(dist('index.d.ts'), 'utf8'), /declare function createPix2Pix/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  // `types` comes before `default` in every condition object of the exports map.
  const check = (o: Record<string, unknown>, where: string): void => {
    const keys = Object.keys(o);
    if (keys.includes('types') && keys.includes('default'))
      assert.ok(keys.indexOf('types') < keys.indexOf('default'), where);
    for (const [k, v] of Object.entries(o))
      if (v && typeof v === 'object') check(v as Record<string, unknown>, `${where}.${k}`);
  };
  check(pkg.exports, 'exports');
  assert.ok(existsSync(dist('index.node.d.ts')));
  assert.match(readFileSync(dist('index.node.d.ts'), 'utf8'), /openPairedDataset/);
  assert.is(pkg.bin['pix2pix-ts'], './dist/cli.js');
});

t('the widget bundles hold no tfjs (the library bundle does: the markers are real)', () => {
  // tfjs-core's engine error and the kernel name of pix2pix's fused Adam survive minification.
  const tfjs = /No backend found in registry|Pix2PixAdam/;
  assert.match(readFileSync(dist('pix2pix.min.js'), 'utf8'), tfjs);
  for (const f of ['widget.js', 'pix2pix-widget.min.js']) {
    const code = readFileSync(dist(f), 'utf8');
    assert.not.match(code, tfjs, f);
    assert.ok(code.length < 200_000, `${f}: ${code.length} bytes`);
  }
});

t('the README quick start runs against the build', () => {
  const r = run([join(ROOT, 'examples/quick-start.mjs')]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^100 70$/m);
  assert.match(r.stdout, /G_L1/);
  assert.match(r.stdout, /exported \d+ bytes of \.pth/);
});

t('the package resolves by its own name through the exports map', () => {
  const r = run([
    '--input-type=module',
    '-e',
    "const m = await import('pix2pix-ts'); console.log(typeof m.createPix2Pix, typeof m.readPth, typeof m.ShapeError, typeof m.openPairedDataset);",
  ]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), 'function function function function');
});

t('the CLI binary lists its commands and verifies a golden folder on wasm', () => {
  const help = run([dist('cli.js'), '--help']);
  assert.is(help.status, 0);
  for (const c of ['train', 'demo', 'translate', 'verify', 'bench', 'convert', 'export-onnx'])
    assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  const v = run([
    dist('cli.js'),
    'verify',
    join(ROOT, 'test/fixtures/golden/unet64_instance'),
    '--backend',
    'wasm',
    '--quiet',
  ]);
  assert.is(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /81 of 81 checks within bounds on wasm/);
});

t('the CLI binary is executable and keeps the tfjs Node banner off stderr', () => {
  assert.ok(statSync(dist('cli.js')).mode & 0o111, 'dist/cli.js has no execute bit');
  // Run as `npx pix2pix-ts` does: the file itself, through its #! line.
  const v = spawnSync(
    dist('cli.js'),
    ['verify', join(ROOT, 'test/fixtures/golden/unet64_instance'), '--backend', 'cpu', '--quiet'],
    { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
  );
  assert.is(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /81 of 81 checks within bounds on cpu/);
  assert.not.match(v.stderr, /TensorFlow\.js in Node/);
});

t.run();
