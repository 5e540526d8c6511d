import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  classifyError,
  shortBackend,
  readyStatus,
  statusDetails,
  formatMs,
  ERROR_TITLES,
} from '../../src/web/status.js';
import {
  AbortError,
  BackendError,
  CheckpointError,
  Pix2PixError,
  StateDictMismatchError,
  WorkerError,
  reviveError,
} from '../../src/core/errors.js';
import type { WorkerBackendInfo } from '../../src/workers/protocol.js';

const C = suite('classifyError (the widget tells failures apart by code)');

C('a 404 is "not found" whatever the format of the file', () => {
  const pth = new CheckpointError('/m/G.pth answered HTTP 404', 'E_IO_NOT_FOUND');
  const json = new CheckpointError('/m/model.json answered HTTP 404', 'E_IO_NOT_FOUND');
  assert.is(classifyError(pth), 'not-found');
  assert.is(classifyError(json), 'not-found');
  assert.is(ERROR_TITLES[classifyError(json)!], 'Model not found');
});

C(
  'a state-dict mismatch that came back from a worker is an architecture error, not a format error',
  () => {
    // What the main thread gets: rebuilt from the name and code that crossed postMessage.
    const local = new StateDictMismatchError(
      [],
      [],
      ['model.0.weight: checkpoint [8,1,4,4] vs model [16,1,4,4]'],
    );
    const revived = reviveError({ name: local.name, message: local.message, code: local.code });
    assert.is(classifyError(local), 'architecture');
    assert.is(classifyError(revived), 'architecture');
  },
);

C('other failures map to their kind by code', () => {
  assert.is(classifyError(new CheckpointError('HTTP 500', 'E_IO_READ')), 'network');
  assert.is(classifyError(new CheckpointError('html page', 'E_CHECKPOINT_FORMAT')), 'format');
  assert.is(
    classifyError(new CheckpointError('weights path ../../etc/passwd refused', 'E_UNSAFE_PATH')),
    'format',
  );
  assert.is(classifyError(new BackendError('none')), 'backend');
  assert.is(classifyError(new WorkerError('crashed')), 'worker');
  assert.is(classifyError(new Pix2PixError('no answer', 'E_TIMEOUT')), 'timeout');
  assert.is(classifyError(new RangeError('Attribute "ngf" must be a positive integer')), 'input');
});

C('a cancelled load is no failure, and unknown errors take the fallback', () => {
  assert.is(classifyError(new AbortError()), null);
  assert.is(classifyError(new Error('something else'), 'translate'), 'translate');
  assert.is(classifyError('a string'), 'format');
});

C.run();

const S = suite('the short status line and its details');

const info = (o: Partial<WorkerBackendInfo>): WorkerBackendInfo => ({
  name: 'wasm',
  reason:
    'WASM SIMD with threads (2 XNNPACK threads by default on 2 logical cores); XNNPACK, ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))',
  tried: [],
  threads: 2,
  simd: true,
  software: false,
  capabilities: {} as WorkerBackendInfo['capabilities'],
  worker: { kind: 'web-worker', fallback: null },
  ...o,
});

S('says what runs in a few words', () => {
  assert.is(shortBackend(info({})), 'CPU, 2 threads');
  assert.is(shortBackend(info({ threads: 1 })), 'CPU');
  assert.is(
    shortBackend(info({ name: 'webgl', threads: 1, software: true })),
    'GPU (WebGL, software)',
  );
  assert.is(shortBackend(info({ name: 'webgpu', threads: 1 })), 'GPU (WebGPU)');
  assert.is(shortBackend(info({ name: 'cpu', threads: 1 })), 'CPU (plain JavaScript)');
});

S('reads "Ready · CPU, 2 threads · 46 ms", without the engine\'s reason', () => {
  assert.is(readyStatus(info({}), 46.2), 'Ready · CPU, 2 threads · 46 ms');
  assert.is(readyStatus(info({})), 'Ready · CPU, 2 threads');
  assert.is(formatMs(4.24), '4.2 ms');
  assert.is(formatMs(1340), '1.3 s');
});

S('keeps the full reason, what was tried and timings for the details', () => {
  const lines = statusDetails(info({ tried: [{ name: 'webgl', error: 'software renderer' }] }), {
    loadMs: 820,
    lastMs: 46,
    restarts: 1,
  });
  assert.ok(lines[0].includes('SwiftShader'), lines[0]);
  assert.ok(lines.some((l) => l === 'Tried first: webgl: software renderer'));
  assert.ok(lines.some((l) => /restarted 1 time/.test(l)));
});

S.run();
