// AVX-512 dot kernels for the 32-element block formats Q4_0, Q4_1, Q5_0 and Q8_0.
//
// One activation row (decode): see row32 below; the horizontal sum happens once per weight row.
//
// Several activation rows: the block is turned into its 32 f32 weights once and FMAd into one
// accumulator per activation row, in tiles of up to 8 rows.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX512))), apply_to = function)
#include "decode_avx512.h"

SY_AI void tile32(sy_format f, int nt, const uint8_t *row, int64_t nb, const float *x,
                  int64_t ldx, float *y, int64_t ldy) {
    const int64_t bb = sy_q32_bytes(f);
    __m512 acc[8];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        sy_blk32_512 q = sy_decode32_512(f, row + b * bb);
        __m512 d = _mm512_set1_ps(q.d), lo, hi;
        if (f == SY_Q4_1) {
            __m512 m = _mm512_set1_ps(q.m);
            lo = _mm512_fmadd_ps(q.lo, d, m);
            hi = _mm512_fmadd_ps(q.hi, d, m);
        } else {
            lo = _mm512_mul_ps(q.lo, d);
            hi = _mm512_mul_ps(q.hi, d);
        }
        for (int t = 0; t < nt; t++) {
            const float *xb = x + t * ldx + 32 * b;
            acc[t] = _mm512_fmadd_ps(lo, _mm512_loadu_ps(xb), acc[t]);
            acc[t] = _mm512_fmadd_ps(hi, _mm512_loadu_ps(xb + 16), acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = _mm512_reduce_add_ps(acc[t]);
}

/// One weight row · one activation row. Per block: the raw quants (unsigned for the 4- and 5-bit
/// formats) as two vectors of 16 floats, p = lo·x[0..16) + hi·x[16..32), acc += p · d with a
/// broadcast d; the block's minimum or offset goes into a scalar sum with the block sums of x:
/// m·Σx for Q4_1, then −8·Σ d·Σx for Q4_0 and −16·Σ d·Σx for Q5_0. Four blocks per iteration into
/// four vector and two scalar accumulators. (Gathering 16 blocks' scales at once and broadcasting
/// them from memory measured slower: the gather's latency sits at the start of every short row.)
SY_AI float row32(sy_format f, const uint8_t *row, int64_t nb, const float *x, const float *xsum) {
    const int64_t bb = sy_q32_bytes(f);
    const __m512i low4 = _mm512_set1_epi32(15), sixteen = _mm512_set1_epi32(16);
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    float m0 = 0, m1 = 0;
#define STEP(acc, macc, b)                                                                        \
    do {                                                                                          \
        const uint8_t *blk = row + (b) * bb;                                                      \
        const float *xb = x + 32 * (b);                                                           \
        __m512 lo, hi;                                                                            \
        if (f == SY_Q8_0) {                                                                       \
            lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 2))));  \
            hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk + 18)))); \
        } else {                                                                                  \
            /* one dword per byte: low nibble = element j, high nibble = element j + 16 */        \
            __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + bb - 16)));  \
            __m512i ql = _mm512_and_si512(v, low4), qh = _mm512_srli_epi32(v, 4);                 \
            if (f == SY_Q5_0) {   /* fifth bits: bit j of qh, as lane masks */                    \
                uint32_t bits = sy_load_u32(blk + 2);                                             \
                ql = _mm512_mask_or_epi32(ql, (__mmask16)bits, ql, sixteen);                      \
                qh = _mm512_mask_or_epi32(qh, (__mmask16)(bits >> 16), qh, sixteen);              \
            }                                                                                     \
            lo = _mm512_cvtepi32_ps(ql);                                                          \
            hi = _mm512_cvtepi32_ps(qh);                                                          \
        }                                                                                         \
        __m512 p = _mm512_mul_ps(lo, _mm512_loadu_ps(xb));                                        \
        p = _mm512_fmadd_ps(hi, _mm512_loadu_ps(xb + 16), p);                                     \
        float d = sy_h2f_512(blk);                                                                \
        acc = _mm512_fmadd_ps(p, _mm512_set1_ps(d), acc);                                         \
        macc += sy_q32_offset_term(f, d, f == SY_Q4_1 ? sy_h2f_512(blk + 2) : 0, xsum, b);         \
    } while (0)
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
        STEP(a0, m0, b);
        STEP(a1, m1, b + 1);
        STEP(a2, m0, b + 2);
        STEP(a3, m1, b + 3);
    }
    for (; b < nb; b++) STEP(a0, m0, b);
#undef STEP
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    float m = m0 + m1;
    return sy_q32_finish(f, s, m);
}

SY_AI void rows32(sy_format f, const uint8_t *w, size_t row_bytes, int64_t k, const float *x,
                  int64_t ldx, int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0,
                  int64_t r1) {
    const int64_t nb = k / 32;
    if (n == 1) {
        for (int64_t r = r0; r < r1; r++) y[r] = row32(f, w + (size_t)r * row_bytes, nb, x, xsum);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        for (int64_t i = 0; i < n; i += 8) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 8 ? 8 : (int)(n - i)) {
            case 1: tile32(f, 1, row, nb, xi, ldx, yi, ldy); break;
            case 2: tile32(f, 2, row, nb, xi, ldx, yi, ldy); break;
            case 3: tile32(f, 3, row, nb, xi, ldx, yi, ldy); break;
            case 4: tile32(f, 4, row, nb, xi, ldx, yi, ldy); break;
            case 5: tile32(f, 5, row, nb, xi, ldx, yi, ldy); break;
            case 6: tile32(f, 6, row, nb, xi, ldx, yi, ldy); break;
            case 7: tile32(f, 7, row, nb, xi, ldx, yi, ldy); break;
            default: tile32(f, 8, row, nb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#define ROWS32(name, fmt)                                                                         \
    void sy_rows_##name##_avx512(const uint8_t *w, size_t row_bytes, int64_t k, const float *x,   \
                                 int64_t ldx, int64_t n, const float *xsum, float *y,             \
                                 int64_t ldy, int64_t r0, int64_t r1) {                           \
        rows32(fmt, w, row_bytes, k, x, ldx, n, xsum, y, ldy, r0, r1);                            \
    }

ROWS32(q4_0, SY_Q4_0)
ROWS32(q4_1, SY_Q4_1)
ROWS32(q5_0, SY_Q5_0)
ROWS32(q8_0, SY_Q8_0)

#pragma clang attribute pop
