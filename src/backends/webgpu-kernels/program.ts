/**
 * The slice of tfjs-backend-webgpu's program API that our WGSL kernels (Adam, BatchNorm, losses)
 * use, typed here once: the package does not export these types.
 */
import type { tf } from '../../core/tf.js';

/** The subset of tfjs-backend-webgpu's `WebGPUProgram` these programs fill in. */
export interface WebGPUProgramLike {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode(): string;
}

/** One uniform value handed to `runWebGPUProgram`. */
export type Uniform = { type: 'float32' | 'int32'; data: number[] };

/** The backend method that runs a program. */
export interface WebGPUBackendLike {
  runWebGPUProgram(
    program: WebGPUProgramLike,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: Uniform[],
  ): tf.TensorInfo;
}
