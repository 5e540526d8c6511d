/**
 * The widget's drawing surface: one square canvas that people draw on with a mouse, pen (pressure
 * scales the brush) or finger, with an eraser, undo, clear, and images fitted into it. It knows
 * nothing of models: it calls `onChange` when its pixels change (`settled` false while a stroke
 * goes on, true when it ends or after a one-off change such as undo).
 *
 * @example
 * ```ts
 * const surface = new DrawingSurface(canvas, { brush: () => 6, color: () => '#000', onChange: (settled) => translate(settled) });
 * surface.resize(128);
 * await surface.setImage(blob);
 * ```
 */

/** Images the surface can take: pixels, or anything `drawImage` / `createImageBitmap` takes. */
export type SurfaceImage =
  | ImageData
  | { data: ArrayLike<number>; width: number; height: number }
  | Blob
  | ImageBitmap
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | SVGImageElement
  | HTMLVideoElement;

/** Options of {@link DrawingSurface}. */
export interface DrawingSurfaceOptions {
  /** Brush width in canvas pixels, read at each segment. */
  brush: () => number;
  /** Ink colour, read at each segment. */
  color: () => string;
  /** Called after the pixels changed; `settled` is false during a stroke. */
  onChange: (settled: boolean) => void;
  /** Called when undo becomes (un)available. */
  onUndoable?: (canUndo: boolean) => void;
  /** Undo steps kept. @defaultValue 30 */
  undoDepth?: number;
}

/**
 * A square drawing canvas with undo. See the module comment.
 *
 * @example
 * ```ts
 * surface.erasing = true;
 * surface.undo();
 * ```
 */
export class DrawingSurface {
  /** Draw in white (erase) instead of the colour. */
  erasing = false;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly opts: DrawingSurfaceOptions;
  private readonly undoStack: ImageData[] = [];
  private stroke: { id: number; x: number; y: number } | null = null;

  constructor(canvas: HTMLCanvasElement, opts: DrawingSurfaceOptions) {
    this.canvas = canvas;
    this.opts = opts;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    canvas.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    for (const t of ['pointerup', 'pointercancel', 'lostpointercapture'] as const)
      canvas.addEventListener(t, (e) => this.onPointerUp(e));
  }

  /** Side of the square, in pixels. */
  get size(): number {
    return this.canvas.width;
  }

  /** Whether a stroke is being drawn. */
  get drawing(): boolean {
    return this.stroke !== null;
  }

  /** Sets the side to `size`, keeping the drawing (rescaled); a new surface starts white. */
  resize(size: number): void {
    const c = this.canvas;
    if (c.width === size && c.height === size) return;
    const old = c.width && c.height ? this.snapshot() : null;
    c.width = size;
    c.height = size;
    this.fillWhite();
    if (old) this.ctx.drawImage(old, 0, 0, size, size);
  }

  /** The pixels (what the model is given). */
  imageData(): ImageData {
    return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Clears to white (undoable). */
  clear(): void {
    this.pushUndo();
    this.fillWhite();
    this.opts.onChange(true);
  }

  /** Undoes the last stroke, clear or image; false when there is nothing to undo. */
  undo(): boolean {
    const prev = this.undoStack.pop();
    if (!prev) return false;
    if (this.canvas.width !== prev.width) {
      this.canvas.width = prev.width;
      this.canvas.height = prev.height;
    }
    this.ctx.putImageData(prev, 0, 0);
    this.opts.onUndoable?.(this.undoStack.length > 0);
    this.opts.onChange(true);
    return true;
  }

  /**
   * Puts an image in (undoable), fitted inside the square on white, centred, keeping its aspect
   * ratio (what the model sees is never stretched). Does not call `onChange`: the caller decides
   * when to translate.
   */
  async setImage(image: SurfaceImage): Promise<void> {
    const s = this.size;
    let source: CanvasImageSource;
    let w: number;
    let h: number;
    if ('data' in image && 'width' in image && !(image instanceof Blob)) {
      const c = document.createElement('canvas');
      c.width = image.width;
      c.height = image.height;
      const pixels =
        image instanceof ImageData
          ? image
          : new ImageData(Uint8ClampedArray.from(image.data), image.width, image.height);
      c.getContext('2d')!.putImageData(pixels, 0, 0);
      source = c;
      w = image.width;
      h = image.height;
    } else {
      const bmp = image instanceof Blob ? await createImageBitmap(image) : image;
      source = bmp as CanvasImageSource;
      const dims = bmp as {
        naturalWidth?: number;
        naturalHeight?: number;
        videoWidth?: number;
        videoHeight?: number;
        width: number;
        height: number;
      };
      w = dims.naturalWidth || dims.videoWidth || dims.width;
      h = dims.naturalHeight || dims.videoHeight || dims.height;
    }
    if (!w || !h) throw new RangeError('The image has no pixels (width or height 0).');
    this.pushUndo();
    this.fillWhite();
    const k = Math.min(s / w, s / h);
    if (w === s && h === s) this.ctx.drawImage(source, 0, 0);
    else this.ctx.drawImage(source, (s - w * k) / 2, (s - h * k) / 2, w * k, h * k);
  }

  private snapshot(): HTMLCanvasElement {
    const c = document.createElement('canvas');
    c.width = this.canvas.width;
    c.height = this.canvas.height;
    c.getContext('2d')!.drawImage(this.canvas, 0, 0);
    return c;
  }

  private fillWhite(): void {
    this.ctx.save();
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.restore();
  }

  private pushUndo(): void {
    this.undoStack.push(this.imageData());
    if (this.undoStack.length > (this.opts.undoDepth ?? 30)) this.undoStack.shift();
    this.opts.onUndoable?.(true);
  }

  private toCanvas(e: PointerEvent): { x: number; y: number } {
    const r = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - r.left) / r.width) * this.canvas.width,
      y: ((e.clientY - r.top) / r.height) * this.canvas.height,
    };
  }

  private lineWidth(e: PointerEvent): number {
    const base = this.opts.brush() || 1;
    // A pen's pressure (0..1, 0.5 when unsupported) scales the brush; mice and fingers draw at size.
    return e.pointerType === 'pen' && e.pressure > 0 ? base * (0.4 + 1.2 * e.pressure) : base;
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0 || this.stroke) return;
    e.preventDefault();
    this.canvas.focus({ preventScroll: true });
    try {
      // Keeps the stroke when the pointer leaves the canvas; synthetic events have no capturable pointer.
      this.canvas.setPointerCapture(e.pointerId);
    } catch {
      /* draw without capture */
    }
    this.pushUndo();
    const p = this.toCanvas(e);
    this.stroke = { id: e.pointerId, ...p };
    this.drawSegment(p, p, this.lineWidth(e));
    this.opts.onChange(false);
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
    this.opts.onChange(false);
  }

  private onPointerUp(e: PointerEvent): void {
    if (!this.stroke || e.pointerId !== this.stroke.id) return;
    this.stroke = null;
    this.opts.onChange(true);
  }

  private drawSegment(
    a: { x: number; y: number },
    b: { x: number; y: number },
    width: number,
  ): void {
    const ctx = this.ctx;
    ctx.save();
    ctx.strokeStyle = this.erasing ? '#fff' : this.opts.color();
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
}
