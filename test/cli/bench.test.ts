import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BENCH_HELP } from '../../src/cli/bench.js';
import { NODE_WASM_THREADS_REASON } from '../../src/backends/probe.js';

const t = suite('pix2pix-ts bench --help');

t('says Node wasm runs threads (one count per process), as the backend does', () => {
  assert.not.match(BENCH_HELP, /1 only/);
  assert.match(BENCH_HELP, /one\s+thread count per process/);
  // What the help says must agree with what the wasm backend reports in Node.
  assert.match(NODE_WASM_THREADS_REASON, /thread count is fixed per process/);
});

t.run();
