/**
 * The backend benchmark page (examples/bench.html): inference and training-step latency of
 * pix2pix on every tfjs backend this browser offers, each in a fresh worker (tfjs-backend-wasm
 * fixes its thread pool at start-up, so "threads" and "one thread" need two workers), with SVG
 * charts, a table, device information and a JSON download.
 *
 * FLOPs, quartiles and the reference model per size come from the library's bench harness
 * (src/bench). Timings are round trips through the worker API (`translate`, `trainStep`): what an
 * app using `createPix2Pix({ worker: true })` gets; the pixel copies are ~1% at 64x64.
 *
 * Query: `?quick=1` (tiny models, 2 reps, runs at once: the browser tests use it), `backends=`
 * (ids below, comma-separated), `sizes=`, `ngf=`, `reps=`, `train=0`, `autorun=1`.
 */
import { createPix2Pix, type WorkerPix2Pix } from '../../src/index.js';
import { caseFlops, numDownsFor, summarize } from '../../src/bench/index.js';
import type { BackendName } from '../../src/backends/index.js';

interface Variant {
  id: string;
  label: string;
  backend: BackendName;
  threads?: number;
  color: string;
  note?: string;
}

const VARIANTS: Variant[] = [
  { id: 'webgpu', label: 'WebGPU', backend: 'webgpu', color: '#7b3fb8' },
  { id: 'webgl', label: 'WebGL 2', backend: 'webgl', color: '#d1495b' },
  { id: 'wasm-threads', label: 'WASM SIMD + threads', backend: 'wasm', color: '#2e6fdf' },
  // On an isolated page this is the threaded binary with a one-thread pool; without isolation, the plain SIMD binary.
  { id: 'wasm-simd', label: 'WASM SIMD, 1 thread', backend: 'wasm', threads: 1, color: '#00a0b0' },
  { id: 'cpu', label: 'CPU (JavaScript)', backend: 'cpu', color: '#8a8f98' },
];

type Task = 'infer' | 'train';

/** One measured case. */
export interface PageResult {
  variant: string;
  label: string;
  backend: string;
  threads: number;
  task: Task;
  size: number;
  numDowns: number;
  ngf: number;
  reps: number;
  msMedian: number;
  msQ1: number;
  msQ3: number;
  msMin: number;
  msMax: number;
  flops: number;
  gflops: number;
  /** Training steps per second at the median (train only). */
  stepsPerSec?: number;
  software: boolean;
}

interface Skip {
  variant: string;
  size?: number;
  task?: Task;
  reason: string;
}

const q = new URLSearchParams(location.search);
const quick = q.get('quick') === '1';
const list = (k: string) =>
  q
    .get(k)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const nums = (k: string) =>
  list(k)
    ?.map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);

const settings = {
  quick,
  variants: list('backends') ?? VARIANTS.map((v) => v.id),
  sizes: nums('sizes') ?? (quick ? [32, 64] : [64, 128, 256]),
  ngf: nums('ngf')?.[0] ?? (quick ? 4 : 32),
  reps: nums('reps')?.[0] ?? (quick ? 2 : 5),
  train: q.get('train') !== '0',
  /** The JS cpu backend takes minutes per training step at 256: only up to this size unless `cpu=all`. */
  cpuMaxSize: q.get('cpu') === 'all' ? Infinity : 128,
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const results: PageResult[] = [];
const skipped: Skip[] = [];
const device: Record<string, unknown> = {};

function setState(s: 'idle' | 'running' | 'done' | 'error'): void {
  document.documentElement.dataset.benchState = s;
}

function status(text: string): void {
  $('status').textContent = text;
}

/** numDowns of the reference model per size (UNet-64/128/256); smaller test sizes go down to 2^numDowns = size. */
const numDownsOf = (size: number) => Math.min(numDownsFor(size), Math.round(Math.log2(size)));

function seededImage(
  size: number,
  seed: number,
): { data: Uint8ClampedArray; width: number; height: number; channels: 4 } {
  const data = new Uint8ClampedArray(size * size * 4);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (i & 3) === 3 ? 255 : s >>> 24;
  }
  return { data, width: size, height: size, channels: 4 };
}

async function time(fn: () => Promise<unknown>, warmup: number, reps: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

/** Starts a worker model for a variant; null (with the skip recorded) when it cannot run here. */
async function start(v: Variant, size: number): Promise<WorkerPix2Pix | null> {
  const numDowns = numDownsOf(size);
  let p2p: WorkerPix2Pix;
  try {
    p2p = await createPix2Pix({
      worker: true,
      backend: v.backend,
      ...(v.threads ? { threads: v.threads } : {}),
      generator: { numDowns, ngf: settings.ngf },
      discriminator: { ndf: settings.ngf },
      seed: 0,
    });
  } catch (e) {
    skipped.push({ variant: v.id, reason: (e as Error).message });
    return null;
  }
  const info = p2p.backendInfo;
  let why: string | null = null;
  if (info.worker.fallback) why = `unavailable: ${info.worker.fallback.error}`;
  else if (info.name !== v.backend) why = `got ${info.name} instead`;
  else if (v.id === 'wasm-threads' && info.threads < 2)
    why = info.capabilities.wasmThreads
      ? `the wasm backend got a pool of 1 thread on ${info.capabilities.hardwareConcurrency} logical core(s)`
      : `no wasm threads: ${info.capabilities.wasmThreadsReason}`;
  if (why) {
    skipped.push({ variant: v.id, reason: why });
    await p2p.dispose();
    return null;
  }
  device.wasmSimd ??= info.capabilities.wasmSimd;
  device.wasmThreads ??= info.capabilities.wasmThreads;
  device[`backend:${v.id}`] = info.reason;
  return p2p;
}

async function runVariant(v: Variant): Promise<void> {
  for (const size of settings.sizes) {
    if (v.backend === 'cpu' && size > settings.cpuMaxSize) {
      skipped.push({
        variant: v.id,
        size,
        reason: `the JavaScript cpu backend is skipped above ${settings.cpuMaxSize}px (minutes per step); add ?cpu=all`,
      });
      continue;
    }
    status(`${v.label}: starting a ${size}x${size} model…`);
    const p2p = await start(v, size);
    if (!p2p) return;
    try {
      const info = p2p.backendInfo;
      const numDowns = numDownsOf(size);
      const options = {
        generator: { numDowns, ngf: settings.ngf },
        discriminator: { ndf: settings.ngf },
      };
      const a = seededImage(size, 1);
      const b = seededImage(size, 2);
      // GPU backends compile shaders on first use: one more untimed run.
      const warmup = v.backend === 'webgl' || v.backend === 'webgpu' ? 2 : 1;
      const tasks: Task[] = settings.train ? ['infer', 'train'] : ['infer'];
      for (const task of tasks) {
        status(
          `${v.label}: ${task === 'infer' ? 'inference' : 'training steps'} at ${size}x${size}…`,
        );
        const reps = task === 'train' ? Math.max(2, Math.ceil(settings.reps * 0.6)) : settings.reps;
        const ms = await time(
          task === 'infer' ? () => p2p.translate(a) : () => p2p.trainStep(a, b),
          warmup,
          reps,
        );
        const s = summarize(ms);
        const flops = caseFlops(task, options, size, size);
        const r: PageResult = {
          variant: v.id,
          label: v.label,
          backend: info.name,
          threads: info.threads,
          task,
          size,
          numDowns,
          ngf: settings.ngf,
          reps,
          ...s,
          flops,
          gflops: flops / (s.msMedian * 1e6),
          software: info.software,
          ...(task === 'train' ? { stepsPerSec: 1000 / s.msMedian } : {}),
        };
        results.push(r);
        render();
      }
    } finally {
      await p2p.dispose();
    }
  }
}

async function deviceInfo(): Promise<void> {
  device.userAgent = navigator.userAgent;
  device.logicalCores = navigator.hardwareConcurrency;
  device.crossOriginIsolated = globalThis.crossOriginIsolated === true;
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      device.webglRenderer = ext
        ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)
        : gl.getParameter(gl.RENDERER);
      device.webglVendor = ext
        ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL)
        : gl.getParameter(gl.VENDOR);
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    } else device.webglRenderer = 'no WebGL 2';
  } catch (e) {
    device.webglRenderer = `error: ${(e as Error).message}`;
  }
  const gpu = (
    navigator as unknown as {
      gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> };
    }
  ).gpu;
  if (!gpu) device.webgpuAdapter = 'no navigator.gpu';
  else {
    try {
      const ad = await gpu.requestAdapter();
      device.webgpuAdapter = ad
        ? [ad.info?.vendor, ad.info?.architecture, ad.info?.description]
            .filter(Boolean)
            .join(' ') || 'adapter (no info)'
        : 'no adapter';
    } catch (e) {
      device.webgpuAdapter = `error: ${(e as Error).message}`;
    }
  }
  renderDevice();
}

function renderDevice(): void {
  const rows: [string, unknown][] = [
    ['Cores (logical)', device.logicalCores],
    ['Cross-origin isolated', device.crossOriginIsolated],
    ['WebGL renderer', device.webglRenderer],
    ['WebGPU adapter', device.webgpuAdapter],
    [
      'WASM SIMD / threads',
      device.wasmSimd === undefined ? '…' : `${device.wasmSimd} / ${device.wasmThreads}`,
    ],
    ['Browser', device.userAgent],
  ];
  $('device').replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      tr.append(
        Object.assign(document.createElement('th'), { textContent: k }),
        Object.assign(document.createElement('td'), { textContent: String(v ?? '…') }),
      );
      return tr;
    }),
  );
}

// ---- charts (inline SVG) ----

const SVGNS = 'http://www.w3.org/2000/svg';
function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const fmt = (v: number) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);

/**
 * Grouped bars: one group per size, one bar per variant. `log` draws a log10 axis (latencies span
 * orders of magnitude across backends). Error bars show Q1..Q3 when given.
 */
function barChart(
  title: string,
  unit: string,
  rows: { size: number; variant: Variant; value: number; lo?: number; hi?: number }[],
  log: boolean,
): SVGSVGElement {
  const W = 640,
    H = 300,
    L = 64,
    R = 12,
    T = 34,
    B = 56;
  const svg = el('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': title,
    class: 'chart',
  }) as SVGSVGElement;
  svg.append(el('title', {}, title), el('text', { x: L, y: 20, class: 'ct' }, title));
  if (!rows.length) {
    svg.append(
      el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'muted' }, 'no results yet'),
    );
    return svg;
  }
  const sizes = [...new Set(rows.map((r) => r.size))].sort((a, b) => a - b);
  const variants = VARIANTS.filter((v) => rows.some((r) => r.variant.id === v.id));
  const vals = rows
    .flatMap((r) => [r.value, r.hi ?? r.value, r.lo ?? r.value])
    .filter((v) => v > 0);
  let lo = log ? 10 ** Math.floor(Math.log10(Math.min(...vals))) : 0;
  let hi = log ? 10 ** Math.ceil(Math.log10(Math.max(...vals))) : Math.max(...vals) * 1.1;
  if (log && lo === hi) {
    lo /= 10;
    hi *= 10;
  }
  const y = (v: number) =>
    T +
    (H - T - B) *
      (1 -
        (log
          ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
          : v / hi));
  const ticks = log
    ? Array.from({ length: Math.round(Math.log10(hi / lo)) + 1 }, (_, i) => lo * 10 ** i)
    : Array.from({ length: 5 }, (_, i) => (hi * i) / 4);
  for (const t of ticks) {
    svg.append(
      el('line', { x1: L, x2: W - R, y1: y(t), y2: y(t), class: 'grid' }),
      el('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(t)),
    );
  }
  svg.append(
    el(
      'text',
      {
        x: 14,
        y: (T + H - B) / 2,
        transform: `rotate(-90 14 ${(T + H - B) / 2})`,
        'text-anchor': 'middle',
        class: 'tick',
      },
      unit,
    ),
  );
  const gw = (W - L - R) / sizes.length;
  const bw = Math.min(36, (gw * 0.8) / variants.length);
  sizes.forEach((size, gi) => {
    const x0 = L + gi * gw + (gw - bw * variants.length) / 2;
    svg.append(
      el(
        'text',
        { x: L + gi * gw + gw / 2, y: H - B + 16, 'text-anchor': 'middle', class: 'tick' },
        `${size}×${size}`,
      ),
    );
    variants.forEach((v, vi) => {
      const r = rows.find((o) => o.size === size && o.variant.id === v.id);
      if (!r) return;
      const x = x0 + vi * bw;
      const top = y(r.value);
      const base = y(log ? lo : 0);
      const bar = el('rect', {
        x: x + 1,
        y: top,
        width: bw - 2,
        height: Math.max(1, base - top),
        fill: v.color,
        class: 'bar',
      });
      bar.append(el('title', {}, `${v.label}, ${size}×${size}: ${fmt(r.value)} ${unit}`));
      svg.append(bar);
      if (r.lo !== undefined && r.hi !== undefined)
        svg.append(
          el('line', {
            x1: x + bw / 2,
            x2: x + bw / 2,
            y1: y(r.lo),
            y2: y(r.hi),
            class: 'whisker',
          }),
        );
      svg.append(
        el(
          'text',
          { x: x + bw / 2, y: top - 4, 'text-anchor': 'middle', class: 'val' },
          fmt(r.value),
        ),
      );
    });
  });
  let lx = L;
  variants.forEach((v) => {
    const x = lx;
    lx += 24 + v.label.length * 6;
    svg.append(
      el('rect', { x, y: H - 22, width: 10, height: 10, fill: v.color }),
      el('text', { x: x + 14, y: H - 13, class: 'tick' }, v.label),
    );
  });
  return svg;
}

function render(): void {
  const byId = new Map(VARIANTS.map((v) => [v.id, v]));
  const infer = results
    .filter((r) => r.task === 'infer')
    .map((r) => ({
      size: r.size,
      variant: byId.get(r.variant)!,
      value: r.msMedian,
      lo: r.msQ1,
      hi: r.msQ3,
    }));
  const train = results
    .filter((r) => r.task === 'train')
    .map((r) => ({ size: r.size, variant: byId.get(r.variant)!, value: r.stepsPerSec! }));
  $('charts').replaceChildren(
    barChart(
      `Inference latency, ms (median, Q1–Q3; log scale) · ngf ${settings.ngf}`,
      'ms',
      infer,
      true,
    ),
    ...(settings.train
      ? [
          barChart(
            `Training steps per second (higher is better) · ngf ${settings.ngf}`,
            'steps/s',
            train,
            false,
          ),
        ]
      : []),
  );
  $('results').replaceChildren(
    ...results.map((r) => {
      const tr = document.createElement('tr');
      const cells = [
        r.label + (r.software ? ' (software)' : ''),
        r.task === 'infer' ? 'inference' : 'train step',
        `${r.size}×${r.size}`,
        `UNet numDowns ${r.numDowns}, ngf ${r.ngf}`,
        String(r.threads),
        fmt(r.msMedian),
        `${fmt(r.msQ1)}–${fmt(r.msQ3)}`,
        fmt(r.gflops),
        r.stepsPerSec ? fmt(r.stepsPerSec) : '',
        String(r.reps),
      ];
      tr.append(
        ...cells.map((c) => Object.assign(document.createElement('td'), { textContent: c })),
      );
      return tr;
    }),
  );
  $('skipped').replaceChildren(
    ...skipped.map((s) =>
      Object.assign(document.createElement('li'), {
        textContent: `${byId.get(s.variant)?.label ?? s.variant}${s.size ? ` at ${s.size}px` : ''}: ${s.reason}`,
      }),
    ),
  );
  ($('download') as HTMLButtonElement).disabled = !results.length;
}

function report(): object {
  return {
    tool: 'pix2pix-ts examples/bench.html',
    date: new Date().toISOString(),
    settings: {
      ...settings,
      cpuMaxSize: Number.isFinite(settings.cpuMaxSize) ? settings.cpuMaxSize : null,
    },
    device,
    results,
    skipped,
  };
}

async function run(): Promise<void> {
  const button = $('run') as HTMLButtonElement;
  button.disabled = true;
  results.length = 0;
  skipped.length = 0;
  setState('running');
  const t0 = performance.now();
  try {
    const chosen = VARIANTS.filter((v) => settings.variants.includes(v.id));
    for (const v of chosen) {
      await runVariant(v);
      renderDevice();
      render();
    }
    status(
      `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${results.length} results, ${skipped.length} skipped.`,
    );
    setState('done');
  } catch (e) {
    status(`Failed: ${(e as Error).message}`);
    setState('error');
    throw e;
  } finally {
    button.disabled = false;
    (globalThis as unknown as { benchReport: object }).benchReport = report();
  }
}

function init(): void {
  setState('idle');
  $('settings').textContent =
    `sizes ${settings.sizes.join(', ')} · ngf ${settings.ngf} · ${settings.reps} timed runs (training: ${Math.max(2, Math.ceil(settings.reps * 0.6))}) · backends ${settings.variants.join(', ')}${quick ? ' · quick test mode' : ''}`;
  $('run').addEventListener('click', () => void run());
  $('download').addEventListener('click', () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(
      new Blob([JSON.stringify(report(), null, 2)], { type: 'application/json' }),
    );
    a.download = `pix2pix-bench-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.json`;
    a.click();
  });
  render();
  void deviceInfo().then(() => {
    if (quick || q.get('autorun') === '1') void run();
  });
}

init();
