/**
 * The tfjs WebGL2 backend: the fastest choice on a real GPU. On a software rasterizer (SwiftShader,
 * llvmpipe) it still works, since we enable `SOFTWARE_WEBGL_ENABLED` (tests in headless Chromium
 * rely on it), but it is reported as software and never auto-preferred over WASM.
 */
import { tf } from '../core/tf.js';
import { activateTfBackend } from './activate.js';
import type { BackendDescriptor } from './types.js';

/**
 * Default for {@link BackendInitOptions.webglDeleteTextureThreshold}: 256 MiB. tfjs keeps every
 * released texture in a per-shape reuse pool and never frees it (threshold -1); a training run
 * whose shapes vary (last smaller batch, evaluation passes, several image sizes) then holds the
 * high-water mark of every shape forever. Past this many bytes allocated, released textures are
 * deleted instead of pooled: steady-state training keeps its pool, growth is bounded.
 *
 * @example
 * ```ts
 * await webglBackend.init({ webglDeleteTextureThreshold: DEFAULT_WEBGL_DELETE_TEXTURE_THRESHOLD / 2 });
 * ```
 */
export const DEFAULT_WEBGL_DELETE_TEXTURE_THRESHOLD = 256 * 1024 * 1024;

/**
 * Descriptor of the tfjs webgl backend (WebGL2 only).
 *
 * @example
 * ```ts
 * const caps = await probeCapabilities();
 * if (webglBackend.detect(caps).ok) await webglBackend.init({});
 * ```
 */
export const webglBackend: BackendDescriptor = {
  name: 'webgl',
  canTrain: true,
  canInfer: true,
  gpu: true,
  detect(caps) {
    if (!caps.webgl2)
      return {
        ok: false,
        reason: `no WebGL2 context (${caps.webglReason ?? 'unknown reason'}; environment: ${caps.environment})`,
      };
    const gpu = caps.webglSoftware
      ? `software renderer ${caps.webglRenderer}`
      : `GPU ${caps.webglRenderer}`;
    return {
      ok: true,
      reason: `WebGL2 on ${gpu}${caps.webglFloatRenderable ? '' : ', without float32 render targets'}`,
    };
  },
  async init(opts) {
    const threshold = opts.webglDeleteTextureThreshold ?? DEFAULT_WEBGL_DELETE_TEXTURE_THRESHOLD;
    if (typeof threshold !== 'number' || !(threshold === -1 || threshold >= 0)) {
      throw new RangeError(
        `Option "webglDeleteTextureThreshold" must be -1 (never delete) or a byte count >= 0, got ${threshold}.`,
      );
    }
    // Registers the backend and its flags: before the flags are set.
    await import('@tensorflow/tfjs-backend-webgl');
    const env = tf.env();
    env.set('SOFTWARE_WEBGL_ENABLED', true);
    env.set('WEBGL_DELETE_TEXTURE_THRESHOLD', threshold);
    // Unpacked: no pack/unpack programs between tfjs's packed programs and ours (see webglPack).
    env.set('WEBGL_PACK', opts.webglPack ?? false);
    await activateTfBackend('webgl');
  },
  runtime: (caps) => ({ threads: 1, simd: false, software: caps.webglSoftware }),
};
