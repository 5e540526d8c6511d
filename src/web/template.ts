/** The shadow DOM of `<pix2pix-translator>`: its style sheet and markup (parts named for `::part`). */

/** The element's style sheet (custom properties `--p2p-accent`, `--p2p-border`, `--p2p-bg`). */
export const WIDGET_STYLE = `
:host { display: block; font: 14px/1.4 system-ui, sans-serif; color: #1b1b1f; --p2p-accent: #3056d3; --p2p-border: #c9ccd4; --p2p-bg: #fff; }
:host([hidden]) { display: none; }
.root { display: grid; gap: 10px; }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
.toolbar button, .toolbar .file { font: inherit; padding: 5px 10px; border: 1px solid var(--p2p-border); border-radius: 6px; background: #f6f7f9; color: inherit; cursor: pointer; }
.toolbar button:hover, .toolbar .file:hover { background: #eceef2; }
.toolbar button:focus-visible, .toolbar .file:focus-within, canvas:focus-visible, input:focus-visible, summary:focus-visible { outline: 2px solid var(--p2p-accent); outline-offset: 2px; }
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
.status { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; color: #5b5e66; min-height: 1.4em; align-items: baseline; }
.status progress { width: 140px; }
.status details { flex: 1 1 100%; }
.status summary { cursor: pointer; width: fit-content; }
.status details:not(.more) summary { cursor: default; list-style: none; }
.status details:not(.more) summary::-webkit-details-marker { display: none; }
.status .more-hint { color: var(--p2p-accent); margin-left: 6px; }
.status details:not(.more) .more-hint, .status details[open] .more-hint { display: none; }
.status ul { margin: 4px 0 0; padding-left: 18px; overflow-wrap: anywhere; }
.error { border: 1px solid #e2a39d; background: #fdf0ef; color: #8c1d18; border-radius: 6px; padding: 8px 10px; overflow-wrap: anywhere; }
.error strong { display: block; }
.error:empty { display: none; }
@media (max-width: 420px) { .toolbar { gap: 4px 6px; } .toolbar button, .toolbar .file { padding: 4px 8px; } }
`;

/** The element's markup. */
export const WIDGET_TEMPLATE = `
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
  <div class="status" part="status" role="status" aria-live="polite">
    <progress hidden max="1" value="0"></progress>
    <details class="about" part="status-details"><summary><span class="state">Idle</span><span class="more-hint">details</span></summary><ul class="details"></ul></details>
  </div>
  <div class="error" part="error" role="alert"></div>
</div>`;
