/**
 * Error classes of pix2pix-ts. Every error the library throws on purpose is a
 * {@link Pix2PixError} with a stable `code`; `name` is the discriminant used to
 * rebuild the right class when an error crosses a worker boundary (comlink only
 * carries `name`, `message` and `stack`).
 *
 * @example
 * ```ts
 * try { await model.translate(img); }
 * catch (e) { if (e instanceof ShapeError) console.log(e.code, e.message); }
 * ```
 */
export class Pix2PixError extends Error {
  static readonly errorName: string = 'Pix2PixError';
  /** Stable machine-readable code, e.g. `E_SHAPE`. */
  readonly code: string;
  constructor(message: string, code = 'E_PIX2PIX', options?: { cause?: unknown }) {
    super(message, options as ErrorOptions);
    this.code = code;
    // Not `new.target.name`: bundlers and minifiers rename classes (esbuild emits `AbortError2`,
    // terser mangles), and `name` is what identifies the class across a worker boundary.
    this.name = (new.target as { errorName?: string }).errorName ?? 'Pix2PixError';
  }
}

/** A tensor or image has the wrong size or channel count. */
export class ShapeError extends Pix2PixError {
  static override readonly errorName: string = 'ShapeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_SHAPE', options);
  }
}

/** Input values are not usable (NaN, Infinity, out of range). */
export class ValueError extends Pix2PixError {
  static override readonly errorName: string = 'ValueError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_VALUE', options);
  }
}

/** A checkpoint / weights file could not be read or does not fit the model. */
export class CheckpointError extends Pix2PixError {
  static override readonly errorName: string = 'CheckpointError';
  constructor(message: string, code = 'E_CHECKPOINT', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** The safe unpickler met something it refuses to load (a forbidden global, an unknown opcode). */
export class UnsafePickleError extends CheckpointError {
  static override readonly errorName: string = 'UnsafePickleError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_UNSAFE_PICKLE', options);
  }
}

/** State dict keys or shapes do not match the model (like PyTorch's load_state_dict message). */
export class StateDictMismatchError extends CheckpointError {
  static override readonly errorName: string = 'StateDictMismatchError';
  readonly missing: string[];
  readonly unexpected: string[];
  readonly wrongShapes: string[];
  constructor(missing: string[], unexpected: string[], wrongShapes: string[]) {
    const parts: string[] = [];
    if (missing.length) parts.push(`Missing key(s): ${missing.map((k) => `"${k}"`).join(', ')}.`);
    if (unexpected.length) parts.push(`Unexpected key(s): ${unexpected.map((k) => `"${k}"`).join(', ')}.`);
    if (wrongShapes.length) parts.push(`Size mismatch: ${wrongShapes.join('; ')}.`);
    super(`Error(s) in loading state_dict: ${parts.join(' ')}`, 'E_STATE_DICT');
    this.missing = missing;
    this.unexpected = unexpected;
    this.wrongShapes = wrongShapes;
  }
}

/** No backend could be initialised, or a requested backend is unavailable. */
export class BackendError extends Pix2PixError {
  static override readonly errorName: string = 'BackendError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_BACKEND', options);
  }
}

/** A golden/reference folder is incomplete or unreadable. */
export class GoldenError extends Pix2PixError {
  static override readonly errorName: string = 'GoldenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_GOLDEN', options);
  }
}

/** A dataset file or folder is unusable. */
export class DatasetError extends Pix2PixError {
  static override readonly errorName: string = 'DatasetError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_DATASET', options);
  }
}

/** An operation was cancelled through an AbortSignal. */
export class AbortError extends Pix2PixError {
  static override readonly errorName: string = 'AbortError';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, 'E_ABORTED', options);
  }
}

/** The object was used after `dispose()`. */
export class DisposedError extends Pix2PixError {
  static override readonly errorName: string = 'DisposedError';
  constructor(what = 'This model') {
    super(`${what} has been disposed; create a new one with createPix2Pix()`, 'E_DISPOSED');
  }
}

/** A worker crashed or was terminated while calls were pending. */
export class WorkerError extends Pix2PixError {
  static override readonly errorName: string = 'WorkerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_WORKER', options);
  }
}

const classes: Record<string, new (msg: string) => Pix2PixError> = {
  Pix2PixError: Pix2PixError as never,
  ShapeError,
  ValueError,
  CheckpointError: CheckpointError as never,
  UnsafePickleError,
  BackendError,
  GoldenError,
  DatasetError,
  AbortError,
  WorkerError,
};

/**
 * Rebuilds a library error from its serialised `name`, `message` and `code`
 * (what crosses a worker boundary). Unknown names give a plain `Error`.
 *
 * @example
 * ```ts
 * const e = reviveError({ name: 'ShapeError', message: 'bad', code: 'E_SHAPE' });
 * e instanceof ShapeError; // true
 * ```
 */
export function reviveError(obj: { name?: string; message?: string; stack?: string; code?: string }): Error {
  const Ctor = obj.name ? classes[obj.name] : undefined;
  let err: Error;
  if (obj.name === 'DisposedError') {
    err = new DisposedError();
    err.message = obj.message ?? err.message;
  } else if (obj.name === 'StateDictMismatchError') {
    err = new CheckpointError(obj.message ?? '', 'E_STATE_DICT');
    err.name = 'StateDictMismatchError';
  } else if (Ctor) {
    err = new Ctor(obj.message ?? '');
  } else {
    err = new Error(obj.message ?? '');
    if (obj.name) err.name = obj.name;
  }
  if (obj.code && err instanceof Pix2PixError && err.code !== obj.code) {
    (err as { code: string }).code = obj.code;
  }
  if (obj.stack) err.stack = obj.stack;
  return err;
}
