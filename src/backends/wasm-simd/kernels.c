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
