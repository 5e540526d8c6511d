// pix2pix-ts's own WebAssembly SIMD kernels for the tfjs wasm backend's CPU training step.
//
// Compiled by scripts/build-wasm-simd.mjs with clang (wasm32, -msimd128, plain SIMD128: no relaxed
// SIMD, so no FMA and results that do not depend on the machine) into two modules that differ only
// in how they import tfjs's memory: pix2pix-simd.wasm imports a plain memory (tfjs's SIMD binary
// exports one), pix2pix-simd-shared.wasm a shared one (tfjs's threaded binary). Every pointer
// argument is a byte offset into that memory: the kernels read and write tfjs's tensors in place.
//
// Rules that make that safe: no static data (no data segments), no C stack (no address-taken
// locals or arrays that are not promoted to registers; scripts/build-wasm-simd.mjs checks that the
// module defines no __stack_pointer and no data), no libc.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

// Adam over one parameter, each operation rounded to float32 in the order of the op chain of
// src/pix2pix/adam.ts (m*b1 + g*c1; v*b2 + (g*g)*c2; sqrt(v)/bc + eps; p - (m/den)*step), so the
// results are bitwise those of that chain and of src/backends/webgpu-kernels/adam-cpu.ts: SIMD128
// +, *, / and sqrt round like scalar float32, and nothing is contracted (there is no FMA here).
EXPORT(adam)
void adam(const float *p, const float *g, const float *m, const float *v, float *p2, float *m2,
          float *v2, int n, float b1, float c1, float b2, float c2, float bc, float eps,
          float step) {
  const v128_t B1 = wasm_f32x4_splat(b1), C1 = wasm_f32x4_splat(c1);
  const v128_t B2 = wasm_f32x4_splat(b2), C2 = wasm_f32x4_splat(c2);
  const v128_t BC = wasm_f32x4_splat(bc), E = wasm_f32x4_splat(eps),
               S = wasm_f32x4_splat(step);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gi = wasm_v128_load(g + i);
    const v128_t mi =
        wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), B1), wasm_f32x4_mul(gi, C1));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), B2),
                                     wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), C2));
    const v128_t den = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), BC), E);
    wasm_v128_store(p2 + i, wasm_f32x4_sub(wasm_v128_load(p + i),
                                           wasm_f32x4_mul(wasm_f32x4_div(mi, den), S)));
    wasm_v128_store(m2 + i, mi);
    wasm_v128_store(v2 + i, vi);
  }
  for (; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    const float den = __builtin_sqrtf(vi) / bc + eps;
    p2[i] = p[i] - (mi / den) * step;
    m2[i] = mi;
    v2[i] = vi;
  }
}

// ---- Conv2DBackpropFilter -------------------------------------------------------------------
//
// dW[ky,kx,ci,co] = sum over pixels (b,oy,ox) of x[b, oy*sh+ky-pt, ox*sw+kx-pl, ci] * dy[b,oy,ox,co]
// (NHWC x and dy, [kh,kw,ci,co] dW), computed directly from x and dy: no im2col, no transposes,
// no padded copies. The pixels are taken in blocks of whole output rows (about `block` pixels);
// within a block every tap and every (4 ci x 8 co) register tile of dW accumulates its own
// partial sum over the block's pixels, which is then added to dW: a two-level (blocked) sum, so
// rounding error grows with block + number of blocks rather than with the pixel count. The
// block's x rows and dy rows stay in cache across the taps and tiles.

// Accumulates one MR (ci) x NV*4 (co) tile of one tap over the rows [r0, r1) of a block, and adds
// it to dW. MR in {4, 1}, NV in {2, 1}; the caller guarantees the tile is in range.
#define TILE_BODY(MR, NV)                                                                       \
  v128_t acc[MR][NV];                                                                           \
  for (int a = 0; a < MR; a++)                                                                  \
    for (int b = 0; b < NV; b++) acc[a][b] = wasm_f32x4_splat(0.0f);                            \
  for (int r = r0; r < r1; r++) {                                                               \
    const int bi = r / oh, oy = r - bi * oh;                                                    \
    const int iy = oy * sh + ky - pt;                                                           \
    if (iy < 0 || iy >= h) continue;                                                            \
    const float *xp = x + ((bi * h + iy) * w + (lo * sw + kx - pl)) * ci + c0;                  \
    const float *dp = dy + (r * ow + lo) * co + o0;                                             \
    for (int ox = lo; ox < hi; ox++, xp += xstep, dp += co) {                                   \
      v128_t d[NV];                                                                             \
      for (int b = 0; b < NV; b++) d[b] = wasm_v128_load(dp + 4 * b);                           \
      for (int a = 0; a < MR; a++) {                                                            \
        const v128_t s = wasm_v128_load32_splat(xp + a);                                        \
        for (int b = 0; b < NV; b++) acc[a][b] = wasm_f32x4_add(acc[a][b], wasm_f32x4_mul(s, d[b])); \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  float *wp = dw + (tap * ci + c0) * co + o0;                                                   \
  for (int a = 0; a < MR; a++)                                                                  \
    for (int b = 0; b < NV; b++) {                                                              \
      float *q = wp + a * co + 4 * b;                                                           \
      wasm_v128_store(q, wasm_f32x4_add(wasm_v128_load(q), acc[a][b]));                         \
    }

#define TILE_ARGS                                                                               \
  const float *x, const float *dy, float *dw, int h, int w, int ci, int oh, int ow, int co,    \
      int sh, int sw, int pt, int pl, int ky, int kx, int tap, int lo, int hi, int r0, int r1,  \
      int c0, int o0, int xstep

INLINE void tile_4x8(TILE_ARGS) { TILE_BODY(4, 2) }
INLINE void tile_4x4(TILE_ARGS) { TILE_BODY(4, 1) }
INLINE void tile_1x8(TILE_ARGS) { TILE_BODY(1, 2) }
INLINE void tile_1x4(TILE_ARGS) { TILE_BODY(1, 1) }

// One ci row of one tap for the co columns [o0, co) that are not a multiple of 4 (scalar).
INLINE void tile_scalar(TILE_ARGS) {
  for (int o = o0; o < co; o++) {
    float acc = 0.0f;
    for (int r = r0; r < r1; r++) {
      const int bi = r / oh, oy = r - bi * oh;
      const int iy = oy * sh + ky - pt;
      if (iy < 0 || iy >= h) continue;
      const float *xp = x + ((bi * h + iy) * w + (lo * sw + kx - pl)) * ci + c0;
      const float *dp = dy + (r * ow + lo) * co + o;
      for (int ox = lo; ox < hi; ox++, xp += xstep, dp += co) acc += *xp * *dp;
    }
    dw[(tap * ci + c0) * co + o] += acc;
  }
}

#define CALL(f) f(x, dy, dw, h, w, ci, oh, ow, co, sh, sw, pt, pl, ky, kx, tap, lo, hi, r0, r1, c0, o0, xstep)

// dW (zeroed here first) over the output rows [row0, row1) of the flattened (batch, oy) rows, in
// blocks of about `block` pixels. Splitting the rows between calls (threads) and summing their
// dW gives the same blocked sum.
EXPORT(conv2d_backprop_filter)
void conv2d_backprop_filter(const float *x, const float *dy, float *dw, int h, int w, int ci,
                            int oh, int ow, int co, int kh, int kw, int sh, int sw, int pt, int pl,
                            int row0, int row1, int block) {
  const int size = kh * kw * ci * co;
  for (int i = 0; i < size; i++) dw[i] = 0.0f;
  int rows_per_block = block / (ow > 0 ? ow : 1);
  if (rows_per_block < 1) rows_per_block = 1;
  const int xstep = sw * ci;
  for (int r0 = row0; r0 < row1; r0 += rows_per_block) {
    const int r1 = r0 + rows_per_block < row1 ? r0 + rows_per_block : row1;
    for (int ky = 0; ky < kh; ky++) {
      for (int kx = 0; kx < kw; kx++) {
        const int tap = ky * kw + kx;
        // The output columns whose input column ox*sw+kx-pl lies in [0, w).
        int lo = 0;
        while (lo < ow && lo * sw + kx - pl < 0) lo++;
        int hi = ow;
        while (hi > lo && (hi - 1) * sw + kx - pl >= w) hi--;
        if (lo >= hi) continue;
        int c0 = 0;
        for (; c0 + 4 <= ci; c0 += 4) {
          int o0 = 0;
          for (; o0 + 8 <= co; o0 += 8) CALL(tile_4x8);
          for (; o0 + 4 <= co; o0 += 4) CALL(tile_4x4);
          if (o0 < co) {
            for (int c1 = c0; c1 < c0 + 4; c1++) {
              const int c0_ = c0;
              c0 = c1;
              CALL(tile_scalar);
              c0 = c0_;
            }
          }
        }
        for (; c0 < ci; c0++) {
          int o0 = 0;
          for (; o0 + 8 <= co; o0 += 8) CALL(tile_1x8);
          for (; o0 + 4 <= co; o0 += 4) CALL(tile_1x4);
          if (o0 < co) CALL(tile_scalar);
        }
      }
    }
  }
}

// out[i] = a[i] + b[i]: sums the per-thread partial dW.
EXPORT(add_into)
void add_into(float *out, const float *a, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(out + i, wasm_f32x4_add(wasm_v128_load(out + i), wasm_v128_load(a + i)));
  for (; i < n; i++) out[i] += a[i];
}

// ---- Conv2D with weights as they are (no packing) -------------------------------------------
//
// y[p, o] = sum over taps (ky, kx) and input channels c of x[b, oy*sh+ky-pt, ox*sw+kx-pl, c] *
// w[ky, kx, c, o] (NHWC x and y, [kh, kw, ci, co] w; p = (b, oy, ox)), with x read in place (an
// implicit im2col: pixels outside the image read `zeros`, ci zero floats) and w read in its own
// layout: no re-layout and no packing, which is what a convolution with weights that change every
// call (training) pays most for on small images. Register tiles of 4 pixels x 8 output channels
// (and 1 pixel, 4 channels, scalar tails); output channels outermost, so a [kh*kw*ci, 8] column
// of w stays in cache while every pixel tile runs over it. Computes the output channels
// [o_lo, o_hi) of the pixels [p0, p1): threads split the channels.

#define DIRECT_BODY(MR, NV)                                                                     \
  int pb[MR], py[MR], px[MR];                                                                   \
  for (int a = 0; a < MR; a++) {                                                                \
    const int q = p + a;                                                                        \
    pb[a] = q / hw;                                                                             \
    py[a] = (q - pb[a] * hw) / ow;                                                              \
    px[a] = q - pb[a] * hw - py[a] * ow;                                                        \
  }                                                                                             \
  v128_t acc[MR][NV];                                                                           \
  for (int a = 0; a < MR; a++)                                                                  \
    for (int b = 0; b < NV; b++) acc[a][b] = wasm_f32x4_splat(0.0f);                            \
  for (int ky = 0; ky < kh; ky++) {                                                             \
    for (int kx = 0; kx < kw; kx++) {                                                           \
      const float *xp[MR];                                                                      \
      int any = 0;                                                                              \
      for (int a = 0; a < MR; a++) {                                                            \
        const int iy = py[a] * sh + ky - pt, ix = px[a] * sw + kx - pl;                         \
        const int in = iy >= 0 && iy < h && ix >= 0 && ix < w;                                  \
        xp[a] = in ? x + ((pb[a] * h + iy) * w + ix) * ci : zeros;                              \
        any |= in;                                                                              \
      }                                                                                         \
      if (!any) continue;                                                                       \
      const float *wp = wt + (ky * kw + kx) * ci * ws;                                          \
      for (int c = 0; c < ci; c++, wp += ws) {                                                  \
        v128_t wv[NV];                                                                          \
        for (int b = 0; b < NV; b++) wv[b] = wasm_v128_load(wp + 4 * b);                        \
        for (int a = 0; a < MR; a++) {                                                          \
          const v128_t s = wasm_v128_load32_splat(xp[a] + c);                                   \
          for (int b = 0; b < NV; b++)                                                          \
            acc[a][b] = wasm_f32x4_add(acc[a][b], wasm_f32x4_mul(s, wv[b]));                    \
        }                                                                                       \
      }                                                                                         \
    }                                                                                           \
  }                                                                                             \
  for (int a = 0; a < MR; a++)                                                                  \
    for (int b = 0; b < NV; b++) wasm_v128_store(y + (p + a) * co + o0 + 4 * b, acc[a][b]);

#define DIRECT_ARGS                                                                             \
  const float *x, const float *wt, float *y, const float *zeros, int h, int w, int ci, int oh,  \
      int ow, int co, int kh, int kw, int sh, int sw, int pt, int pl, int p, int o0, int ws

INLINE void direct_4x8(DIRECT_ARGS) { const int hw = oh * ow; DIRECT_BODY(4, 2) }
INLINE void direct_4x4(DIRECT_ARGS) { const int hw = oh * ow; DIRECT_BODY(4, 1) }
INLINE void direct_1x8(DIRECT_ARGS) { const int hw = oh * ow; DIRECT_BODY(1, 2) }
INLINE void direct_1x4(DIRECT_ARGS) { const int hw = oh * ow; DIRECT_BODY(1, 1) }

// One pixel, one output channel (channel counts that are not a multiple of 4).
INLINE void direct_scalar(DIRECT_ARGS) {
  const int hw = oh * ow;
  const int b = p / hw, oy = (p - b * hw) / ow, ox = p - b * hw - oy * ow;
  float acc = 0.0f;
  for (int ky = 0; ky < kh; ky++) {
    for (int kx = 0; kx < kw; kx++) {
      const int iy = oy * sh + ky - pt, ix = ox * sw + kx - pl;
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      const float *xq = x + ((b * h + iy) * w + ix) * ci;
      const float *wp = wt + (ky * kw + kx) * ci * ws;
      for (int c = 0; c < ci; c++, wp += ws) acc += xq[c] * *wp;
    }
  }
  y[p * co + o0] = acc;
  (void)zeros;
}

#define DCALL(f, P, O, W, WS) f(x, W, y, zeros, h, w, ci, oh, ow, co, kh, kw, sh, sw, pt, pl, P, O, WS)

// Copies the columns [o0, o0 + nw) of the [k, co] matrix w into the [k, nw] matrix pk.
INLINE void pack_columns(const float *w, float *pk, int k, int co, int o0, int nw) {
  const float *src = w + o0;
  if (nw == 8) {
    for (int r = 0; r < k; r++, src += co, pk += 8) {
      wasm_v128_store(pk, wasm_v128_load(src));
      wasm_v128_store(pk + 4, wasm_v128_load(src + 4));
    }
  } else if (nw == 4) {
    for (int r = 0; r < k; r++, src += co, pk += 4) wasm_v128_store(pk, wasm_v128_load(src));
  } else {
    for (int r = 0; r < k; r++, src += co, pk += nw)
      for (int j = 0; j < nw; j++) pk[j] = src[j];
  }
}

EXPORT(conv2d_direct)
void conv2d_direct(const float *x, const float *wt, float *y, const float *zeros, float *pk, int h,
                   int w, int ci, int oh, int ow, int co, int kh, int kw, int sh, int sw, int pt,
                   int pl, int p0, int p1, int o_lo, int o_hi) {
  // With `pk` (not 0), each block of output channels is first copied out of w into `pk`
  // ([kh*kw*ci, 8] floats, contiguous), which every pixel tile then reads: in place, w's rows lie
  // co floats apart (4 KiB at co = 1024) and a column block does not stay in cache. Without
  // (one pixel tile: nothing to reuse), w is read in place, only the rows of taps in the image.
  const int k = kh * kw * ci;
  int o0 = o_lo;
  for (; o0 + 8 <= o_hi; o0 += 8) {
    const float *src = pk ? pk : wt + o0;
    const int ws = pk ? 8 : co;
    if (pk) pack_columns(wt, pk, k, co, o0, 8);
    int p = p0;
    for (; p + 4 <= p1; p += 4) DCALL(direct_4x8, p, o0, src, ws);
    for (; p < p1; p++) DCALL(direct_1x8, p, o0, src, ws);
  }
  for (; o0 + 4 <= o_hi; o0 += 4) {
    const float *src = pk ? pk : wt + o0;
    const int ws = pk ? 4 : co;
    if (pk) pack_columns(wt, pk, k, co, o0, 4);
    int p = p0;
    for (; p + 4 <= p1; p += 4) DCALL(direct_4x4, p, o0, src, ws);
    for (; p < p1; p++) DCALL(direct_1x4, p, o0, src, ws);
  }
  for (; o0 < o_hi; o0++) {
    const float *src = pk ? pk : wt + o0;
    const int ws = pk ? 1 : co;
    if (pk) pack_columns(wt, pk, k, co, o0, 1);
    for (int p = p0; p < p1; p++) DCALL(direct_scalar, p, o0, src, ws);
  }
}

// ---- Conv2DBackpropInput (transposed convolution) with weights as they are --------------------
//
// dx[b, iy, ix, c] = sum over dy pixels (oy, ox) and taps (ky, kx) with iy = oy*sh+ky-pt,
// ix = ox*sw+kx-pl of sum over o of dy[b, oy, ox, o] * w[ky, kx, c, o]. For every tap, block of 4
// input channels and pair of dy pixels, the 4 x 2 dot products over o (w's rows and dy's pixels
// are both contiguous in o) are summed in 4 lanes, reduced, and added into dx where the tap lands
// in the image (a col2im fused into the matmul epilogue: no columns matrix, no transposes, no
// weight re-layout or packing). The 4 weight rows of a block stay in cache while every dy pixel
// pair runs over them. Needs ci and co multiples of 4. Zeroes and then writes the input channels
// [c_lo, c_hi) (multiples of 4) of dx: threads split the channels.

// [sum(a0), sum(a1), sum(a2), sum(a3)].
INLINE v128_t hsum4(v128_t a0, v128_t a1, v128_t a2, v128_t a3) {
  const v128_t s01 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5),
                                    wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  const v128_t s23 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5),
                                    wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i32x4_shuffle(s01, s23, 0, 1, 4, 5),
                        wasm_i32x4_shuffle(s01, s23, 2, 3, 6, 7));
}

// The dx row of dy pixel p under tap (ky, kx), or 0 when it falls outside the image.
INLINE float *tap_target(float *dx, int p, int hw, int ow, int h, int w, int ci, int sh, int sw,
                         int pt, int pl, int ky, int kx) {
  const int b = p / hw, oy = (p - b * hw) / ow, ox = p - b * hw - oy * ow;
  const int iy = oy * sh + ky - pt, ix = ox * sw + kx - pl;
  if (iy < 0 || iy >= h || ix < 0 || ix >= w) return 0;
  return dx + ((b * h + iy) * w + ix) * ci;
}

EXPORT(conv_transpose_direct)
void conv_transpose_direct(const float *dy, const float *wt, float *dx, int n, int h, int w,
                           int ci, int oh, int ow, int co, int kh, int kw, int sh, int sw, int pt,
                           int pl, int c_lo, int c_hi) {
  const int hw = oh * ow, pixels = n * hw;
  for (int q = 0; q < n * h * w; q++)
    for (int c = c_lo; c < c_hi; c += 4) wasm_v128_store(dx + q * ci + c, wasm_f32x4_splat(0.0f));
  for (int ky = 0; ky < kh; ky++) {
    for (int kx = 0; kx < kw; kx++) {
      const float *wtap = wt + (ky * kw + kx) * ci * co;
      for (int c0 = c_lo; c0 < c_hi; c0 += 4) {
        const float *w0 = wtap + c0 * co, *w1 = w0 + co, *w2 = w1 + co, *w3 = w2 + co;
        int p = 0;
        for (; p + 2 <= pixels; p += 2) {
          float *t0 = tap_target(dx, p, hw, ow, h, w, ci, sh, sw, pt, pl, ky, kx);
          float *t1 = tap_target(dx, p + 1, hw, ow, h, w, ci, sh, sw, pt, pl, ky, kx);
          if (!t0 && !t1) continue;
          const float *d0 = dy + p * co, *d1 = d0 + co;
          v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a02 = a00, a03 = a00;
          v128_t a10 = a00, a11 = a00, a12 = a00, a13 = a00;
          for (int o = 0; o < co; o += 4) {
            const v128_t v0 = wasm_v128_load(d0 + o), v1 = wasm_v128_load(d1 + o);
            const v128_t b0 = wasm_v128_load(w0 + o), b1 = wasm_v128_load(w1 + o);
            const v128_t b2 = wasm_v128_load(w2 + o), b3 = wasm_v128_load(w3 + o);
            a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(v0, b0));
            a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(v0, b1));
            a02 = wasm_f32x4_add(a02, wasm_f32x4_mul(v0, b2));
            a03 = wasm_f32x4_add(a03, wasm_f32x4_mul(v0, b3));
            a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(v1, b0));
            a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(v1, b1));
            a12 = wasm_f32x4_add(a12, wasm_f32x4_mul(v1, b2));
            a13 = wasm_f32x4_add(a13, wasm_f32x4_mul(v1, b3));
          }
          if (t0)
            wasm_v128_store(t0 + c0, wasm_f32x4_add(wasm_v128_load(t0 + c0),
                                                    hsum4(a00, a01, a02, a03)));
          if (t1)
            wasm_v128_store(t1 + c0, wasm_f32x4_add(wasm_v128_load(t1 + c0),
                                                    hsum4(a10, a11, a12, a13)));
        }
        for (; p < pixels; p++) {
          float *t0 = tap_target(dx, p, hw, ow, h, w, ci, sh, sw, pt, pl, ky, kx);
          if (!t0) continue;
          const float *d0 = dy + p * co;
          v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a02 = a00, a03 = a00;
          for (int o = 0; o < co; o += 4) {
            const v128_t v0 = wasm_v128_load(d0 + o);
            a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(v0, wasm_v128_load(w0 + o)));
            a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(v0, wasm_v128_load(w1 + o)));
            a02 = wasm_f32x4_add(a02, wasm_f32x4_mul(v0, wasm_v128_load(w2 + o)));
            a03 = wasm_f32x4_add(a03, wasm_f32x4_mul(v0, wasm_v128_load(w3 + o)));
          }
          wasm_v128_store(t0 + c0, wasm_f32x4_add(wasm_v128_load(t0 + c0),
                                                  hsum4(a00, a01, a02, a03)));
        }
      }
    }
  }
}

// ---- BatchNorm (+ fused activation) forward and backward -------------------------------------
//
// The element loops of src/backends/cpu-kernels/batch-norm-loss.ts, in float64 (f64x2, two
// channels per instruction) with the same operations in the same order, so the results are
// bitwise those of the JS kernels (float32 -> float64 is exact; +, -, *, / and the comparisons
// round alike; nothing is contracted). x is [L / C, C] (NHWC); per-channel float64 vectors live
// in scratch memory the caller gives (C doubles each, 8-byte aligned). C is even.

INLINE v128_t load2f(const float *p) {
  return wasm_f64x2_promote_low_f32x4(wasm_v128_load64_zero(p));
}
INLINE void store2f(float *p, v128_t v) {
  wasm_v128_store64_lane(p, wasm_f32x4_demote_f64x2_zero(v), 0);
}

// sum[c] += x[., c] over the rows, sequentially (as the JS loop).
EXPORT(bn_sum)
void bn_sum(const float *x, double *sum, int rows, int C) {
  for (int c = 0; c < C; c += 2) wasm_v128_store(sum + c, wasm_f64x2_splat(0.0));
  for (int r = 0; r < rows; r++, x += C)
    for (int c = 0; c < C; c += 2)
      wasm_v128_store(sum + c, wasm_f64x2_add(wasm_v128_load(sum + c), load2f(x + c)));
}

// q[c] = sum over rows of (x[., c] - mean[c])^2.
EXPORT(bn_sqdev)
void bn_sqdev(const float *x, const double *mean, double *q, int rows, int C) {
  for (int c = 0; c < C; c += 2) wasm_v128_store(q + c, wasm_f64x2_splat(0.0));
  for (int r = 0; r < rows; r++, x += C)
    for (int c = 0; c < C; c += 2) {
      const v128_t d = wasm_f64x2_sub(load2f(x + c), wasm_v128_load(mean + c));
      wasm_v128_store(q + c, wasm_f64x2_add(wasm_v128_load(q + c), wasm_f64x2_mul(d, d)));
    }
}

// out = act((x - mean) * inv + shift), act(v) = v < 0 ? neg * v : v.
EXPORT(bn_apply)
void bn_apply(const float *x, float *out, const double *mean, const double *inv,
              const double *shift, int rows, int C, double neg) {
  const v128_t N = wasm_f64x2_splat(neg), Z = wasm_f64x2_splat(0.0);
  for (int r = 0; r < rows; r++, x += C, out += C)
    for (int c = 0; c < C; c += 2) {
      const v128_t v = wasm_f64x2_add(
          wasm_f64x2_mul(wasm_f64x2_sub(load2f(x + c), wasm_v128_load(mean + c)),
                         wasm_v128_load(inv + c)),
          wasm_v128_load(shift + c));
      store2f(out + c, wasm_v128_bitselect(wasm_f64x2_mul(N, v), v, wasm_f64x2_lt(v, Z)));
    }
}

// g = y > 0 ? dy : neg * dy (the activation's gradient, by the sign of its output y).
INLINE v128_t act_grad(const float *dy, const float *y, v128_t N) {
  const v128_t d = load2f(dy);
  return wasm_v128_bitselect(d, wasm_f64x2_mul(N, d),
                             wasm_f64x2_gt(load2f(y), wasm_f64x2_splat(0.0)));
}

// sb[c] = sum of g, sg[c] = sum of g * (x - mean).
EXPORT(bn_grad_sums)
void bn_grad_sums(const float *dy, const float *x, const float *y, const double *mean,
                  double *sb, double *sg, int rows, int C, double neg) {
  const v128_t N = wasm_f64x2_splat(neg);
  for (int c = 0; c < C; c += 2) {
    wasm_v128_store(sb + c, wasm_f64x2_splat(0.0));
    wasm_v128_store(sg + c, wasm_f64x2_splat(0.0));
  }
  for (int r = 0; r < rows; r++, x += C, dy += C, y += C)
    for (int c = 0; c < C; c += 2) {
      const v128_t g = act_grad(dy + c, y + c, N);
      wasm_v128_store(sb + c, wasm_f64x2_add(wasm_v128_load(sb + c), g));
      const v128_t d = wasm_f64x2_sub(load2f(x + c), wasm_v128_load(mean + c));
      wasm_v128_store(sg + c, wasm_f64x2_add(wasm_v128_load(sg + c), wasm_f64x2_mul(g, d)));
    }
}

// dx = (g - bias - (x - mean) * slope) * scale.
EXPORT(bn_grad_dx)
void bn_grad_dx(const float *dy, const float *x, const float *y, float *dx, const double *mean,
                const double *bias, const double *slope, const double *scale, int rows, int C,
                double neg) {
  const v128_t N = wasm_f64x2_splat(neg);
  for (int r = 0; r < rows; r++, x += C, dy += C, y += C, dx += C)
    for (int c = 0; c < C; c += 2) {
      const v128_t g = act_grad(dy + c, y + c, N);
      const v128_t d = wasm_f64x2_sub(load2f(x + c), wasm_v128_load(mean + c));
      const v128_t v = wasm_f64x2_mul(
          wasm_f64x2_sub(wasm_f64x2_sub(g, wasm_v128_load(bias + c)),
                         wasm_f64x2_mul(d, wasm_v128_load(slope + c))),
          wasm_v128_load(scale + c));
      store2f(dx + c, v);
    }
}
