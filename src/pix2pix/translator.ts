/**
 * Image-level inference on a {@link Pix2PixModel}: pixels in, pixels out, any size.
 *
 * Arbitrary sizes are handled convolutionally: the image is reflect-padded on the right and bottom
 * to a multiple of 2^numDowns, translated in one pass, and cropped back. A model trained at 256
 * thus translates 300x200 or 1024x768 images; the receptive field is unchanged, so very large
 * images are translated with the same local context as in training (no tiling seams), at a
 * memory cost proportional to the padded area.
 */
import { tf } from '../core/tf.js';
import type { Tensor4D } from '../core/tf.js';
import {
  toFloatImage,
  padToMultiple,
  cropTopLeft,
  type PixelImage,
  type FloatImage,
} from '../core/image.js';
import { sizeMultiple, type InferenceMode } from './config.js';
import type { Pix2PixModel } from './model.js';

/**
 * Translates one image; returns a float image in [-1, 1] of the same width and height.
 *
 * @example
 * ```ts
 * const out = await translateImage(model, { data: rgba, width: 300, height: 200 });
 * ```
 */
export async function translateImage(
  model: Pix2PixModel,
  image: PixelImage,
  mode: InferenceMode = 'eval',
): Promise<FloatImage> {
  const g = model.options.generator;
  const input = toFloatImage(image, g.inputChannels);
  const padded = padToMultiple(input, sizeMultiple(g.numDowns));
  const x = tf.tensor4d(padded.data, [1, padded.height, padded.width, g.inputChannels]);
  let y: Tensor4D | undefined;
  try {
    y = model.generate(x, mode);
    const data = (await y.data()) as Float32Array;
    const out: FloatImage = {
      data,
      width: padded.width,
      height: padded.height,
      channels: g.outputChannels,
    };
    return cropTopLeft(out, input.width, input.height);
  } finally {
    x.dispose();
    y?.dispose();
  }
}
