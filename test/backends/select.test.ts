import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendError } from '../../src/core/errors.js';
import { BACKENDS, planBackends, selectBackend } from '../../src/backends/select.js';
import { isSoftwareRenderer } from '../../src/backends/probe.js';
import type { Capabilities } from '../../src/backends/probe.js';
import type { BackendDescriptor, BackendName } from '../../src/backends/types.js';

const SWIFTSHADER =
  'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const NVIDIA =
  'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 (0x00002206) Direct3D11 vs_5_0 ps_5_0, D3D11)';

/** A browser with a real GPU, WASM SIMD and threads; each test removes what it simulates missing. */
function caps(over: Partial<Capabilities> = {}): Capabilities {
  const base: Capabilities = {
    environment: 'browser',
    webgl2: true,
    webglFloatRenderable: true,
    webglRenderer: NVIDIA,
    webglSoftware: false,
    webglReason: null,
    wasm: true,
    wasmSimd: true,
    wasmThreads: true,
    wasmThreadsReason: null,
    crossOriginIsolated: true,
    webgpu: false,
    webgpuAdapter: false,
    webgpuFallback: false,
    hardwareConcurrency: 8,
  };
  const c = { ...base, ...over };
  c.webglSoftware = isSoftwareRenderer(c.webglRenderer);
  return c;
}
const NODE = caps({
  environment: 'node',
  webgl2: false,
  webglFloatRenderable: false,
  webglRenderer: null,
  webglReason: 'Node has no WebGL',
  wasmThreads: false,
  wasmThreadsReason: 'tfjs-backend-wasm runs single-threaded in Node',
});
const SOFTWARE_ONLY = caps({ webglRenderer: SWIFTSHADER });
const NO_WEBGL = caps({
  webgl2: false,
  webglFloatRenderable: false,
  webglRenderer: null,
  webglReason: 'getContext("webgl2") returned null',
});
const NO_SIMD = caps({
  webgl2: false,
  webglRenderer: null,
  webglReason: 'disabled',
  wasmSimd: false,
  wasmThreads: false,
  wasmThreadsReason: 'tfjs ships threads only in its SIMD binary',
});
const NO_THREADS = caps({
  webglRenderer: SWIFTSHADER,
  crossOriginIsolated: false,
  wasmThreads: false,
  wasmThreadsReason: 'the page is not cross-origin isolated',
});

/** Real detection, fake init: records what was initialised and fails where told. */
function fakes(fail: Partial<Record<BackendName, string>> = {}) {
  const inits: BackendName[] = [];
  const make = (real: BackendDescriptor): BackendDescriptor => ({
    ...real,
    init: async () => {
      inits.push(real.name);
      if (fail[real.name]) throw new Error(fail[real.name]);
    },
    runtime: (c) => ({
      threads: real.name === 'wasm' && c.wasmThreads ? c.hardwareConcurrency : 1,
      simd: real.name === 'wasm' && c.wasmSimd,
      software: real.runtime(c).software,
    }),
  });
  const backends = {
    cpu: make(BACKENDS.cpu),
    wasm: make(BACKENDS.wasm),
    webgl: make(BACKENDS.webgl),
    webgpu: make(BACKENDS.webgpu),
  };
  return { backends, inits };
}

const policy = suite('backend selection policy');

policy('training and inference both prefer a real-GPU WebGL', async () => {
  for (const purpose of ['train', 'infer'] as const) {
    const { backends, inits } = fakes();
    const info = await selectBackend({ purpose, capabilities: caps() }, backends);
    assert.is(info.name, 'webgl');
    assert.is(info.software, false);
    assert.match(
      info.reason,
      purpose === 'train' ? /^training: WebGL2 on GPU ANGLE \(NVIDIA/ : /^inference: WebGL2 on GPU/,
    );
    assert.equal(inits, ['webgl']);
    assert.equal(info.tried, []);
  }
});

policy(
  'a software WebGL only is never auto-preferred over WASM, for training or inference',
  async () => {
    for (const purpose of ['train', 'infer'] as const) {
      const { backends, inits } = fakes();
      const info = await selectBackend({ purpose, capabilities: SOFTWARE_ONLY }, backends);
      assert.is(info.name, 'wasm');
      assert.equal(inits, ['wasm']);
      assert.match(
        info.reason,
        /WASM SIMD with threads \(8 XNNPACK threads by default on 8 logical cores\)/,
      );
      assert.match(
        info.reason,
        /WebGL2 runs on software renderer .*SwiftShader.* never auto-preferred over WASM/,
      );
      const order = planBackends(SOFTWARE_ONLY, purpose)
        .filter((p) => p.ok)
        .map((p) => p.name);
      assert.equal(order, ['wasm', 'webgl', 'cpu'], 'software WebGL still ranks above CPU');
    }
  },
);

policy(
  'without WebGL, training takes a real WebGPU adapter before WASM but inference keeps WASM',
  async () => {
    const withGpu = caps({ ...NO_WEBGL, webgpu: true, webgpuAdapter: true });
    const train = await selectBackend(
      { purpose: 'train', capabilities: withGpu },
      fakes().backends,
    );
    assert.is(train.name, 'webgpu');
    assert.equal(
      train.tried.map((t) => t.name),
      ['webgl'],
    );
    assert.match(
      train.tried[0]!.error,
      /^no WebGL2 context \(getContext\("webgl2"\) returned null; environment: browser\)/,
    );
    const infer = await selectBackend(
      { purpose: 'infer', capabilities: withGpu },
      fakes().backends,
    );
    assert.is(infer.name, 'wasm');
    assert.match(infer.reason, /^inference: WASM SIMD with threads/);
  },
);

policy('without WebGL or WebGPU, both purposes fall to WASM and say why', async () => {
  for (const purpose of ['train', 'infer'] as const) {
    const info = await selectBackend({ purpose, capabilities: NO_WEBGL }, fakes().backends);
    assert.is(info.name, 'wasm');
    assert.match(info.reason, /not webgl(, webgpu)? \(unavailable\)/);
  }
});

policy('without SIMD, WASM is still chosen over CPU and reported as slow, one thread', async () => {
  const info = await selectBackend({ purpose: 'infer', capabilities: NO_SIMD }, fakes().backends);
  assert.is(info.name, 'wasm');
  assert.is(info.simd, false);
  assert.is(info.threads, 1);
  assert.match(info.reason, /WASM without SIMD on one thread/);
});

policy(
  'without cross-origin isolation, WASM runs on one thread and the reason says how to fix it',
  async () => {
    const info = await selectBackend(
      { purpose: 'infer', capabilities: NO_THREADS },
      fakes().backends,
    );
    assert.is(info.name, 'wasm');
    assert.is(info.threads, 1);
    assert.match(info.reason, /WASM SIMD on one thread \(the page is not cross-origin isolated\)/);
  },
);

policy('in Node, training and inference pick WASM after noting that WebGL is missing', async () => {
  for (const purpose of ['train', 'infer'] as const) {
    const info = await selectBackend({ purpose, capabilities: NODE }, fakes().backends);
    assert.is(info.name, 'wasm');
    assert.equal(
      info.tried.map((t) => t.name),
      purpose === 'train' ? ['webgl', 'webgpu'] : ['webgl'],
    );
    assert.match(
      info.tried[0]!.error,
      /no WebGL2 context \(Node has no WebGL; environment: node\)/,
    );
    assert.match(
      info.reason,
      /WASM SIMD on one thread \(tfjs-backend-wasm runs single-threaded in Node\)/,
    );
  }
});

policy(
  'a WebGL that cannot render float32 is skipped for training but used for inference',
  async () => {
    const halfOnly = caps({ webglFloatRenderable: false });
    const train = await selectBackend(
      { purpose: 'train', capabilities: halfOnly },
      fakes().backends,
    );
    assert.is(train.name, 'wasm');
    assert.match(
      train.tried[0]!.error,
      /cannot render to float32 textures \(no EXT_color_buffer_float\)/,
    );
    const infer = await selectBackend(
      { purpose: 'infer', capabilities: halfOnly },
      fakes().backends,
    );
    assert.is(infer.name, 'webgl');
  },
);

policy('a backend whose init fails is remembered and the next one is tried', async () => {
  const { backends, inits } = fakes({ webgl: 'context lost during init' });
  const info = await selectBackend(
    { purpose: 'train', capabilities: caps({ webgpu: true, webgpuAdapter: true }) },
    backends,
  );
  assert.is(info.name, 'webgpu');
  assert.equal(inits, ['webgl', 'webgpu']);
  assert.equal(info.tried, [{ name: 'webgl', error: 'context lost during init' }]);
});

policy(
  'a preferred backend that fails to start is named with its error in the reason and said once on the console',
  async () => {
    const error =
      'failed to fetch https://example.com/app/tfjs-backend-wasm-simd.wasm: HTTP 404 (text/html, not a wasm binary)';
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    try {
      for (let i = 0; i < 2; i++) {
        const info = await selectBackend(
          { purpose: 'infer', capabilities: NO_WEBGL },
          fakes({ wasm: error }).backends,
        );
        assert.is(info.name, 'cpu');
        assert.match(info.reason, `wasm failed to start (${error})`);
      }
    } finally {
      console.warn = warn;
    }
    assert.is(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /the wasm backend failed to start, so cpu runs instead: failed to fetch https:\/\/example\.com\/app\/tfjs-backend-wasm-simd\.wasm: HTTP 404/,
    );
  },
);

policy.run();

const forced = suite('forced backends');

forced(
  'a forced unavailable backend gives a clear BackendError listing what is available',
  async () => {
    try {
      await selectBackend({ backend: 'webgl', capabilities: NODE }, fakes().backends);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, BackendError);
      assert.is((e as BackendError).code, 'E_BACKEND');
      assert.is(
        (e as Error).message,
        'Backend "webgl" is not available here: no WebGL2 context (Node has no WebGL; environment: node). Should be one of: cpu, wasm (the backends available here for inference).',
      );
    }
  },
);

forced('a forced software WebGL is used and reported as software', async () => {
  const info = await selectBackend(
    { backend: 'webgl', capabilities: SOFTWARE_ONLY },
    fakes().backends,
  );
  assert.is(info.name, 'webgl');
  assert.is(info.software, true);
  assert.match(
    info.reason,
    /^inference, requested: WebGL2 on software renderer ANGLE \(Google, Vulkan/,
  );
});

forced('a forced backend whose init fails says so, with the cause attached', async () => {
  try {
    await selectBackend(
      { backend: 'wasm', capabilities: NODE },
      fakes({ wasm: 'Make sure the server can serve the .wasm file' }).backends,
    );
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    assert.match(
      (e as Error).message,
      /^Backend "wasm" failed to initialise: Make sure the server can serve the \.wasm file\. Should be one of: /,
    );
    const cause = (e as Error).cause as AggregateError;
    assert.instance(cause, AggregateError);
    assert.is(cause.errors.length, 1);
  }
});

forced('a list of names is tried in order and the causes are reported', async () => {
  const { backends, inits } = fakes();
  const info = await selectBackend(
    { backend: ['webgpu', 'webgl', 'cpu', 'wasm'], capabilities: NODE },
    backends,
  );
  assert.is(info.name, 'cpu');
  assert.equal(inits, ['cpu']);
  assert.equal(
    info.tried.map((t) => t.name),
    ['webgpu', 'webgl'],
  );
  assert.match(info.tried[0]!.error, /navigator\.gpu is missing/);
  assert.match(info.tried[1]!.error, /no WebGL2 context/);
});

forced('when every listed backend fails, one error lists every cause in order', async () => {
  try {
    await selectBackend(
      { backend: ['webgl', 'wasm'], capabilities: NODE },
      fakes({ wasm: 'wasm binary not found' }).backends,
    );
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    const msg = (e as Error).message;
    assert.match(
      msg,
      /^None of the requested backends \(webgl, wasm\) could be initialised\. Tried in order: webgl: no WebGL2 context .*; wasm: wasm binary not found\. Should be one of: cpu, wasm/,
    );
    assert.is(((e as Error).cause as AggregateError).errors.length, 2);
  }
});

forced('when no backend works under auto, the error lists every candidate', async () => {
  const { backends } = fakes({ wasm: 'no wasm', cpu: 'no cpu' });
  try {
    await selectBackend({ purpose: 'train', capabilities: NODE }, backends);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, BackendError);
    assert.match(
      (e as Error).message,
      /^No backend could be initialised for training\. Tried in order: webgl: .*; webgpu: .*; wasm: no wasm; cpu: no cpu\./,
    );
  }
});

forced(
  'an unknown backend name is a TypeError naming the option and the valid values',
  async () => {
    for (const bad of ['gpu', ['wasm', 'tpu'], []] as unknown[]) {
      try {
        await selectBackend({ backend: bad as 'auto', capabilities: NODE }, fakes().backends);
        assert.unreachable();
      } catch (e) {
        assert.instance(e, TypeError);
        assert.match((e as Error).message, /option "backend".*auto, cpu, wasm, webgl, webgpu/i);
      }
    }
  },
);

forced.run();

const renderer = suite('software renderer detection');

renderer('recognises SwiftShader, llvmpipe and real GPUs', () => {
  assert.ok(isSoftwareRenderer(SWIFTSHADER));
  assert.ok(isSoftwareRenderer('Google SwiftShader'));
  assert.ok(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)'));
  assert.not.ok(isSoftwareRenderer(NVIDIA));
  assert.not.ok(isSoftwareRenderer('Apple M2'));
  assert.not.ok(isSoftwareRenderer(null));
});

renderer.run();
