/**
 * What the widget tells the people who visit a page: a short status line ("Ready · CPU, 2 threads ·
 * 46 ms"), the engine's full reason behind a click, and one title per cause of failure, decided by
 * the error's stable `code` (errors that come back from the worker are rebuilt from their name and
 * code, so `instanceof` a subclass is not reliable there, and a code is what a minifier keeps).
 * Pure functions, no DOM: tested in Node.
 *
 * @example
 * ```ts
 * shortBackend(info); // 'CPU, 2 threads'
 * classifyError(e);   // 'not-found'
 * ```
 */
import type { WorkerBackendInfo } from '../workers/protocol.js';

/** What went wrong, for `error` events, the `data-error` attribute and the error panel's title. */
export type TranslatorErrorKind =
  | 'no-model'
  | 'not-found'
  | 'network'
  | 'format'
  | 'architecture'
  | 'backend'
  | 'worker'
  | 'timeout'
  | 'translate'
  | 'input';

/** The panel's title for each kind of failure: one cause, one message, whatever the model's format. */
export const ERROR_TITLES: Readonly<Record<TranslatorErrorKind, string>> = {
  'no-model': 'No model',
  'not-found': 'Model not found',
  network: 'Model download failed',
  format: 'Not a model file',
  architecture: 'Unsupported model',
  backend: 'No usable backend',
  worker: 'The model worker failed',
  timeout: 'The model stopped answering',
  translate: 'Translation failed',
  input: 'Image not usable',
};

/**
 * The kind of failure an error stands for, from its `code` (`E_IO_NOT_FOUND`, `E_STATE_DICT`, ...),
 * falling back to `fallback` for errors without a known code. `TypeError` / `RangeError` (a bad
 * attribute) are `input`. Returns null for a cancelled load (`E_ABORTED`), which is not a failure.
 *
 * @example
 * ```ts
 * classifyError(new CheckpointError('HTTP 404', 'E_IO_NOT_FOUND')); // 'not-found'
 * ```
 */
export function classifyError(
  e: unknown,
  fallback: TranslatorErrorKind = 'format',
): TranslatorErrorKind | null {
  const code =
    typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : '';
  if (code === 'E_ABORTED') return null;
  if (code === 'E_IO_NOT_FOUND') return 'not-found';
  if (code.startsWith('E_IO_')) return 'network';
  if (code === 'E_STATE_DICT' || code === 'E_ARCHITECTURE') return 'architecture';
  if (code.startsWith('E_CHECKPOINT') || code.startsWith('E_UNSAFE') || code === 'E_VALUE')
    return 'format';
  if (code === 'E_BACKEND') return 'backend';
  if (code === 'E_TIMEOUT') return 'timeout';
  if (code === 'E_WORKER' || code === 'E_DISPOSED') return 'worker';
  if (code === 'E_SHAPE') return 'input';
  if (!code && (e instanceof TypeError || e instanceof RangeError)) return 'input';
  return fallback;
}

const gpuLabel = (info: WorkerBackendInfo, api: string) =>
  `GPU (${api}${info.software ? ', software' : ''})`;

/**
 * The backend in a few words, for end users: `CPU, 2 threads`, `CPU` (wasm, one thread),
 * `GPU (WebGL)`, `GPU (WebGPU, software)`, `CPU (plain JavaScript)`.
 *
 * @example
 * ```ts
 * shortBackend({ name: 'wasm', threads: 2, ... }); // 'CPU, 2 threads'
 * ```
 */
export function shortBackend(
  info: Pick<WorkerBackendInfo, 'name' | 'threads' | 'software'>,
): string {
  switch (info.name) {
    case 'wasm':
      return info.threads > 1 ? `CPU, ${info.threads} threads` : 'CPU';
    case 'webgl':
      return gpuLabel(info as WorkerBackendInfo, 'WebGL');
    case 'webgpu':
      return gpuLabel(info as WorkerBackendInfo, 'WebGPU');
    case 'cpu':
      return 'CPU (plain JavaScript)';
    default:
      return String(info.name);
  }
}

/** Milliseconds for people: `46 ms`, `4.2 ms`, `1.3 s`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** Bytes for people: `0.35 MB`, `2.5 MB`. */
export function formatMB(n: number): string {
  return `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1)} MB`;
}

/**
 * The status line once ready: `Ready · CPU, 2 threads · 46 ms` (the last part after the first
 * translation).
 *
 * @example
 * ```ts
 * readyStatus(info, 46.2); // 'Ready · CPU, 2 threads · 46 ms'
 * ```
 */
export function readyStatus(
  info: Pick<WorkerBackendInfo, 'name' | 'threads' | 'software'>,
  lastMs?: number,
): string {
  return ['Ready', shortBackend(info), ...(lastMs === undefined ? [] : [formatMs(lastMs)])].join(
    ' · ',
  );
}

/**
 * The details behind the status line: the engine's own reason, what it tried first, the worker's
 * fallback, and load / translation timings. One line each.
 *
 * @example
 * ```ts
 * statusDetails(info, { loadMs: 820, lastMs: 46 }).join('\n');
 * ```
 */
export function statusDetails(
  info: WorkerBackendInfo,
  t: { loadMs?: number; lastMs?: number; restarts?: number } = {},
): string[] {
  const lines = [
    `Backend: ${info.name}${info.threads > 1 ? ` with ${info.threads} threads` : ''}. ${info.reason}`,
  ];
  for (const x of info.tried ?? []) lines.push(`Tried first: ${x.name}: ${x.error}`);
  if (info.worker?.fallback)
    lines.push(
      `In the worker, ${String(info.worker.fallback.requested)} was unavailable: ${info.worker.fallback.error}`,
    );
  if (t.loadMs !== undefined) lines.push(`Model loaded in ${formatMs(t.loadMs)}.`);
  if (t.lastMs !== undefined)
    lines.push(
      `Last translation: ${formatMs(t.lastMs)} (pixels to the worker, the generator, pixels back).`,
    );
  if (t.restarts)
    lines.push(`The model worker was restarted ${t.restarts} time(s) after it stopped answering.`);
  return lines;
}
