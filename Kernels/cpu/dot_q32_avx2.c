// AVX2 dot kernels for the 32-element block formats Q4_0, Q4_1, Q5_0 and Q8_0; the same scheme as
// dot_q32_avx512.c with 8-lane vectors: one activation row → acc += (Σ q·x) · d per block with the
// quants unsigned as stored, four blocks per iteration into four accumulators, Q4_1's minimum and
// Q4_0's and Q5_0's offsets (8, 16) through the precomputed block sums of x (m·Σx, −8·d·Σx,
// −16·d·Σx); several rows → the block's 32 weights formed once, tiles of up to 4 rows.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

SY_AI void tile32(sy_format f, int nt, const uint8_t *row, int64_t nb, const float *x,
                  int64_t ldx, float *y, int64_t ldy) {
    const int64_t bb = sy_q32_bytes_256(f);
    __m256 acc[4];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        sy_blk32_256 q = sy_decode32_256(f, row + b * bb);
        __m256 d = _mm256_set1_ps(q.d), wv[4];
        for (int i = 0; i < 4; i++)
            wv[i] = f == SY_Q4_1 ? _mm256_fmadd_ps(q.q[i], d, _mm256_set1_ps(q.m)) : _mm256_mul_ps(q.q[i], d);
        for (int t = 0; t < nt; t++) {
            const float *xb = x + t * ldx + 32 * b;
            for (int i = 0; i < 4; i++) acc[t] = _mm256_fmadd_ps(wv[i], _mm256_loadu_ps(xb + 8 * i), acc[t]);
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = sy_hsum256(acc[t]);
}

SY_AI void rows32(sy_format f, const uint8_t *w, size_t row_bytes, int64_t k, const float *x,
                  int64_t ldx, int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0,
                  int64_t r1) {
    const int64_t nb = k / 32, bb = sy_q32_bytes_256(f);
    if (n == 1) {
        for (int64_t r = r0; r < r1; r++) {
            const uint8_t *row = w + (size_t)r * row_bytes;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            float m0 = 0, m1 = 0;
#define STEP(acc, macc, blk)                                                                      \
    do {                                                                                          \
        sy_blk32_256 q = sy_decode32u_256(f, row + (blk) * bb);                                   \
        const float *xb = x + 32 * (blk);                                                         \
        __m256 p = _mm256_mul_ps(q.q[0], _mm256_loadu_ps(xb));                                    \
        p = _mm256_fmadd_ps(q.q[1], _mm256_loadu_ps(xb + 8), p);                                  \
        p = _mm256_fmadd_ps(q.q[2], _mm256_loadu_ps(xb + 16), p);                                 \
        p = _mm256_fmadd_ps(q.q[3], _mm256_loadu_ps(xb + 24), p);                                 \
        acc = _mm256_fmadd_ps(p, _mm256_set1_ps(q.d), acc);                                       \
        macc += sy_q32_offset_term(f, q.d, q.m, xsum, blk);                                       \
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
            float s = sy_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))), m = m0 + m1;
            y[r] = sy_q32_finish(f, s, m);
        }
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        for (int64_t i = 0; i < n; i += 4) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 4 ? 4 : (int)(n - i)) {
            case 1: tile32(f, 1, row, nb, xi, ldx, yi, ldy); break;
            case 2: tile32(f, 2, row, nb, xi, ldx, yi, ldy); break;
            case 3: tile32(f, 3, row, nb, xi, ldx, yi, ldy); break;
            default: tile32(f, 4, row, nb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#define ROWS32(name, fmt)                                                                         \
    void sy_rows_##name##_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const float *x,     \
                               int64_t ldx, int64_t n, const float *xsum, float *y, int64_t ldy,  \
                               int64_t r0, int64_t r1) {                                          \
        rows32(fmt, w, row_bytes, k, x, ldx, n, xsum, y, ldy, r0, r1);                            \
    }

ROWS32(q4_0, SY_Q4_0)
ROWS32(q4_1, SY_Q4_1)
ROWS32(q5_0, SY_Q5_0)
ROWS32(q8_0, SY_Q8_0)

#pragma clang attribute pop
