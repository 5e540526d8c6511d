import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/env.js';

const test = suite('the committed wasm-simd modules');
const FILES = ['pix2pix-simd.wasm', 'pix2pix-simd-shared.wasm'];

test('are what scripts/build-wasm-simd.mjs builds from kernels.c, byte for byte', (ctx) => {
  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  if (clang.error || clang.status !== 0) {
    if (process.env.CI)
      assert.unreachable('clang is required in CI (apt-get install -y clang lld)');
    console.warn('skipped: clang is not installed (apt-get install -y clang lld)');
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'pix2pix-simd-build-'));
  try {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'scripts/build-wasm-simd.mjs'), '--out', out],
      {
        encoding: 'utf8',
      },
    );
    assert.is(r.status, 0, r.stderr);
    for (const f of FILES) {
      const built = readFileSync(join(out, f));
      const committed = readFileSync(join(ROOT, 'src/backends/wasm-simd', f));
      assert.ok(
        built.equals(committed),
        `${f} differs from a fresh build: run npm run build:wasm-simd and commit it`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  void ctx;
});

test("import only a memory (they run on tfjs's) and export the kernels", () => {
  for (const f of FILES) {
    const mod = new WebAssembly.Module(readFileSync(join(ROOT, 'src/backends/wasm-simd', f)));
    assert.equal(
      WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`),
      ['env.memory:memory'],
    );
    const names = WebAssembly.Module.exports(mod).map((e) => e.name);
    for (const k of ['adam', 'conv2d_backprop_filter', 'add_into']) assert.ok(names.includes(k), k);
  }
});

test.run();
