#!/usr/bin/env node
// Test runner: bundles each test/**/*.test.ts with esbuild (so the whole graph, tfjs included, is
// one ESM world: tfjs-core's ESM dist cannot be loaded by Node's own loader and its CJS bundle
// registers no gradients), then runs every bundle in its own Node process, two at a time.
// Then the browser tests (test/browser/**/*.browser.ts) run in headless Chromium through
// test/browser/harness.mjs; their results count in the final line. Without Chromium they are
// skipped loudly, except under CI, where that fails.
// Usage: node scripts/test.mjs [filter-substring ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { bundleForNode, copyWasmBinaries } from './lib/node-bundle.mjs';
import { join, relative } from 'node:path';
import { cpus } from 'node:os';
import { runBrowserTests, listBrowserTests } from '../test/browser/harness.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const walk = (d) =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? (f === 'fixtures' ? [] : walk(p)) : [p];
  });
const files = walk(join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => !filters.length || filters.some((s) => f.includes(s)))
  .sort();
const browserFiles = listBrowserTests(root, filters);
if (!files.length && !browserFiles.length) {
  console.error('no test files matched', filters);
  process.exit(1);
}

// One folder per run: several engineers (and CI) run tests in one working tree at once, and a
// shared folder would be wiped under a running test by the next run's clean-up.
const outdir = join(root, '.tmp', 'test', `run-${process.pid}`);
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
if (files.length) {
  await bundleForNode({
    entryPoints: files,
    outbase: join(root, 'test'),
    outdir,
    outExtension: { '.js': '.mjs' },
    sourcemap: 'inline',
    define: { 'import.meta.env.TEST_ROOT': JSON.stringify(root) },
  });
  // The wasm binaries sit next to each bundle, as they do next to dist/ in the package.
  copyWasmBinaries(
    ...new Set(files.map((f) => join(outdir, relative(join(root, 'test'), f), '..'))),
  );
}
const jobs = files.map((f) => ({
  src: relative(root, f),
  out: join(outdir, relative(join(root, 'test'), f)).replace(/\.ts$/, '.mjs'),
}));
const parallel = Math.max(1, Math.min(2, cpus().length));
let passed = 0,
  failed = 0,
  skipped = 0;
const failures = [];
async function runOne(job) {
  const t0 = Date.now();
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--require', join(root, 'scripts/lib/exit-report.cjs'), job.out],
    { cwd: root, env: { ...process.env, PIX2PIX_ROOT: root } },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('close', r));
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ ... m) from the output
  const clean = out.replace(/\u001b\[[0-9;]*m/g, '');
  const m = clean.match(/Passed:\s+(\d+)/);
  const t = clean.match(/Total:\s+(\d+)/);
  const nPass = m ? +m[1] : 0;
  const nTotal = t ? +t[1] : 0;
  passed += nPass;
  failed += Math.max(0, nTotal - nPass);
  if (code !== 0 && nTotal === nPass) failed += 1; // crashed outside a test
  const ok = code === 0;
  if (!ok) failures.push(job.src);
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${job.src} (${nPass}/${nTotal}, ${secs}s)\n`);
  const lines = clean.split('\n').filter((l) => /^\s*(#|\[)/.test(l) || !ok);
  const important = clean
    .split('\n')
    .map((l) => l.match(/(?:^|\s)(# .*)$/)?.[1])
    .filter(Boolean);
  if (important.length) process.stdout.write(important.map((l) => '    ' + l).join('\n') + '\n');
  if (!ok) process.stdout.write(lines.join('\n') + '\n');
}
const queue = [...jobs];
await Promise.all(
  Array.from({ length: parallel }, async () => {
    while (queue.length) await runOne(queue.shift());
  }),
);

if (browserFiles.length) {
  console.log('');
  const browser = await runBrowserTests({ root, filters });
  passed += browser.passed;
  failed += browser.failed;
  failures.push(...browser.failures);
  skipped += browser.skippedFiles ?? 0;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
if (failures.length) console.log('failed files:\n  ' + failures.join('\n  '));
// Exit explicitly: a handle left by the browser driver (playwright's pipes to Chromium) can keep
// the event loop alive after every test has finished, and CI must not hang on it.
process.exit(failures.length ? 1 : 0);
