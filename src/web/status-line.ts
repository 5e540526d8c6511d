/**
 * The widget's status line: what it says while downloading (pure, tested in Node) and how the
 * short line, its details (a click away, in a `<details>`) and the progress bar are drawn (DOM).
 * The words once ready or failed are in `status.ts`.
 */
import { formatMB } from './status.js';

/** Download progress as the model loader reports it. */
export interface StatusProgress {
  loaded: number;
  total: number | null;
  /** What is being downloaded, in words: `model`, `model engine`, or both. */
  what: string;
}

/**
 * The status line while downloading: `Downloading the model: 0.50 MB of 2.0 MB` (no total when
 * the server sends none).
 *
 * @example
 * ```ts
 * downloadStatus({ what: 'model', loaded: 2 ** 19, total: 2 ** 21 });
 * ```
 */
export function downloadStatus(p: StatusProgress): string {
  return `Downloading the ${p.what}: ${formatMB(p.loaded)}${p.total ? ` of ${formatMB(p.total)}` : ''}`;
}

/**
 * The progress bar's value in [0, 1], or `null` without a total (an indeterminate bar).
 *
 * @example
 * ```ts
 * downloadFraction({ what: 'model', loaded: 5, total: 10 }); // 0.5
 * ```
 */
export function downloadFraction(p: StatusProgress): number | null {
  return p.total ? Math.min(1, p.loaded / p.total) : null;
}

/** The elements of the status line in the widget's template. */
export interface StatusLineElements {
  state: HTMLElement;
  details: HTMLElement;
  about: HTMLDetailsElement;
  progress: HTMLProgressElement;
}

/**
 * Shows the short line and its details (one `<li>` each); without details the `<details>` closes
 * and offers no more.
 *
 * @example
 * ```ts
 * renderStatus(els, 'Ready · CPU · 46 ms', ['Backend: cpu. …']);
 * ```
 */
export function renderStatus(els: StatusLineElements, text: string, details: string[] = []): void {
  els.state.textContent = text;
  els.details.replaceChildren(
    ...details.map((d) => Object.assign(document.createElement('li'), { textContent: d })),
  );
  els.about.classList.toggle('more', details.length > 0);
  if (!details.length) els.about.open = false;
}

/**
 * Shows download progress: the bar (indeterminate without a total) and the line.
 *
 * @example
 * ```ts
 * renderProgress(els, { what: 'model', loaded: 1e6, total: 4e6 });
 * ```
 */
export function renderProgress(els: StatusLineElements, p: StatusProgress): void {
  const { progress } = els;
  progress.hidden = false;
  const f = downloadFraction(p);
  if (f === null) progress.removeAttribute('value');
  else progress.value = f;
  renderStatus(els, downloadStatus(p));
}
