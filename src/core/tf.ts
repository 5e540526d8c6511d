/**
 * The one place that imports tfjs-core for the library, together with every
 * gradient definition: tfjs-core alone registers no gradients, and without them
 * `tf.grad` fails on the first conv. Everything else imports `tf` from here.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';

export { tf };
export type {
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Tensor4D,
  Variable,
  Rank,
  NamedTensorMap,
} from '@tensorflow/tfjs-core';
