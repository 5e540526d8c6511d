/**
 * `<pix2pix-translator>`: a drawing canvas and its live pix2pix translation, in one tag.
 *
 * The model runs in a Web Worker (`worker.js` next to this script, the library's worker: tfjs and
 * the wasm binaries load there only), so this file and its bundle hold no tfjs at all. The model
 * file is downloaded here (progress from a `ReadableStream` reader), parsed once to guess its
 * architecture and to report a wrong format early, then handed to the worker's `loadPth`, which
 * checks every key and shape.
 *
 * @example
 * ```html
 * <script src="https://unpkg.com/pix2pix-ts/dist/pix2pix-widget.min.js"></script>
 * <pix2pix-translator model="models/fonts128-u8/model.json"></pix2pix-translator>
 * ```
 */
import { WorkerPix2Pix } from '../workers/client.js';
import { BackendError, CheckpointError, StateDictMismatchError, WorkerError, type Pix2PixError } from '../core/errors.js';
import type { WorkerBackendInfo } from '../workers/protocol.js';
import type { RGBAImage } from '../core/image.js';
import type { BackendRequest } from '../backends/select.js';
import type { NormKind } from '../pix2pix/config.js';

/** The generator architecture the widget runs (read from the model file, or set by attributes). */
export interface WidgetArchitecture {
  numDowns: number;
  ngf: number;
  norm: NormKind;
  inputChannels: number;
  outputChannels: number;
}

/** Where the widget stands. */
export type TranslatorState = 'idle' | 'loading' | 'ready' | 'error';

/** What went wrong, for `error` events and the error panel. */
export type TranslatorErrorKind = 'no-model' | 'not-found' | 'network' | 'format' | 'architecture' | 'backend' | 'worker' | 'translate' | 'input';

/** `detail` of the `ready` event. */
export interface TranslatorReadyDetail {
  backend: WorkerBackendInfo;
  architecture: WidgetArchitecture;
  size: number;
  /** Model download and worker start-up, ms. */
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
  message: string;
  error: unknown;
}

/** Anything {@link Pix2PixTranslatorElement.translate} can take. */
export type TranslatorImage = ImageData | RGBAImage | Blob | ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | SVGImageElement | HTMLVideoElement;

const ATTRS = ['model', 'backend', 'size', 'mode', 'num-downs', 'ngf', 'channels', 'norm', 'worker-url', 'threads'] as const;
/** Attributes whose change needs a new model (a new worker). */
const RELOAD = new Set(['model', 'backend', 'num-downs', 'ngf', 'channels', 'norm', 'worker-url', 'threads']);
const BACKENDS = ['auto', 'wasm', 'webgl', 'webgpu', 'cpu'];
const UNDO_DEPTH = 30;
/** Translation waits for a pause this long in a stroke (a running one is never interrupted). */
const DEBOUNCE_MS = 40;

// The script's own URL, captured while it runs: rollup's IIFE output turns this into
// `document.currentScript.src`, which is null after start-up.
const SCRIPT_URL: string = (() => {
  try {
    return String(import.meta.url);
  } catch {
    return typeof document !== 'undefined' ? document.baseURI : '';
  }
})();

/** The worker script URL: `worker.js` beside this script unless the `worker-url` attribute says otherwise. */
function workerUrlFor(attr: string | null): string {
  const url = new URL(attr ?? './worker.js', attr ? document.baseURI : SCRIPT_URL);
  // Module workers must be same-origin; a script from a CDN starts its worker through a same-origin
  // blob that imports it (the CDN must send CORS headers, as script CDNs do).
  if (url.origin === location.origin || url.protocol === 'blob:' || url.protocol === 'data:') return url.href;
  return URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' }));
}

const STYLE = `
:host { display: block; font: 14px/1.4 system-ui, sans-serif; color: #1b1b1f; --p2p-accent: #3056d3; --p2p-border: #c9ccd4; --p2p-bg: #fff; }
:host([hidden]) { display: none; }
.root { display: grid; gap: 10px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
.toolbar button, .toolbar .file { font: inherit; padding: 5px 10px; border: 1px solid var(--p2p-border); border-radius: 6px; background: #f6f7f9; color: inherit; cursor: pointer; }
.toolbar button:hover, .toolbar .file:hover { background: #eceef2; }
.toolbar button:focus-visible, .toolbar .file:focus-within, canvas:focus-visible, input:focus-visible { outline: 2px solid var(--p2p-accent); outline-offset: 2px; }
.toolbar button[aria-pressed="true"] { background: #dfe6fb; border-color: var(--p2p-accent); }
.toolbar button:disabled { opacity: .5; cursor: default; }
.file input { position: absolute; width: 1px; height: 1px; opacity: 0; }
.toolbar label { display: inline-flex; gap: 6px; align-items: center; }
.panes { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 200px), 1fr)); }
figure { margin: 0; display: grid; gap: 4px; }
figcaption { font-size: 12px; color: #5b5e66; }
canvas { width: 100%; aspect-ratio: 1; border: 1px solid var(--p2p-border); border-radius: 6px; background: var(--p2p-bg); image-rendering: auto; box-sizing: border-box; }
canvas.input { touch-action: none; cursor: crosshair; }
canvas.input.drag { border-color: var(--p2p-accent); border-style: dashed; }
.status { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: #5b5e66; min-height: 1.4em; align-items: center; }
.status progress { width: 140px; }
.error { border: 1px solid #e2a39d; background: #fdf0ef; color: #8c1d18; border-radius: 6px; padding: 8px 10px; }
.error strong { display: block; }
.error:empty { display: none; }
@media (max-width: 420px) { .toolbar { gap: 4px 6px; } .toolbar button, .toolbar .file { padding: 4px 8px; } }
`;

const TEMPLATE = `
<div class="root" part="root">
  <div class="toolbar" part="toolbar" role="toolbar" aria-label="Drawing tools">
    <label>Brush <input class="brush" type="range" min="1" max="32" value="6" aria-label="Brush size in pixels"></label>
    <label>Colour <input class="color" type="color" value="#000000" aria-label="Brush colour"></label>
    <button type="button" class="eraser" aria-pressed="false">Eraser</button>
    <button type="button" class="undo" disabled>Undo</button>
    <button type="button" class="clear">Clear</button>
    <span class="file" part="file-button"><label>Image…<input class="pick" type="file" accept="image/*" aria-label="Choose an input image"></label></span>
    <button type="button" class="download" disabled>Download PNG</button>
  </div>
  <div class="panes">
    <figure><canvas class="input" tabindex="0" role="img" aria-label="Input drawing: draw with a mouse, pen or finger, or drop or paste an image" part="input"></canvas><figcaption>Input — draw, drop, paste or choose an image</figcaption></figure>
    <figure><canvas class="output" role="img" aria-label="Translated output" part="output"></canvas><figcaption>Output</figcaption></figure>
  </div>
  <div class="status" part="status" role="status" aria-live="polite"><span class="state">Idle</span><progress hidden max="1" value="0"></progress><span class="backend"></span><span class="latency"></span></div>
  <div class="error" part="error" role="alert"></div>
</div>`;

const Base: typeof HTMLElement = typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

const fmtMB = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 2 : 1)} MB`;

/**
 * The `<pix2pix-translator>` custom element. Attributes: `model` (URL of a generator `.pth`),
 * `backend` (`auto`, `wasm`, `webgl`, `webgpu`, `cpu`, or a comma list), `size` (input side in
 * pixels; default 2^numDowns of the model), `mode` (`eval` | `paper`), and, to override what is
 * read from the file, `num-downs`, `ngf`, `channels` (`1`, `3`, or `in,out`), `norm`; `worker-url`
 * and `threads` for deployment. Events: `ready`, `translated`, `error` (details typed above).
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
    return ATTRS;
  }

  private root!: ShadowRoot;
  private els!: {
    input: HTMLCanvasElement; output: HTMLCanvasElement; brush: HTMLInputElement; color: HTMLInputElement; eraser: HTMLButtonElement; undo: HTMLButtonElement;
    clear: HTMLButtonElement; pick: HTMLInputElement; download: HTMLButtonElement; state: HTMLElement; progress: HTMLProgressElement; backend: HTMLElement; latency: HTMLElement; error: HTMLElement;
  };
  private inCtx!: CanvasRenderingContext2D;
  private outCtx!: CanvasRenderingContext2D;
  private p2p: WorkerPix2Pix | null = null;
  private arch: WidgetArchitecture | null = null;
  private generation = 0;
  private loadQueued = false;
  private _state: TranslatorState = 'idle';
  private _backend: WorkerBackendInfo | null = null;
  private _last: TranslatorTranslatedDetail | null = null;
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private undoStack: ImageData[] = [];
  private erasing = false;
  private stroke: { id: number; x: number; y: number } | null = null;
  private busy: Promise<void> | null = null;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hasOutput = false;
  private lastError: unknown = null;

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
    if (RELOAD.has(name)) this.queueLoad();
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
    await this.setInput(image);
    return this.flush();
  }

  /**
   * Waits for the pending translation (if any) and returns the output pixels.
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
      await this.pump();
    }
    while (this.busy) await this.busy;
    return this.getOutputImageData();
  }

  /** The input canvas's pixels (what the model is given). */
  getInputImageData(): ImageData {
    return this.inCtx.getImageData(0, 0, this.els.input.width, this.els.input.height);
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
    const blob = await new Promise<Blob>((resolve, reject) => this.els.output.toBlob((b) => (b ? resolve(b) : reject(new Error('The output canvas could not be encoded as PNG.'))), 'image/png'));
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    return blob;
  }

  /** Clears the input to white (undoable) and translates. */
  clear(): void {
    this.pushUndo();
    this.fillWhite();
    this.requestTranslate(0);
  }

  /** Undoes the last stroke, clear or image. */
  undo(): void {
    const prev = this.undoStack.pop();
    if (!prev) return;
    this.resizeCanvas(this.els.input, prev.width);
    this.inCtx.putImageData(prev, 0, 0);
    this.els.undo.disabled = !this.undoStack.length;
    this.requestTranslate(0);
  }

  // ---- building the DOM ----

  private build(): void {
    this.root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    const tpl = document.createElement('template');
    tpl.innerHTML = TEMPLATE;
    this.root.append(style, tpl.content.cloneNode(true));
    const $ = <T extends Element>(sel: string) => this.root.querySelector(sel) as T;
    this.els = {
      input: $('canvas.input'), output: $('canvas.output'), brush: $('.brush'), color: $('.color'), eraser: $('.eraser'), undo: $('.undo'), clear: $('.clear'),
      pick: $('.pick'), download: $('.download'), state: $('.state'), progress: $('progress'), backend: $('.backend'), latency: $('.latency'), error: $('.error'),
    };
    this.inCtx = this.els.input.getContext('2d', { willReadFrequently: true })!;
    this.outCtx = this.els.output.getContext('2d', { willReadFrequently: true })!;
    this.resize();
    this.fillWhite();

    const { input, eraser, undo, clear, pick, download } = this.els;
    input.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    input.addEventListener('pointermove', (e) => this.onPointerMove(e));
    for (const t of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) input.addEventListener(t, (e) => this.onPointerUp(e));
    eraser.addEventListener('click', () => {
      this.erasing = !this.erasing;
      eraser.setAttribute('aria-pressed', String(this.erasing));
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

  private resizeCanvas(c: HTMLCanvasElement, size: number): void {
    if (c.width !== size || c.height !== size) {
      c.width = size;
      c.height = size;
    }
  }

  /** Sets both canvases to the current size, keeping the drawing (rescaled). */
  private resize(): void {
    const s = this.size;
    const { input, output, brush } = this.els;
    if (input.width !== s) {
      const old = input.width && input.height ? this.snapshotCanvas() : null;
      this.resizeCanvas(input, s);
      this.fillWhite();
      if (old) this.inCtx.drawImage(old, 0, 0, s, s);
    }
    this.resizeCanvas(output, s);
    brush.max = String(Math.max(4, Math.round(s / 4)));
    brush.value = String(Math.max(1, Math.round(s / 24)));
    // Small models make small canvases: keep their pixels crisp when scaled up.
    input.style.imageRendering = output.style.imageRendering = s < 128 ? 'pixelated' : 'auto';
  }

  private snapshotCanvas(): HTMLCanvasElement {
    const c = document.createElement('canvas');
    c.width = this.els.input.width;
    c.height = this.els.input.height;
    c.getContext('2d')!.drawImage(this.els.input, 0, 0);
    return c;
  }

  private fillWhite(): void {
    this.inCtx.save();
    this.inCtx.fillStyle = '#fff';
    this.inCtx.fillRect(0, 0, this.els.input.width, this.els.input.height);
    this.inCtx.restore();
  }

  private pushUndo(): void {
    this.undoStack.push(this.getInputImageData());
    if (this.undoStack.length > UNDO_DEPTH) this.undoStack.shift();
    this.els.undo.disabled = false;
  }

  // ---- drawing ----

  private toCanvas(e: PointerEvent): { x: number; y: number } {
    const r = this.els.input.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.els.input.width, y: ((e.clientY - r.top) / r.height) * this.els.input.height };
  }

  private lineWidth(e: PointerEvent): number {
    const base = Number(this.els.brush.value) || 1;
    // A pen's pressure (0..1, 0.5 when unsupported) scales the brush; mice and fingers draw at size.
    return e.pointerType === 'pen' && e.pressure > 0 ? base * (0.4 + 1.2 * e.pressure) : base;
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.stroke) return;
    e.preventDefault();
    this.els.input.focus({ preventScroll: true });
    try {
      // Keeps the stroke when the pointer leaves the canvas; synthetic events have no capturable pointer.
      this.els.input.setPointerCapture(e.pointerId);
    } catch { /* draw without capture */ }
    this.pushUndo();
    const p = this.toCanvas(e);
    this.stroke = { id: e.pointerId, ...p };
    this.drawSegment(p, p, this.lineWidth(e));
    this.requestTranslate();
  }

  private onPointerMove(e: PointerEvent): void {
    if (!this.stroke || e.pointerId !== this.stroke.id) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = this.toCanvas(ev);
      this.drawSegment(this.stroke, p, this.lineWidth(ev));
      this.stroke.x = p.x;
      this.stroke.y = p.y;
    }
    this.requestTranslate();
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.stroke || e.pointerId !== this.stroke.id) return;
    this.stroke = null;
    this.requestTranslate(0);
  }

  private drawSegment(a: { x: number; y: number }, b: { x: number; y: number }, width: number): void {
    const ctx = this.inCtx;
    ctx.save();
    ctx.strokeStyle = this.erasing ? '#fff' : this.els.color.value;
    ctx.lineWidth = width;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    // A click (no movement) still leaves a dot.
    ctx.lineTo(b.x + (a.x === b.x && a.y === b.y ? 0.01 : 0), b.y);
    ctx.stroke();
    ctx.restore();
  }

  // ---- images in ----

  private async useImage(image: TranslatorImage): Promise<void> {
    try {
      await this.setInput(image);
      this.requestTranslate(0);
    } catch (e) {
      this.fail('input', `That image could not be read: ${(e as Error).message}`, e, false);
    }
  }

  private async setInput(image: TranslatorImage): Promise<void> {
    const s = this.size;
    let source: CanvasImageSource;
    let w: number;
    let h: number;
    if ('data' in image && 'width' in image && !(image instanceof Blob)) {
      const c = document.createElement('canvas');
      c.width = image.width;
      c.height = image.height;
      c.getContext('2d')!.putImageData(image instanceof ImageData ? image : new ImageData(Uint8ClampedArray.from(image.data), image.width, image.height), 0, 0);
      source = c;
      w = image.width;
      h = image.height;
    } else {
      const bmp = image instanceof Blob ? await createImageBitmap(image) : image;
      source = bmp as CanvasImageSource;
      w = (bmp as { naturalWidth?: number }).naturalWidth || (bmp as { videoWidth?: number }).videoWidth || (bmp as { width: number }).width;
      h = (bmp as { naturalHeight?: number }).naturalHeight || (bmp as { videoHeight?: number }).videoHeight || (bmp as { height: number }).height;
    }
    if (!w || !h) throw new RangeError('The image has no pixels (width or height 0).');
    this.pushUndo();
    this.fillWhite();
    // Fit inside the square, centred, keeping the aspect ratio: what the model sees is never stretched.
    const k = Math.min(s / w, s / h);
    const dw = w * k;
    const dh = h * k;
    if (w === s && h === s) this.inCtx.drawImage(source, 0, 0);
    else this.inCtx.drawImage(source, (s - dw) / 2, (s - dh) / 2, dw, dh);
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

  private pump(): Promise<void> {
    if (this.busy) return this.busy;
    this.busy = (async () => {
      try {
        while (this.dirty && this.p2p && this._state === 'ready') {
          this.dirty = false;
          await this.translateOnce();
        }
      } finally {
        this.busy = null;
      }
    })();
    return this.busy;
  }

  private async translateOnce(): Promise<void> {
    const p2p = this.p2p!;
    const gen = this.generation;
    const img = this.getInputImageData();
    const t0 = performance.now();
    let out: RGBAImage;
    try {
      out = await p2p.translate({ data: img.data, width: img.width, height: img.height, channels: 4 }, { mode: this.mode, transfer: true });
    } catch (e) {
      if (gen === this.generation) this.fail(e instanceof WorkerError ? 'worker' : 'translate', `Translation failed: ${(e as Error).message}`, e, false);
      return;
    }
    if (gen !== this.generation) return;
    const ms = performance.now() - t0;
    this.resizeCanvas(this.els.output, out.width);
    this.outCtx.putImageData(new ImageData(new Uint8ClampedArray(out.data), out.width, out.height), 0, 0);
    this.hasOutput = true;
    this.els.download.disabled = false;
    this._last = { ms, backend: this._backend?.name ?? '?', width: out.width, height: out.height };
    this.els.latency.textContent = `last translation ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
    this.dispatchEvent(new CustomEvent<TranslatorTranslatedDetail>('translated', { detail: { ...this._last } }));
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
    const p = this.p2p;
    this.p2p = null;
    void p?.dispose();
  }

  private setState(state: TranslatorState, text: string): void {
    this._state = state;
    this.els.state.textContent = text;
    this.toggleAttribute('data-ready', state === 'ready');
    this.setAttribute('data-state', state);
  }

  private fail(kind: TranslatorErrorKind, message: string, error: unknown, fatal = true): void {
    const title = {
      'no-model': 'No model', 'not-found': 'Model not found', network: 'Model download failed', format: 'Not a model file', architecture: 'Unsupported model',
      backend: 'No usable backend', worker: 'The model worker stopped', translate: 'Translation failed', input: 'Image not usable',
    }[kind];
    this.els.error.replaceChildren(Object.assign(document.createElement('strong'), { textContent: title }), document.createTextNode(message));
    this.setAttribute('data-error', kind);
    if (fatal) {
      this.lastError = error instanceof Error ? error : new Error(message);
      this.els.progress.hidden = true;
      this.setState('error', 'Error');
      for (const w of this.readyWaiters.splice(0)) w.reject(error instanceof Error ? error : new Error(message));
    }
    this.dispatchEvent(new CustomEvent<TranslatorErrorDetail>('error', { detail: { kind, message, error } }));
  }

  private clearError(): void {
    this.els.error.replaceChildren();
    this.removeAttribute('data-error');
  }

  /** Architecture options given as attributes, on top of what the file says. */
  private archOverrides(): Partial<WidgetArchitecture> {
    const o: Partial<WidgetArchitecture> = {};
    const int = (name: string) => {
      const v = this.getAttribute(name);
      if (v === null) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`Attribute "${name}" must be a positive integer, got "${v}".`);
      return n;
    };
    const nd = int('num-downs');
    if (nd !== undefined) o.numDowns = nd;
    const ngf = int('ngf');
    if (ngf !== undefined) o.ngf = ngf;
    const ch = this.getAttribute('channels');
    if (ch !== null) {
      const parts = ch.split(',').map((s) => Number(s.trim()));
      if (!parts.length || parts.length > 2 || parts.some((n) => n !== 1 && n !== 3)) throw new RangeError(`Attribute "channels" must be "1", "3", or "in,out" with 1 or 3 each, got "${ch}".`);
      o.inputChannels = parts[0];
      o.outputChannels = parts[1] ?? parts[0];
    }
    const norm = this.getAttribute('norm');
    if (norm !== null) {
      if (!['batch', 'instance', 'none'].includes(norm)) throw new RangeError(`Attribute "norm" must be one of batch, instance, none, got "${norm}".`);
      o.norm = norm as WidgetArchitecture['norm'];
    }
    return o;
  }

  private backendRequest(): BackendRequest {
    const raw = (this.getAttribute('backend') ?? 'auto').trim() || 'auto';
    const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = names.filter((n) => !BACKENDS.includes(n));
    if (bad.length) throw new RangeError(`Attribute "backend" got "${bad.join(', ')}"; expected auto or one of wasm, webgl, webgpu, cpu (or a comma-separated list).`);
    return (names.length === 1 ? names[0] : names) as BackendRequest;
  }

  private async fetchModel(url: string, gen: number): Promise<Uint8Array> {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw Object.assign(new Error(`Could not download ${url}: ${(e as Error).message}. Check the URL and, for another origin, its CORS headers.`, { cause: e }), { kind: 'network' as const });
    }
    if (res.status === 404) throw Object.assign(new Error(`${url} answered HTTP 404: there is no model file there. Check the "model" attribute.`), { kind: 'not-found' as const });
    if (!res.ok) throw Object.assign(new Error(`${url} answered HTTP ${res.status} ${res.statusText}; expected 200 with the model file.`), { kind: 'network' as const });
    const total = Number(res.headers.get('content-length')) || 0;
    const { progress } = this.els;
    progress.hidden = false;
    progress.removeAttribute('value');
    if (!res.body) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (gen !== this.generation) {
        void reader.cancel();
        throw Object.assign(new Error('superseded'), { kind: 'superseded' as const });
      }
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (total) progress.value = Math.min(1, loaded / total);
      this.els.state.textContent = `Downloading model ${fmtMB(loaded)}${total ? ` / ${fmtMB(total)}` : ''}`;
    }
    const bytes = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.length;
    }
    progress.value = 1;
    // Static hosts and dev servers often answer a missing file with their HTML page and a 200.
    const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart();
    if (!bytes.length || head.startsWith('<')) {
      throw Object.assign(new Error(`${url} is ${bytes.length ? 'an HTML/XML document (perhaps the site\'s page for a missing file)' : 'empty'}, not a model file. Expected a PyTorch .pth, a pix2pix-ts checkpoint or web weights.`), { kind: 'format' as const });
    }
    return bytes;
  }

  private async load(): Promise<void> {
    this.release();
    const gen = this.generation;
    const stale = () => gen !== this.generation;
    this.clearError();
    this._backend = null;
    this.els.backend.textContent = '';
    const src = this.getAttribute('model');
    if (!src) {
      this.fail('no-model', 'Set the "model" attribute to the URL of a pix2pix generator (.pth, a pix2pix-ts checkpoint or web weights model.json).', new TypeError('missing "model" attribute'));
      return;
    }
    const t0 = performance.now();
    this.setState('loading', 'Downloading model…');
    let request: BackendRequest;
    let overrides: Partial<WidgetArchitecture>;
    try {
      request = this.backendRequest();
      overrides = this.archOverrides();
    } catch (e) {
      this.fail('input', (e as Error).message, e);
      return;
    }
    const url = new URL(src, document.baseURI).href;
    // Web weights (model.json + shards) are fetched by the worker itself; one file is fetched here,
    // with progress, and its bytes handed over.
    let weights: Uint8Array | string = url;
    if (!/\.json([?#].*)?$/i.test(url)) {
      try {
        weights = await this.fetchModel(url, gen);
      } catch (e) {
        const kind = (e as { kind?: string }).kind;
        if (kind === 'superseded' || stale()) return;
        this.fail(kind === 'not-found' ? 'not-found' : kind === 'format' ? 'format' : 'network', (e as Error).message, e);
        return;
      }
    }
    if (stale()) return;
    this.els.progress.hidden = true;
    this.setState('loading', 'Starting the model…');
    const threadsAttr = this.getAttribute('threads');
    const mode = this.getAttribute('mode');
    let p2p: WorkerPix2Pix;
    try {
      // `weights` builds the model from the file and reads its architecture (createPix2Pix's
      // option, passed through to the worker); attributes override what the file says.
      const init = {
        workerUrl: workerUrlFor(this.getAttribute('worker-url')),
        backend: request,
        ...(mode === 'eval' || mode === 'paper' ? { mode } : {}),
        weights,
        ...(Object.keys(overrides).length ? { generator: overrides } : {}),
        ...(threadsAttr ? { threads: Number(threadsAttr) } : {}),
        transfer: true,
      };
      p2p = await WorkerPix2Pix.create(init as Parameters<typeof WorkerPix2Pix.create>[0]);
    } catch (e) {
      if (stale()) return;
      const code = (e as Pix2PixError).code;
      const kind: TranslatorErrorKind = e instanceof BackendError ? 'backend' : code === 'E_ARCHITECTURE' || e instanceof StateDictMismatchError ? 'architecture' : e instanceof CheckpointError ? 'format' : e instanceof WorkerError ? 'worker' : 'format';
      this.fail(kind, (e as Error).message, e);
      return;
    }
    if (stale()) {
      void p2p.dispose();
      return;
    }
    this.p2p = p2p;
    const g = p2p.options.generator;
    this.arch = { numDowns: g.numDowns, ngf: g.ngf, norm: g.norm, inputChannels: g.inputChannels, outputChannels: g.outputChannels };
    this.resize();
    const info = p2p.backendInfo;
    this._backend = info;
    this.els.backend.textContent = `${info.name}${info.threads > 1 ? ` · ${info.threads} threads` : ''} — ${info.reason}`;
    this.els.backend.title = info.reason;
    this.setState('ready', 'Ready');
    for (const w of this.readyWaiters.splice(0)) w.resolve();
    const detail: TranslatorReadyDetail = { backend: info, architecture: { ...this.arch }, size: this.size, loadMs: performance.now() - t0 };
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
export function definePix2PixTranslator(name = 'pix2pix-translator'): typeof Pix2PixTranslatorElement {
  if (typeof customElements === 'undefined') throw new Error('definePix2PixTranslator needs a browser (customElements is not defined here).');
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
