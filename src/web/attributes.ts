/**
 * The `<pix2pix-translator>` element's attributes: their names, which ones need a new model, and
 * how the model's options are read from them. No DOM but `document.baseURI` in `workerUrlFor`:
 * tested in Node.
 */
import type { BackendRequest } from '../backends/select.js';
import { TF_BACKEND_NAMES } from '../backends/types.js';
import type { NormKind } from '../pix2pix/config.js';

/** The generator architecture the widget runs (read from the model file, or set by attributes). */
export interface WidgetArchitecture {
  numDowns: number;
  ngf: number;
  norm: NormKind;
  inputChannels: number;
  outputChannels: number;
}

/** The attributes the element observes. */
export const WIDGET_ATTRIBUTES = [
  'model',
  'backend',
  'size',
  'mode',
  'num-downs',
  'ngf',
  'channels',
  'norm',
  'worker-url',
  'threads',
  'watchdog',
] as const;
/** Attributes whose change needs a new model (a new worker). */
export const RELOAD_ATTRIBUTES: ReadonlySet<string> = new Set([
  'model',
  'backend',
  'num-downs',
  'ngf',
  'channels',
  'norm',
  'worker-url',
  'threads',
]);
/** What the `backend` attribute may name. */
const BACKENDS: readonly string[] = ['auto', ...TF_BACKEND_NAMES];

// The script's own URL, captured while it runs: rollup's IIFE output turns this into
// `document.currentScript.src`, which is null after start-up.
const SCRIPT_URL: string = (() => {
  try {
    return String(import.meta.url);
  } catch {
    return typeof document !== 'undefined' ? document.baseURI : '';
  }
})();

/**
 * The worker script URL: `worker.js` beside this script unless the `worker-url` attribute says
 * otherwise (resolved against the page).
 *
 * @example
 * ```ts
 * workerUrlFor(null); // 'https://cdn.example.com/pix2pix-ts/dist/worker.js'
 * ```
 */
export function workerUrlFor(attr: string | null): string {
  return new URL(attr ?? './worker.js', attr ? document.baseURI : SCRIPT_URL).href;
}

/**
 * Architecture options given as attributes (`num-downs`, `ngf`, `channels`, `norm`), on top of
 * what the model file says. Throws a RangeError naming the attribute and the values it takes.
 *
 * @example
 * ```ts
 * archOverrides((name) => el.getAttribute(name)); // { ngf: 32 } for <pix2pix-translator ngf="32">
 * ```
 */
export function archOverrides(
  getAttribute: (name: string) => string | null,
): Partial<WidgetArchitecture> {
  const o: Partial<WidgetArchitecture> = {};
  const int = (name: string) => {
    const v = getAttribute(name);
    if (v === null) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`Attribute "${name}" must be a positive integer, got "${v}".`);
    return n;
  };
  const nd = int('num-downs');
  if (nd !== undefined) o.numDowns = nd;
  const ngf = int('ngf');
  if (ngf !== undefined) o.ngf = ngf;
  const ch = getAttribute('channels');
  if (ch !== null) {
    const parts = ch.split(',').map((s) => Number(s.trim()));
    if (!parts.length || parts.length > 2 || parts.some((n) => n !== 1 && n !== 3))
      throw new RangeError(
        `Attribute "channels" must be "1", "3", or "in,out" with 1 or 3 each, got "${ch}".`,
      );
    o.inputChannels = parts[0];
    o.outputChannels = parts[1] ?? parts[0];
  }
  const norm = getAttribute('norm');
  if (norm !== null) {
    if (!['batch', 'instance', 'none'].includes(norm))
      throw new RangeError(`Attribute "norm" must be one of batch, instance, none, got "${norm}".`);
    o.norm = norm as WidgetArchitecture['norm'];
  }
  return o;
}

/**
 * The `backend` attribute as a backend request: `auto`, one name, or a comma-separated list.
 * Throws a RangeError that lists the valid names.
 *
 * @example
 * ```ts
 * backendRequest('webgl, wasm'); // ['webgl', 'wasm']
 * ```
 */
export function backendRequest(attribute: string | null): BackendRequest {
  const raw = (attribute ?? 'auto').trim() || 'auto';
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !BACKENDS.includes(n));
  if (bad.length)
    throw new RangeError(
      `Attribute "backend" got "${bad.join(', ')}"; expected one of ${BACKENDS.join(', ')} (or a comma-separated list).`,
    );
  return (names.length === 1 ? names[0] : names) as BackendRequest;
}
