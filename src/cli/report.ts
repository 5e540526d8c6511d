/**
 * Training outputs a person can look at: sample grids (input | output | target) as PNG, a loss
 * curve (SVG, and PNG through sharp), and an HTML report that shows them with the figures.
 */
import { writeFile } from 'node:fs/promises';
import { makeDirs, nodeFs } from '../core/io/index.js';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FloatImage } from '../core/image.js';
import type { LossRecord } from '../pix2pix/trainer.js';

/** Float image in [-1, 1] -> 8-bit gray or RGB buffer. */
function to8(img: FloatImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round((Math.min(1, Math.max(-1, img.data[i])) + 1) * 127.5);
  return out;
}

/**
 * Writes a PNG grid: one row per sample, columns as given (e.g. input, output, target), with a
 * 2-pixel gap. Images of different sizes are placed top-left in cells of the largest size;
 * 1-channel images are shown as gray.
 *
 * @example
 * ```ts
 * await writeGrid('samples.png', [[a, out, b]]);
 * ```
 */
export async function writeGrid(path: string, rows: FloatImage[][], scale = 1): Promise<void> {
  const all = rows.flat();
  const w = Math.max(...all.map((i) => i.width));
  const h = Math.max(...all.map((i) => i.height));
  const cols = Math.max(...rows.map((r) => r.length));
  const gap = 2;
  const W = cols * w + (cols + 1) * gap;
  const H = rows.length * h + (rows.length + 1) * gap;
  const canvas = new Uint8Array(W * H * 3).fill(200);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      const px = to8(img);
      const ch = img.channels;
      for (let y = 0; y < img.height; y++)
        for (let x = 0; x < img.width; x++) {
          const o = ((gap + r * (h + gap) + y) * W + gap + c * (w + gap) + x) * 3;
          for (let k = 0; k < 3; k++)
            canvas[o + k] = px[(y * img.width + x) * ch + (ch === 1 ? 0 : k)];
        }
    }),
  );
  let img = sharp(canvas, { raw: { width: W, height: H, channels: 3 } });
  if (scale !== 1) img = img.resize(W * scale, H * scale, { kernel: 'nearest' });
  await img.png().toFile(path);
}

/** Moving average over a window (for readable loss curves). */
function smooth(values: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= window) sum -= values[i - window];
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

/**
 * An SVG line chart of the four losses (G_L1 on its own axis, as it is ~100x the others).
 *
 * @example
 * ```ts
 * const svg = lossCurveSvg(state.history);
 * ```
 */
export function lossCurveSvg(history: LossRecord[], width = 760, height = 320): string {
  const pad = { l: 50, r: 50, t: 20, b: 30 };
  const n = history.length;
  const win = Math.max(1, Math.round(n / 50));
  const series = {
    D_real: smooth(
      history.map((h) => h.D_real),
      win,
    ),
    D_fake: smooth(
      history.map((h) => h.D_fake),
      win,
    ),
    G_GAN: smooth(
      history.map((h) => h.G_GAN),
      win,
    ),
    G_L1: smooth(
      history.map((h) => h.G_L1),
      win,
    ),
  };
  const colors: Record<string, string> = {
    D_real: '#1f77b4',
    D_fake: '#ff7f0e',
    G_GAN: '#2ca02c',
    G_L1: '#d62728',
  };
  const leftMax = Math.max(1e-6, ...series.D_real, ...series.D_fake, ...series.G_GAN) * 1.05;
  const rightMax = Math.max(1e-6, ...series.G_L1) * 1.05;
  const x = (i: number): number => pad.l + (n > 1 ? (i / (n - 1)) * (width - pad.l - pad.r) : 0);
  const y = (v: number, max: number): number =>
    height - pad.b - (v / max) * (height - pad.t - pad.b);
  const line = (vals: number[], max: number, color: string): string =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${vals.map((v, i) => `${x(i).toFixed(1)},${y(v, max).toFixed(1)}`).join(' ')}"/>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...ticks.map(
      (t) =>
        `<line x1="${pad.l}" x2="${width - pad.r}" y1="${y(t * leftMax, leftMax)}" y2="${y(t * leftMax, leftMax)}" stroke="#eee"/>` +
        `<text x="${pad.l - 4}" y="${y(t * leftMax, leftMax) + 4}" text-anchor="end">${(t * leftMax).toFixed(2)}</text>` +
        `<text x="${width - pad.r + 4}" y="${y(t * rightMax, rightMax) + 4}" fill="${colors.G_L1}">${(t * rightMax).toFixed(1)}</text>`,
    ),
    line(series.D_real, leftMax, colors.D_real),
    line(series.D_fake, leftMax, colors.D_fake),
    line(series.G_GAN, leftMax, colors.G_GAN),
    line(series.G_L1, rightMax, colors.G_L1),
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle">step (1..${n}; moving average over ${win})</text>`,
    ...Object.entries(colors).map(
      ([k, c], i) =>
        `<text x="${pad.l + 10 + i * 90}" y="${pad.t - 5}" fill="${c}">${k}${k === 'G_L1' ? ' (right axis)' : ''}</text>`,
    ),
    `</svg>`,
  ].join('\n');
}

export interface ReportData {
  title: string;
  /** Key facts shown as a table (backend, model, data, timings...). */
  facts: [string, string][];
  /** Metric rows, e.g. L1 before / after. */
  metrics?: [string, string][];
  history: LossRecord[];
  /** Images in the output folder to show, with captions. */
  images: { file: string; caption: string }[];
}

const esc = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * Writes `loss.svg`, `loss.png` and `index.html` into `dir`.
 *
 * @example
 * ```ts
 * await writeReport('runs/demo', { title: 'demo', facts: [['backend', 'wasm']], history, images: [] });
 * ```
 */
export async function writeReport(dir: string, data: ReportData): Promise<string> {
  await makeDirs(nodeFs(), dir);
  const svg = lossCurveSvg(data.history);
  await writeFile(join(dir, 'loss.svg'), svg);
  if (data.history.length) await sharp(Buffer.from(svg)).png().toFile(join(dir, 'loss.png'));
  const table = (rows: [string, string][]): string =>
    `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1000px}th{text-align:left;padding-right:1em;font-weight:600}td,th{vertical-align:top;padding:2px 8px 2px 0}img{image-rendering:pixelated;max-width:100%;border:1px solid #ccc}figure{margin:1em 0}</style>
</head><body>
<h1>${esc(data.title)}</h1>
${table(data.facts)}
${data.metrics?.length ? `<h2>Results</h2>${table(data.metrics)}` : ''}
<h2>Losses</h2>
<figure><img src="loss.svg" alt="loss curves"><figcaption>D_real, D_fake, G_GAN (left axis) and G_L1 x100 (right axis) per training step.</figcaption></figure>
${data.images.map((i) => `<figure><img src="${esc(i.file)}" alt="${esc(i.caption)}"><figcaption>${esc(i.caption)}</figcaption></figure>`).join('\n')}
</body></html>
`;
  const path = join(dir, 'index.html');
  await writeFile(path, html);
  return path;
}
