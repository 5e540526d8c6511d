#!/usr/bin/env node
// Builds src/backends/wasm-simd/kernels.c into the two committed modules beside it
// (pix2pix-simd.wasm: plain imported memory; pix2pix-simd-shared.wasm: shared imported memory, for
// tfjs's threaded binary) with clang + lld (Debian: apt-get install -y clang lld), then checks what
// makes them safe to run on tfjs's own memory: no data segments, no globals (so no C stack).
// Usage: node scripts/build-wasm-simd.mjs [--out <dir>]   (npm run build:wasm-simd)
// The output is deterministic: test/backends/wasm-simd/build.test.ts rebuilds into a temporary
// folder and compares bytes with the committed files.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src/backends/wasm-simd/kernels.c');
const outIdx = process.argv.indexOf('--out');
const outDir = outIdx > 0 ? process.argv[outIdx + 1] : join(root, 'src/backends/wasm-simd');
mkdirSync(outDir, { recursive: true });

const CLANG = process.env.CLANG ?? 'clang';
const common = [
  '--target=wasm32',
  '-msimd128',
  '-mbulk-memory',
  '-O3',
  '-ffp-contract=off',
  '-nostdlib',
  '-fno-builtin',
  // Paths must not leak into the output: it is compared byte for byte wherever it is rebuilt.
  '-g0',
  '-Wall',
  '-Werror',
  '-Wl,--no-entry',
  '-Wl,--import-memory',
  '-Wl,--strip-all',
  '-Wl,-z,stack-size=0',
  // lld still defines a __stack_pointer: at 0, any stack use would wrap around and trap instead
  // of writing into tfjs's memory (the check below also finds no instruction that reads it).
  '-Wl,--global-base=0',
];
const variants = [
  { file: 'pix2pix-simd.wasm', flags: [] },
  {
    file: 'pix2pix-simd-shared.wasm',
    flags: ['-matomics', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'],
  },
];

/** The section ids in a wasm module and, for the import section, the memory import's limits flag. */
function sections(bytes) {
  const ids = [];
  let i = 8;
  const leb = () => {
    let r = 0,
      s = 0,
      b;
    do {
      b = bytes[i++];
      r |= (b & 0x7f) << s;
      s += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const len = leb();
    ids.push(id);
    i += len;
  }
  return ids;
}

for (const v of variants) {
  const out = join(outDir, v.file);
  const r = spawnSync(CLANG, [...common, ...v.flags, '-o', out, src], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    console.error(r.error?.message ?? r.stderr);
    console.error(
      `build-wasm-simd: ${CLANG} failed. Install clang and lld (Debian: apt-get install -y clang lld).`,
    );
    process.exit(1);
  }
  const bytes = readFileSync(out);
  const ids = sections(bytes);
  // 11: data; 12: data count.
  const bad = ids.filter((id) => id === 11 || id === 12);
  const dis = spawnSync('llvm-objdump', ['-d', out], { encoding: 'utf8' });
  const stackUse = dis.status === 0 && /global\.(get|set)/.test(dis.stdout);
  if (bad.length || stackUse) {
    console.error(
      `build-wasm-simd: ${v.file} has ${bad.length ? 'data' : 'code that uses the C stack pointer'}: kernels.c must use no static data and no C stack, since the module runs on tfjs's memory.`,
    );
    process.exit(1);
  }
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod);
  if (imports.length !== 1 || imports[0].kind !== 'memory') {
    console.error(
      `build-wasm-simd: ${v.file} imports ${JSON.stringify(imports)}, expected only env.memory.`,
    );
    process.exit(1);
  }
  console.log(
    `${out}: ${bytes.length} bytes, exports ${WebAssembly.Module.exports(mod)
      .map((e) => e.name)
      .join(', ')}`,
  );
}
