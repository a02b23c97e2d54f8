// AVX-512 dot kernels for the 256-element super-block formats Q4_K and Q6_K.
//
// Q4_K, one activation row: per sub-block s of 32, acc += (Σ q·x) · (d·sc[s]) with a broadcast
// scale; the minimums contribute −Σ_s (dmin·m[s]) · Σx[s], eight sub-blocks at once in an 8-lane
// accumulator, with the 32-element sums of x precomputed per call (xsum).
// Q6_K, one activation row: per 16-element chunk c, acc += (q·x) · (d·sc[c]).
// Several activation rows: the super-block's weights are formed in registers, 32 or 16 at a time,
// and FMAd into one accumulator per activation row (tiles of up to 8 rows).
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX512))), apply_to = function)
#include "decode_avx512.h"

/// d·sc[0..7] and dmin·m[0..7] of a Q4_K super-block.
SY_AI void q4k_factors(const uint8_t *b, float dsc[8], float dmn[8]) {
    __m128i sm = sy_q4k_scales_mins(b + 4);
    __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm));
    __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
    _mm256_storeu_ps(dsc, _mm256_mul_ps(sc, _mm256_set1_ps(sy_h2f_512(b))));
    _mm256_storeu_ps(dmn, _mm256_mul_ps(mn, _mm256_set1_ps(sy_h2f_512(b + 2))));
}

SY_AI void tile_q4k(int nt, const uint8_t *row, int64_t nsb, const float *x, int64_t ldx, float *y,
                    int64_t ldy) {
    __m512 acc[8];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t sb = 0; sb < nsb; sb++) {
        const uint8_t *b = row + sb * 144;
        float dsc[8], dmn[8];
        q4k_factors(b, dsc, dmn);
        for (int g = 0; g < 4; g++) {
            __m256i qv[2];
            sy_q4k_group(b, g, &qv[0], &qv[1]);
            for (int s = 0; s < 2; s++) {
                __m512 sc = _mm512_set1_ps(dsc[2 * g + s]), mn = _mm512_set1_ps(-dmn[2 * g + s]);
                __m512 w0 = _mm512_fmadd_ps(sy_u8_to_ps(qv[s], 0), sc, mn);
                __m512 w1 = _mm512_fmadd_ps(sy_u8_to_ps(qv[s], 1), sc, mn);
                for (int t = 0; t < nt; t++) {
                    const float *xb = x + t * ldx + 256 * sb + 64 * g + 32 * s;
                    acc[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xb), acc[t]);
                    acc[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xb + 16), acc[t]);
                }
            }
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = _mm512_reduce_add_ps(acc[t]);
}

void sy_rows_q4_k_avx512(const uint8_t *w, size_t row_bytes, int64_t k, const float *x, int64_t ldx,
                         int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0;
            __m256 am = _mm256_setzero_ps();
            for (int64_t sb = 0; sb < nsb; sb++) {
                const uint8_t *b = row + sb * 144;
                const float *xs = x + 256 * sb;
                float dsc[8], dmn[8];
                q4k_factors(b, dsc, dmn);
                am = _mm256_fmadd_ps(_mm256_loadu_ps(dmn), _mm256_loadu_ps(xsum + 8 * sb), am);
                for (int g = 0; g < 4; g++) {
                    __m256i lo, hi;
                    sy_q4k_group(b, g, &lo, &hi);
                    const float *xg = xs + 64 * g;
                    __m512 p = _mm512_mul_ps(sy_u8_to_ps(lo, 0), _mm512_loadu_ps(xg));
                    p = _mm512_fmadd_ps(sy_u8_to_ps(lo, 1), _mm512_loadu_ps(xg + 16), p);
                    a0 = _mm512_fmadd_ps(p, _mm512_set1_ps(dsc[2 * g]), a0);
                    __m512 p2 = _mm512_mul_ps(sy_u8_to_ps(hi, 0), _mm512_loadu_ps(xg + 32));
                    p2 = _mm512_fmadd_ps(sy_u8_to_ps(hi, 1), _mm512_loadu_ps(xg + 48), p2);
                    a1 = _mm512_fmadd_ps(p2, _mm512_set1_ps(dsc[2 * g + 1]), a1);
                }
            }
            __m128 m4 = _mm_add_ps(_mm256_castps256_ps128(am), _mm256_extractf128_ps(am, 1));
            m4 = _mm_add_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_add_ss(m4, _mm_movehdup_ps(m4));
            y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) - _mm_cvtss_f32(m4);
            continue;
        }
        for (int64_t i = 0; i < n; i += 8) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 8 ? 8 : (int)(n - i)) {
            case 1: tile_q4k(1, row, nsb, xi, ldx, yi, ldy); break;
            case 2: tile_q4k(2, row, nsb, xi, ldx, yi, ldy); break;
            case 3: tile_q4k(3, row, nsb, xi, ldx, yi, ldy); break;
            case 4: tile_q4k(4, row, nsb, xi, ldx, yi, ldy); break;
            case 5: tile_q4k(5, row, nsb, xi, ldx, yi, ldy); break;
            case 6: tile_q4k(6, row, nsb, xi, ldx, yi, ldy); break;
            case 7: tile_q4k(7, row, nsb, xi, ldx, yi, ldy); break;
            default: tile_q4k(8, row, nsb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

/// d · scales[0..15] of a Q6_K super-block.
SY_AI void q6k_factors(const uint8_t *b, float dsc[16]) {
    __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 192))));
    _mm512_storeu_ps(dsc, _mm512_mul_ps(sc, _mm512_set1_ps(sy_h2f_last(b + 208))));
}

SY_AI void tile_q6k(int nt, const uint8_t *row, int64_t nsb, const float *x, int64_t ldx, float *y,
                    int64_t ldy) {
    __m512 acc[8];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t sb = 0; sb < nsb; sb++) {
        const uint8_t *b = row + sb * 210;
        float dsc[16];
        q6k_factors(b, dsc);
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            sy_q6k_half(b, h, q);
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 2; c++) {
                    __m512 wv = _mm512_mul_ps(sy_i8_to_ps(q[j], c), _mm512_set1_ps(dsc[8 * h + 2 * j + c]));
                    for (int t = 0; t < nt; t++) {
                        const float *xb = x + t * ldx + 256 * sb + 128 * h + 32 * j + 16 * c;
                        acc[t] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xb), acc[t]);
                    }
                }
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = _mm512_reduce_add_ps(acc[t]);
}

void sy_rows_q6_k_avx512(const uint8_t *w, size_t row_bytes, int64_t k, const float *x, int64_t ldx,
                         int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    (void)xsum;
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int64_t sb = 0; sb < nsb; sb++) {
                const uint8_t *b = row + sb * 210;
                const float *xs = x + 256 * sb;
                float dsc[16];
                q6k_factors(b, dsc);
                for (int h = 0; h < 2; h++) {
                    __m256i q[4];
                    sy_q6k_half(b, h, q);
                    for (int j = 0; j < 4; j++)
                        for (int c = 0; c < 2; c++) {
                            __m512 p = _mm512_mul_ps(sy_i8_to_ps(q[j], c), _mm512_loadu_ps(xs + 128 * h + 32 * j + 16 * c));
                            acc[c] = _mm512_fmadd_ps(p, _mm512_set1_ps(dsc[8 * h + 2 * j + c]), acc[c]);
                        }
                }
            }
            y[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
            continue;
        }
        for (int64_t i = 0; i < n; i += 8) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 8 ? 8 : (int)(n - i)) {
            case 1: tile_q6k(1, row, nsb, xi, ldx, yi, ldy); break;
            case 2: tile_q6k(2, row, nsb, xi, ldx, yi, ldy); break;
            case 3: tile_q6k(3, row, nsb, xi, ldx, yi, ldy); break;
            case 4: tile_q6k(4, row, nsb, xi, ldx, yi, ldy); break;
            case 5: tile_q6k(5, row, nsb, xi, ldx, yi, ldy); break;
            case 6: tile_q6k(6, row, nsb, xi, ldx, yi, ldy); break;
            case 7: tile_q6k(7, row, nsb, xi, ldx, yi, ldy); break;
            default: tile_q6k(8, row, nsb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#pragma clang attribute pop
