import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BackendError } from '../../src/core/errors.js';
import { planBackends, probeCapabilities, selectBackend } from '../../src/backends/index.js';
import { createPix2Pix } from '../../src/index.js';
import { fixture } from '../support/env.js';

/** Runs `fn` with onnxruntime-node replaced by `specifier` (as a missing or broken install). */
async function withOrtModule<T>(specifier: string, fn: () => Promise<T>): Promise<T> {
  process.env.PIX2PIX_TS_ORT_NODE_MODULE = specifier;
  try {
    return await fn();
  } finally {
    delete process.env.PIX2PIX_TS_ORT_NODE_MODULE;
  }
}

const small = { generator: { numDowns: 5, ngf: 4 } } as const;

const sel = suite('ort-node selection');

sel(
  'auto prefers onnxruntime-node for inference in Node, with a tfjs backend under it',
  async () => {
    const info = await selectBackend({ purpose: 'infer', threads: 1 });
    assert.is(info.name, 'ort-node');
    assert.match(
      info.reason,
      /^inference: onnxruntime-node 1\.\d+\.\d+ CPU execution provider \(native\), 1 intra-op thread; weights, training and paper mode on tfjs/,
    );
    assert.is(info.threads, 1);
    assert.ok(info.tfjs, 'tfjs backend under the engine');
    assert.is(info.tfjs!.name, 'wasm');
  },
);

sel('intra-op threads default to one per logical core', async () => {
  const info = await selectBackend({ backend: ['ort-node', 'cpu'] });
  assert.is(info.threads, availableParallelism());
  assert.is(info.tfjs!.name, 'cpu', 'the rest of the list is the tfjs backend under it');
});

sel('training never runs on the engine: auto skips it and naming it says why', async () => {
  const caps = await probeCapabilities({ nodeWebGPU: false });
  assert.not.ok(planBackends(caps, 'train').some((p) => p.name === 'ort-node'));
  try {
    await selectBackend({ backend: 'ort-node', purpose: 'train' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    assert.match((e as Error).message, /Backend "ort-node" is not available here: cannot train/);
  }
});

sel(
  'a missing onnxruntime-node is a fallback to wasm, and the reason says it is not installed and how to install it',
  async () => {
    const info = await withOrtModule('pix2pix-ts-no-such-onnxruntime', () =>
      selectBackend({ purpose: 'infer', threads: 1 }),
    );
    assert.is(info.name, 'wasm');
    assert.match(
      info.reason,
      /not ort-node: onnxruntime-node is not installed \(Cannot find package 'pix2pix-ts-no-such-onnxruntime'.*\); install it with "npm i onnxruntime-node"/,
    );
    assert.ok(info.tried.some((t) => t.name === 'ort-node'));
  },
);

sel(
  'a broken onnxruntime-node (its binding fails to load) is a fallback with the cause',
  async () => {
    const url = pathToFileURL(fixture('ort-broken', 'binding-fails.mjs')).href;
    const info = await withOrtModule(url, () => selectBackend({ purpose: 'infer', threads: 1 }));
    assert.is(info.name, 'wasm');
    assert.match(
      info.reason,
      /not ort-node: onnxruntime-node failed to load \(libonnxruntime\.so\.1: cannot open shared object file: No such file or directory \(simulated\)\)/,
    );
  },
);

sel('naming a broken ort-node rejects with a BackendError that keeps the cause', async () => {
  const url = pathToFileURL(fixture('ort-broken', 'binding-fails.mjs')).href;
  try {
    await withOrtModule(url, () => selectBackend({ backend: 'ort-node' }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    assert.match(
      (e as Error).message,
      /Backend "ort-node" failed to initialise: onnxruntime-node failed to load \(libonnxruntime/,
    );
    const agg = (e as Error).cause as AggregateError;
    assert.match(String((agg.errors[0] as Error).cause), /simulated/);
  }
});

const create = suite('createPix2Pix on ort-node');

create(
  'a runtime that loads but cannot create a session falls back to the tfjs backend, with the cause',
  async () => {
    const url = pathToFileURL(fixture('ort-broken', 'session-fails.mjs')).href;
    const p2p = await withOrtModule(url, () => createPix2Pix({ ...small, threads: 1 }));
    try {
      assert.is(p2p.backendInfo.name, 'wasm');
      assert.match(
        p2p.backendInfo.reason,
        /not ort-node: its session could not be created \(Illegal instruction in the CPU execution provider \(simulated\)\)/,
      );
      assert.ok(p2p.backendInfo.tried.some((t) => t.name === 'ort-node'));
      const out = await p2p.translate({
        data: new Uint8ClampedArray(40 * 40 * 4).fill(128),
        width: 40,
        height: 40,
      });
      assert.is(out.data.length, 40 * 40 * 4);
    } finally {
      await p2p.dispose();
    }
  },
);

create('a missing onnxruntime-node still gives a working model on wasm', async () => {
  const p2p = await withOrtModule('pix2pix-ts-no-such-onnxruntime', () =>
    createPix2Pix({ ...small, threads: 1 }),
  );
  try {
    assert.is(p2p.backendInfo.name, 'wasm');
    assert.match(p2p.backendInfo.reason, /onnxruntime-node is not installed/);
    const out = await p2p.translate({
      data: new Uint8ClampedArray(40 * 40 * 4).fill(128),
      width: 40,
      height: 40,
    });
    assert.is(out.width, 40);
  } finally {
    await p2p.dispose();
  }
});

sel.run();
create.run();
