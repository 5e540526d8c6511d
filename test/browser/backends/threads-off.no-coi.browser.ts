import * as assert from 'uvu/assert';
import { suite, measure } from '../support/runner.js';
import { tf } from '../../../src/core/tf.js';
import { probeCapabilities, selectBackend } from '../../../src/backends/index.js';

// This page is served without COOP/COEP (the harness's *.no-coi.* rule), as from a plain static host.
const plain = suite('a page that is not cross-origin isolated');

plain('the probe reports threads off and says which headers fix it', async () => {
  const caps = await probeCapabilities();
  measure('crossOriginIsolated', caps.crossOriginIsolated);
  measure('wasm threads reason', caps.wasmThreadsReason);
  assert.is(caps.crossOriginIsolated, false);
  assert.is(caps.wasmThreads, false);
  assert.match(
    caps.wasmThreadsReason ?? '',
    /Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/,
  );
});

plain(
  'wasm runs single-threaded on the SIMD binary and a clear console message says so, once',
  async () => {
    const notices: string[] = [];
    const original = console.info;
    console.info = (...args: unknown[]) => {
      notices.push(args.join(' '));
    };
    try {
      const first = await selectBackend({ purpose: 'infer' });
      await selectBackend({ purpose: 'train' });
      assert.is(first.name, 'wasm');
      assert.is(first.threads, 1);
      assert.is(first.simd, true);
      assert.match(first.reason, /WASM SIMD on one thread \(the page is not cross-origin isolated/);
    } finally {
      console.info = original;
    }
    measure('console notice', notices.join(' | '));
    assert.is(notices.length, 1);
    assert.match(
      notices[0]!,
      /^pix2pix-ts: WebAssembly threads are off: the page is not cross-origin isolated/,
    );
    const binaries = performance
      .getEntriesByType('resource')
      .map((e) => e.name.split('/').pop()!)
      .filter((n) => n.endsWith('.wasm'));
    // tfjs's SIMD binary, and pix2pix-ts's own SIMD kernels on its (unshared) memory.
    assert.equal([...new Set(binaries)].sort(), [
      'pix2pix-simd.wasm',
      'tfjs-backend-wasm-simd.wasm',
    ]);
    assert.is(tf.getBackend(), 'wasm');
  },
);

plain.run();
