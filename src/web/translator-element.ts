/**
 * `<pix2pix-translator>`: a drawing canvas and its live pix2pix translation, in one tag.
 *
 * Parts: the drawing surface (`drawing-surface.ts`: strokes, eraser, undo, images in), the model
 * loader (`model-loader.ts`: downloads the worker script and the model with progress, starts the
 * library's worker with a deadline), the status UI's words (`status.ts`), the status line's
 * download words and drawing (`status-line.ts`), the attributes
 * (`attributes.ts`), the shadow DOM's markup and style (`template.ts`) and this element (the DOM,
 * the events, and the translation loop with its watchdog). The model runs in a Web Worker (`worker.js` next to
 * this script), so this file and its bundle hold no tfjs. Errors are told apart by their stable
 * `code` (`status.ts`), never by class: errors from the worker are rebuilt from name and code.
 *
 * @example
 * ```html
 * <script src="https://unpkg.com/pix2pix-ts/dist/pix2pix-widget.min.js"></script>
 * <pix2pix-translator model="models/fonts128-u8/model.json"></pix2pix-translator>
 * ```
 */
import type { WorkerPix2Pix } from '../workers/client.js';
import { Pix2PixError } from '../core/errors.js';
import type { WorkerBackendInfo, WorkerModelOptions } from '../workers/protocol.js';
import type { RGBAImage } from '../core/image.js';
import type { BackendRequest } from '../backends/select.js';
import { DrawingSurface, type SurfaceImage } from './drawing-surface.js';
import {
  downloadAll,
  startWorkerModel,
  type DownloadProgress,
  type DownloadedFiles,
  type WidgetModelInit,
} from './model-loader.js';
import {
  ERROR_TITLES,
  classifyError,
  formatMs,
  readyStatus,
  statusDetails,
  type TranslatorErrorKind,
} from './status.js';

import {
  RELOAD_ATTRIBUTES,
  WIDGET_ATTRIBUTES,
  archOverrides,
  backendRequest,
  workerUrlFor,
  type WidgetArchitecture,
} from './attributes.js';
import { WIDGET_STYLE, WIDGET_TEMPLATE } from './template.js';
import { renderProgress, renderStatus } from './status-line.js';

export type { TranslatorErrorKind } from './status.js';
export type { WidgetArchitecture } from './attributes.js';

/** Where the widget stands. */
export type TranslatorState = 'idle' | 'loading' | 'ready' | 'error';

/** `detail` of the `ready` event. */
export interface TranslatorReadyDetail {
  backend: WorkerBackendInfo;
  architecture: WidgetArchitecture;
  size: number;
  /** Downloads and worker start-up, ms. */
  loadMs: number;
}

/** `detail` of the `translated` event. */
export interface TranslatorTranslatedDetail {
  /** Round trip of the last translation (pixels to the worker, the forward, pixels back), ms. */
  ms: number;
  backend: string;
  width: number;
  height: number;
}

/** `detail` of the `error` event. */
export interface TranslatorErrorDetail {
  kind: TranslatorErrorKind;
  /** The panel's title for this kind (`Model not found`, ...). */
  title: string;
  message: string;
  /** The widget cannot go on without a new load (a changed attribute). */
  fatal: boolean;
  error: unknown;
}

/** `detail` of the `progress` event: bytes downloaded so far (worker script and model together). */
export type TranslatorProgressDetail = DownloadProgress;

/** Anything {@link Pix2PixTranslatorElement.translateImage} can take. */
export type TranslatorImage = SurfaceImage | RGBAImage;

/** Translation waits for a pause this long in a stroke (a running one is never interrupted). */
const DEBOUNCE_MS = 40;
/** Default watchdog: the least time a translation gets before the worker is restarted, ms. */
const WATCHDOG_MS = 30_000;
/** A translation may take this many times the slowest one so far before the watchdog fires. */
const WATCHDOG_FACTOR = 20;
/** Deadline for a worker's start-up (wasm fetch and compile, model build), ms. */
const START_MS = 120_000;
/** Fresh workers tried after one stops answering, before the widget gives up. */
const RESTARTS = 2;

const Base: typeof HTMLElement =
  typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

/**
 * The `<pix2pix-translator>` custom element. Attributes: `model` (URL of a generator `.pth`, a
 * pix2pix-ts checkpoint or web weights `model.json`), `backend` (`auto`, `wasm`, `webgl`, `webgpu`,
 * `cpu`, or a comma list), `size` (input side in pixels; default 2^numDowns of the model), `mode`
 * (`eval` | `paper`), and, to override what is read from the file, `num-downs`, `ngf`, `channels`
 * (`1`, `3`, or `in,out`), `norm`; `worker-url`, `threads` and `watchdog` (ms) for deployment.
 * Events: `progress`, `ready`, `translated`, `error` (details typed above).
 *
 * @example
 * ```ts
 * import { definePix2PixTranslator } from 'pix2pix-ts/widget';
 * definePix2PixTranslator();
 * const el = document.querySelector('pix2pix-translator')!;
 * el.addEventListener('translated', (e) => console.log(e.detail.ms, 'ms'));
 * const out = await el.translateImage(await (await fetch('glyph.png')).blob());
 * ```
 */
export class Pix2PixTranslatorElement extends Base {
  static get observedAttributes(): readonly string[] {
    return WIDGET_ATTRIBUTES;
  }

  private root!: ShadowRoot;
  private els!: {
    output: HTMLCanvasElement;
    brush: HTMLInputElement;
    color: HTMLInputElement;
    eraser: HTMLButtonElement;
    undo: HTMLButtonElement;
    clear: HTMLButtonElement;
    pick: HTMLInputElement;
    download: HTMLButtonElement;
    state: HTMLElement;
    about: HTMLDetailsElement;
    details: HTMLElement;
    progress: HTMLProgressElement;
    error: HTMLElement;
  };
  private surface!: DrawingSurface;
  private outCtx!: CanvasRenderingContext2D;
  private p2p: WorkerPix2Pix | null = null;
  private files: DownloadedFiles | null = null;
  private init: WidgetModelInit | null = null;
  private loadAbort: AbortController | null = null;
  private arch: WidgetArchitecture | null = null;
  private generation = 0;
  private loadQueued = false;
  private _state: TranslatorState = 'idle';
  private _backend: WorkerBackendInfo | null = null;
  private _last: TranslatorTranslatedDetail | null = null;
  private loadMs: number | undefined;
  private slowestMs = 0;
  private restarts = 0;
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private busy: Promise<void> | null = null;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hasOutput = false;
  private lastError: unknown = null;
  private translateError: unknown = null;

  /** Current state: `idle` (no model yet), `loading`, `ready` or `error`. */
  get state(): TranslatorState {
    return this._state;
  }

  /** The backend the worker runs on (with the reason it was chosen), once ready. */
  get backendInfo(): WorkerBackendInfo | null {
    return this._backend;
  }

  /** The generator architecture in use, once ready. */
  get architecture(): WidgetArchitecture | null {
    return this.arch;
  }

  /** Timing of the last translation. */
  get lastTranslation(): TranslatorTranslatedDetail | null {
    return this._last;
  }

  /** How many times the watchdog replaced a worker that stopped answering (since the last load). */
  get workerRestarts(): number {
    return this.restarts;
  }

  /** Input side in pixels: the `size` attribute, else 2^numDowns of the model (256 before it loads). */
  get size(): number {
    const attr = Number(this.getAttribute('size'));
    if (Number.isInteger(attr) && attr >= 1) return attr;
    return this.arch ? 2 ** this.arch.numDowns : 256;
  }

  /**
   * Inference mode: the `mode` attribute, else what the model file was made for (`eval`,
   * deterministic, for .pth; `paper`, batch statistics and dropout, for .pict).
   */
  get mode(): 'eval' | 'paper' {
    const attr = this.getAttribute('mode');
    if (attr === 'paper' || attr === 'eval') return attr;
    return this.p2p?.mode ?? 'eval';
  }

  /**
   * The watchdog's least deadline for one translation, ms: the `watchdog` attribute, else 30000.
   * A translation may also take 20 times the slowest one so far. Past it, the worker is replaced
   * by a fresh one (say so in the status line and an `error` event of kind `timeout`) and the
   * translation runs again.
   */
  get watchdogMs(): number {
    const attr = Number(this.getAttribute('watchdog'));
    return Number.isFinite(attr) && attr > 0 ? attr : WATCHDOG_MS;
  }

  connectedCallback(): void {
    if (!this.root) this.build();
    this.queueLoad();
  }

  disconnectedCallback(): void {
    // A re-attached element (moved in the DOM) keeps its model; a removed one frees its worker.
    queueMicrotask(() => {
      if (!this.isConnected) this.release();
    });
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (!this.root || old === value) return;
    if (RELOAD_ATTRIBUTES.has(name)) this.queueLoad();
    else if (name === 'size') {
      this.resize();
      if (this._state === 'ready') this.requestTranslate(0);
    } else if (name === 'mode' && this._state === 'ready') this.requestTranslate(0);
  }

  /**
   * Resolves when the model is ready (at once if it is); rejects with the error if loading fails.
   *
   * @example
   * ```ts
   * await el.whenReady();
   * ```
   */
  whenReady(): Promise<void> {
    if (this._state === 'ready') return Promise.resolve();
    if (this._state === 'error' && !this.loadQueued) return Promise.reject(this.lastError);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  /**
   * Puts an image into the input (fitted into the square, on white), translates it, and resolves
   * with the output pixels. (Not named `translate`: every HTMLElement already has a boolean
   * `translate` property, the HTML `translate` attribute that page-translation tools read.)
   *
   * @example
   * ```ts
   * const out = await el.translateImage(fileInput.files[0]); // ImageData of the output canvas
   * ```
   */
  async translateImage(image: TranslatorImage): Promise<ImageData> {
    await this.whenReady();
    await this.surface.setImage(image as SurfaceImage);
    this.dirty = true;
    return this.flush();
  }

  /**
   * Waits for the pending translation (if any) and returns the output pixels; rejects with the
   * error when that translation failed. Never waits forever: a worker that stops answering is
   * replaced by the watchdog, and the translation runs again on the new one.
   *
   * @example
   * ```ts
   * const out = await el.flush();
   * ```
   */
  async flush(): Promise<ImageData> {
    clearTimeout(this.timer);
    if (this.timer !== undefined || this.dirty || !this.hasOutput) {
      this.timer = undefined;
      this.dirty = true;
    }
    // pump() again after each run: a change made while one ran is translated by the next.
    while (this.dirty && this.p2p && this._state === 'ready') await this.pump();
    while (this.busy) await this.busy;
    if (this.translateError) throw this.translateError;
    return this.getOutputImageData();
  }

  /** The input canvas's pixels (what the model is given). */
  getInputImageData(): ImageData {
    return this.surface.imageData();
  }

  /** The output canvas's pixels. */
  getOutputImageData(): ImageData {
    return this.outCtx.getImageData(0, 0, this.els.output.width, this.els.output.height);
  }

  /**
   * Saves the output as a PNG (a download in the browser) and resolves with the PNG blob.
   *
   * @example
   * ```ts
   * const png = await el.download('calligraphy.png');
   * ```
   */
  async download(filename = 'pix2pix-output.png'): Promise<Blob> {
    const blob = await new Promise<Blob>((resolve, reject) =>
      this.els.output.toBlob(
        (b) =>
          b ? resolve(b) : reject(new Error('The output canvas could not be encoded as PNG.')),
        'image/png',
      ),
    );
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    return blob;
  }

  /** Clears the input to white (undoable) and translates. */
  clear(): void {
    this.surface.clear();
  }

  /** Undoes the last stroke, clear or image. */
  undo(): void {
    this.surface.undo();
  }

  // ---- building the DOM ----

  private build(): void {
    this.root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = WIDGET_STYLE;
    const tpl = document.createElement('template');
    tpl.innerHTML = WIDGET_TEMPLATE;
    this.root.append(style, tpl.content.cloneNode(true));
    const $ = <T extends Element>(sel: string) => this.root.querySelector(sel) as T;
    this.els = {
      output: $('canvas.output'),
      brush: $('.brush'),
      color: $('.color'),
      eraser: $('.eraser'),
      undo: $('.undo'),
      clear: $('.clear'),
      pick: $('.pick'),
      download: $('.download'),
      state: $('.state'),
      about: $('details.about'),
      details: $('.details'),
      progress: $('progress'),
      error: $('.error'),
    };
    const input = $<HTMLCanvasElement>('canvas.input');
    this.surface = new DrawingSurface(input, {
      brush: () => Number(this.els.brush.value),
      color: () => this.els.color.value,
      onChange: (settled) => this.requestTranslate(settled ? 0 : DEBOUNCE_MS),
      onUndoable: (can) => (this.els.undo.disabled = !can),
    });
    this.outCtx = this.els.output.getContext('2d', { willReadFrequently: true })!;
    this.resize();

    const { eraser, undo, clear, pick, download } = this.els;
    eraser.addEventListener('click', () => {
      this.surface.erasing = !this.surface.erasing;
      eraser.setAttribute('aria-pressed', String(this.surface.erasing));
    });
    undo.addEventListener('click', () => this.undo());
    clear.addEventListener('click', () => this.clear());
    download.addEventListener('click', () => void this.download());
    pick.addEventListener('change', () => {
      const f = pick.files?.[0];
      if (f) void this.useImage(f);
      pick.value = '';
    });
    input.addEventListener('dragover', (e) => {
      e.preventDefault();
      input.classList.add('drag');
    });
    input.addEventListener('dragleave', () => input.classList.remove('drag'));
    input.addEventListener('drop', (e) => {
      e.preventDefault();
      input.classList.remove('drag');
      const f = [...(e.dataTransfer?.files ?? [])].find((x) => x.type.startsWith('image/'));
      if (f) void this.useImage(f);
    });
    this.addEventListener('paste', (e) => {
      const f = [...(e.clipboardData?.files ?? [])].find((x) => x.type.startsWith('image/'));
      if (!f) return;
      e.preventDefault();
      void this.useImage(f);
    });
    this.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        this.undo();
      }
    });
  }

  /** Sets both canvases to the current size, keeping the drawing (rescaled). */
  private resize(): void {
    const s = this.size;
    const { output, brush } = this.els;
    this.surface.resize(s);
    if (output.width !== s || output.height !== s) {
      output.width = s;
      output.height = s;
    }
    brush.max = String(Math.max(4, Math.round(s / 4)));
    brush.value = String(Math.max(1, Math.round(s / 24)));
    // Small models make small canvases: keep their pixels crisp when scaled up.
    this.surface.canvas.style.imageRendering = output.style.imageRendering =
      s < 128 ? 'pixelated' : 'auto';
  }

  private async useImage(image: TranslatorImage): Promise<void> {
    try {
      await this.surface.setImage(image as SurfaceImage);
      this.requestTranslate(0);
    } catch (e) {
      this.fail('input', `That image could not be read: ${(e as Error).message}`, e, false);
    }
  }

  // ---- the status line ----

  private setState(state: TranslatorState, text: string, details: string[] = []): void {
    this._state = state;
    this.setStatus(text, details);
    this.toggleAttribute('data-ready', state === 'ready');
    this.setAttribute('data-state', state);
  }

  /** The short line, and (a click away, in a `<details>`) the longer one. */
  private setStatus(text: string, details: string[] = []): void {
    renderStatus(this.els, text, details);
  }

  private showReady(): void {
    const info = this._backend!;
    this.setStatus(
      readyStatus(info, this._last?.ms),
      statusDetails(info, { loadMs: this.loadMs, lastMs: this._last?.ms, restarts: this.restarts }),
    );
  }

  private showProgress(p: DownloadProgress): void {
    renderProgress(this.els, p);
    this.dispatchEvent(new CustomEvent<TranslatorProgressDetail>('progress', { detail: { ...p } }));
  }

  private fail(kind: TranslatorErrorKind, message: string, error: unknown, fatal = true): void {
    const title = ERROR_TITLES[kind];
    this.els.error.replaceChildren(
      Object.assign(document.createElement('strong'), { textContent: title }),
      document.createTextNode(message),
    );
    this.setAttribute('data-error', kind);
    if (fatal) {
      this.lastError = error instanceof Error ? error : new Error(message);
      this.els.progress.hidden = true;
      this.setState('error', `Error: ${title}`);
      for (const w of this.readyWaiters.splice(0)) w.reject(this.lastError);
    }
    this.dispatchEvent(
      new CustomEvent<TranslatorErrorDetail>('error', {
        detail: { kind, title, message, fatal, error },
      }),
    );
  }

  private clearError(): void {
    this.els.error.replaceChildren();
    this.removeAttribute('data-error');
  }

  // ---- translating ----

  /** Translates after `delay` ms of quiet; while one runs, the next waits for it (latest wins). */
  private requestTranslate(delay = DEBOUNCE_MS): void {
    this.dirty = true;
    if (this._state !== 'ready') return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, delay);
  }

  /**
   * Runs translations while the input is dirty; one loop at a time (`busy`). `busy` is cleared by
   * a `.then` attached after the assignment: an async body with nothing to do ends synchronously,
   * and a `finally { busy = null }` inside it would run before `busy` is assigned, leaving it set
   * to a settled promise for good (every later pump() returned it, nothing was translated again,
   * and flush()'s `while (busy) await busy` spun in microtasks, freezing the page: the hang after
   * a stroke whose 40 ms debounce timer fired after a fast translation had taken its change).
   */
  private pump(): Promise<void> {
    if (this.busy) return this.busy;
    const run = async () => {
      while (this.dirty && this.p2p && this._state === 'ready') {
        this.dirty = false;
        await this.translateOnce();
      }
    };
    const busy: Promise<void> = run().then(
      () => {
        if (this.busy === busy) this.busy = null;
      },
      (e) => {
        if (this.busy === busy) this.busy = null;
        throw e;
      },
    );
    this.busy = busy;
    return busy;
  }

  /** This translation's deadline: the watchdog's least, or 20 times the slowest so far. */
  private deadline(): number {
    return Math.max(this.watchdogMs, WATCHDOG_FACTOR * this.slowestMs);
  }

  private async translateOnce(): Promise<void> {
    const p2p = this.p2p!;
    const gen = this.generation;
    const img = this.getInputImageData();
    const t0 = performance.now();
    let out: RGBAImage;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ms = this.deadline();
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    try {
      const r = await Promise.race([
        p2p.translate(
          { data: img.data, width: img.width, height: img.height, channels: 4 },
          { mode: this.mode, transfer: true },
        ),
        late,
      ]);
      if (r === 'late') {
        if (gen === this.generation) await this.replaceWorker(ms);
        return;
      }
      out = r;
    } catch (e) {
      if (gen !== this.generation) return;
      this.translateError = e;
      this.fail(
        classifyError(e, 'translate') ?? 'translate',
        `Translation failed: ${(e as Error).message}`,
        e,
        false,
      );
      return;
    } finally {
      clearTimeout(timer);
    }
    if (gen !== this.generation) return;
    const took = performance.now() - t0;
    this.slowestMs = Math.max(this.slowestMs, took);
    this.translateError = null;
    if (this.els.output.width !== out.width || this.els.output.height !== out.height) {
      this.els.output.width = out.width;
      this.els.output.height = out.height;
    }
    this.outCtx.putImageData(
      new ImageData(new Uint8ClampedArray(out.data), out.width, out.height),
      0,
      0,
    );
    this.hasOutput = true;
    this.els.download.disabled = false;
    this._last = {
      ms: took,
      backend: this._backend?.name ?? '?',
      width: out.width,
      height: out.height,
    };
    this.showReady();
    this.dispatchEvent(
      new CustomEvent<TranslatorTranslatedDetail>('translated', { detail: { ...this._last } }),
    );
  }

  /**
   * The watchdog: the worker gave no answer within `ms`. It is terminated and a fresh one started
   * from the bytes already downloaded; the input is marked for translation again. After
   * {@link RESTARTS} fresh workers that all stop answering, the widget gives up with a `timeout` error.
   */
  private async replaceWorker(ms: number): Promise<void> {
    const gen = this.generation;
    const old = this.p2p;
    this.p2p = null;
    this.restarts++;
    this.dirty = true;
    const message = `No answer from the model worker within ${formatMs(ms)}; it was stopped and a new one started (restart ${this.restarts}).`;
    console.warn(`pix2pix-translator: ${message}`);
    this.fail('timeout', message, new Pix2PixError(message, 'E_TIMEOUT'), false);
    void old?.terminate();
    if (this.restarts > RESTARTS) {
      const why = `The model worker stopped answering ${this.restarts} times (no translation within ${formatMs(ms)}); reload the page or try another backend.`;
      this.translateError = new Pix2PixError(why, 'E_TIMEOUT');
      this.fail('timeout', why, this.translateError);
      return;
    }
    this.setStatus('Restarting the model…');
    try {
      const p2p = await startWorkerModel(this.files!.workerUrl, this.init!, {
        timeoutMs: START_MS,
      });
      if (gen !== this.generation) {
        void p2p.dispose();
        return;
      }
      this.p2p = p2p;
      this.clearError();
      this.showReady();
    } catch (e) {
      if (gen !== this.generation) return;
      this.translateError = e;
      this.fail(
        classifyError(e, 'worker') ?? 'worker',
        `The model could not be restarted: ${(e as Error).message}`,
        e,
      );
    }
  }

  // ---- loading ----

  private queueLoad(): void {
    if (this.loadQueued) return;
    this.loadQueued = true;
    // Attributes set together (by the parser or a script) cause one load, not one each.
    queueMicrotask(() => {
      this.loadQueued = false;
      if (this.isConnected) void this.load();
    });
  }

  private release(): void {
    this.generation++;
    this.loadAbort?.abort();
    this.loadAbort = null;
    const p = this.p2p;
    this.p2p = null;
    void p?.dispose();
    this.files?.revoke();
    this.files = null;
    this.init = null;
  }

  private async load(): Promise<void> {
    this.release();
    const gen = this.generation;
    const stale = () => gen !== this.generation;
    this.clearError();
    this._backend = null;
    this._last = null;
    this.restarts = 0;
    this.slowestMs = 0;
    this.translateError = null;
    const src = this.getAttribute('model');
    if (!src) {
      this.fail(
        'no-model',
        'Set the "model" attribute to the URL of a pix2pix generator (.pth, a pix2pix-ts checkpoint or web weights model.json).',
        new TypeError('missing "model" attribute'),
      );
      return;
    }
    const t0 = performance.now();
    this.setState('loading', 'Downloading…');
    let request: BackendRequest;
    let overrides: Partial<WidgetArchitecture>;
    let threads: number | undefined;
    try {
      request = backendRequest(this.getAttribute('backend'));
      overrides = archOverrides((name) => this.getAttribute(name));
      const t = this.getAttribute('threads');
      if (t !== null) {
        threads = Number(t);
        if (!Number.isInteger(threads) || threads < 1)
          throw new RangeError(`Attribute "threads" must be a positive integer, got "${t}".`);
      }
    } catch (e) {
      this.fail('input', (e as Error).message, e);
      return;
    }
    const abort = new AbortController();
    this.loadAbort = abort;
    let files: DownloadedFiles;
    try {
      files = await downloadAll({
        modelUrl: new URL(src, document.baseURI).href,
        workerUrl: workerUrlFor(this.getAttribute('worker-url')),
        signal: abort.signal,
        onProgress: (p) => {
          if (!stale()) this.showProgress(p);
        },
      });
    } catch (e) {
      if (stale()) return;
      const kind = classifyError(e, 'network');
      if (kind) this.fail(kind, (e as Error).message, e);
      return;
    }
    if (stale()) {
      files.revoke();
      return;
    }
    this.files = files;
    this.els.progress.hidden = true;
    this.setStatus('Starting the model…');
    const mode = this.getAttribute('mode');
    // `weights` builds the model from the file and reads its architecture (createPix2Pix's option,
    // passed through to the worker); attributes override what the file says.
    const init: WidgetModelInit = {
      backend: request,
      ...(mode === 'eval' || mode === 'paper' ? { mode } : {}),
      weights: files.weights,
      ...(Object.keys(overrides).length
        ? { generator: overrides as WorkerModelOptions['generator'] }
        : {}),
      ...(threads ? { threads } : {}),
    };
    this.init = init;
    let p2p: WorkerPix2Pix;
    try {
      try {
        p2p = await startWorkerModel(files.workerUrl, init, {
          timeoutMs: START_MS,
          signal: abort.signal,
        });
      } catch (e) {
        // A page whose Content-Security-Policy allows no blob: workers: start from the script's URL
        // (a second download, without progress).
        if (
          (e as { code?: string }).code !== 'E_WORKER' ||
          files.workerUrl === files.scriptUrl ||
          stale()
        )
          throw e;
        files.revoke();
        this.files = files = { ...files, workerUrl: files.scriptUrl, revoke() {} };
        p2p = await startWorkerModel(files.workerUrl, init, {
          timeoutMs: START_MS,
          signal: abort.signal,
        });
      }
    } catch (e) {
      if (stale()) return;
      const kind = classifyError(e, 'format');
      if (kind) this.fail(kind, (e as Error).message, e);
      return;
    }
    if (stale()) {
      void p2p.dispose();
      return;
    }
    this.loadAbort = null;
    this.p2p = p2p;
    const g = p2p.options.generator;
    this.arch = {
      numDowns: g.numDowns,
      ngf: g.ngf,
      norm: g.norm,
      inputChannels: g.inputChannels,
      outputChannels: g.outputChannels,
    };
    this.resize();
    this._backend = p2p.backendInfo;
    this.loadMs = performance.now() - t0;
    this.setState('ready', '');
    this.showReady();
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    const detail: TranslatorReadyDetail = {
      backend: this._backend,
      architecture: { ...this.arch },
      size: this.size,
      loadMs: this.loadMs,
    };
    this.dispatchEvent(new CustomEvent<TranslatorReadyDetail>('ready', { detail }));
    this.requestTranslate(0);
  }
}

/**
 * Registers the element (once) under `name`.
 *
 * @example
 * ```ts
 * definePix2PixTranslator(); // <pix2pix-translator> now works
 * ```
 */
export function definePix2PixTranslator(
  name = 'pix2pix-translator',
): typeof Pix2PixTranslatorElement {
  if (typeof customElements === 'undefined')
    throw new Error(
      'definePix2PixTranslator needs a browser (customElements is not defined here).',
    );
  const existing = customElements.get(name);
  if (existing) return existing as unknown as typeof Pix2PixTranslatorElement;
  customElements.define(name, Pix2PixTranslatorElement as unknown as CustomElementConstructor);
  return Pix2PixTranslatorElement;
}

declare global {
  interface HTMLElementTagNameMap {
    'pix2pix-translator': Pix2PixTranslatorElement;
  }
  interface HTMLElementEventMap {
    translated: CustomEvent<TranslatorTranslatedDetail>;
  }
}
