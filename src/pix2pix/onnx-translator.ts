/**
 * Image-level inference through an ONNX runtime session (the `ort-node` and `ort-webgpu` engines):
 * the model's generator is exported to ONNX in memory ({@link exportModelOnnx}) and run by a
 * session the caller's factory creates, with the same conversion, reflect-pad and crop as
 * {@link translateImage}, so the two paths agree pixel for pixel (up to float rounding).
 * Eval mode only (running statistics, no dropout): paper mode stays on tfjs.
 */
import {
  toPaddedPlanar,
  planarToFloatImage,
  planarToRGBA8,
  type PixelImage,
  type FloatImage,
  type PlanarImage,
  type RGBAImage,
} from '../core/image.js';
import { sizeMultiple } from './config.js';
import type { Pix2PixModel } from './model.js';
import { exportModelOnnx, type OnnxExportOptions } from './onnx-export.js';

/** A loaded generator graph: NCHW float32 in, NCHW float32 out. */
export interface GeneratorSession {
  run(input: Float32Array, dims: [number, number, number, number]): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Creates a session from ONNX bytes (the engine's runtime and options are the factory's). */
export type GeneratorSessionFactory = (onnx: Uint8Array) => Promise<GeneratorSession>;

/**
 * The generator of a {@link Pix2PixModel} on an ONNX session. The session is re-exported from the
 * model's current weights after {@link invalidate} (weights loaded, a training step).
 *
 * @example
 * ```ts
 * const t = new OnnxTranslator((bytes) => createOrtNodeSession(bytes, { threads: 2 }));
 * await t.prepare(model);
 * const out = await t.translate(model, { data: rgba, width: 300, height: 200 });
 * ```
 */
export class OnnxTranslator {
  private session: GeneratorSession | null = null;
  private stale = true;

  /**
   * @param factory creates the session from the exported bytes.
   * @param exportOptions how the graph is written for this runtime (ort-node:
   * `ENGINE_EXPORT_OPTIONS`); the default is the plain ConvTranspose graph.
   */
  constructor(
    private readonly factory: GeneratorSessionFactory,
    private readonly exportOptions: OnnxExportOptions = {},
  ) {}

  /** The model's weights changed: the next call exports them again. */
  invalidate(): void {
    this.stale = true;
  }

  /** Exports the generator and creates the session now (rejects with the runtime's error). */
  async prepare(model: Pix2PixModel): Promise<void> {
    if (this.session && !this.stale) return;
    const bytes = await exportModelOnnx(model, this.exportOptions);
    const next = await this.factory(bytes);
    const old = this.session;
    this.session = next;
    this.stale = false;
    await old?.release();
  }

  /** Translates one image; a float image in [-1, 1] of the same width and height. */
  async translate(model: Pix2PixModel, image: PixelImage): Promise<FloatImage> {
    const y = await this.forward(model, image);
    return planarToFloatImage(y, image.width, image.height);
  }

  /** Translates one image to 8-bit RGBA of the same size (the levels of `toRGBA8`). */
  async translateRGBA8(model: Pix2PixModel, image: PixelImage): Promise<RGBAImage> {
    const y = await this.forward(model, image);
    return planarToRGBA8(y, image.width, image.height);
  }

  /**
   * The padded planar output of one image. Conversion, reflect-pad and the NCHW layout are one
   * pass each way ({@link toPaddedPlanar}, then the caller's crop), so that the work around the
   * session stays a small part of a call.
   */
  private async forward(model: Pix2PixModel, image: PixelImage): Promise<PlanarImage> {
    const g = model.options.generator;
    const x = toPaddedPlanar(image, g.inputChannels, sizeMultiple(g.numDowns));
    await this.prepare(model);
    const { width: W, height: H } = x;
    const y = await this.session!.run(x.data, [1, g.inputChannels, H, W]);
    return { data: y, width: W, height: H, channels: g.outputChannels };
  }

  /** Releases the session. Idempotent. */
  async dispose(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.stale = true;
    await s?.release();
  }
}
