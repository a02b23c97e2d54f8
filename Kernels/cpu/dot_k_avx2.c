// AVX2 dot kernels for Q4_K and Q6_K; the same scheme as dot_k_avx512.c with 8-lane vectors.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

/// d·sc[0..7] and dmin·m[0..7] of a Q4_K super-block.
SY_AI void q4k_factors(const uint8_t *b, float dsc[8], float dmn[8]) {
    __m128i sm = sy_q4k_scales_mins(b + 4);
    __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm));
    __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
    _mm256_storeu_ps(dsc, _mm256_mul_ps(sc, _mm256_set1_ps(sy_h2f_256(b))));
    _mm256_storeu_ps(dmn, _mm256_mul_ps(mn, _mm256_set1_ps(sy_h2f_256(b + 2))));
}

SY_AI void tile_q4k(int nt, const uint8_t *row, int64_t nsb, const float *x, int64_t ldx, float *y,
                    int64_t ldy) {
    __m256 acc[4];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < nsb; sb++) {
        const uint8_t *b = row + sb * 144;
        float dsc[8], dmn[8];
        q4k_factors(b, dsc, dmn);
        for (int g = 0; g < 4; g++) {
            __m256i qv[2];
            sy_q4k_group(b, g, &qv[0], &qv[1]);
            for (int s = 0; s < 2; s++) {
                __m256 sc = _mm256_set1_ps(dsc[2 * g + s]), mn = _mm256_set1_ps(-dmn[2 * g + s]);
                for (int c = 0; c < 4; c++) {
                    __m256 wv = _mm256_fmadd_ps(sy_u8x8_ps(qv[s], c), sc, mn);
                    for (int t = 0; t < nt; t++) {
                        const float *xb = x + t * ldx + 256 * sb + 64 * g + 32 * s + 8 * c;
                        acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb), acc[t]);
                    }
                }
            }
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = sy_hsum256(acc[t]);
}

void sy_rows_q4_k_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const float *x, int64_t ldx,
                       int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, am = _mm256_setzero_ps();
            for (int64_t sb = 0; sb < nsb; sb++) {
                const uint8_t *b = row + sb * 144;
                float dsc[8], dmn[8];
                q4k_factors(b, dsc, dmn);
                am = _mm256_fmadd_ps(_mm256_loadu_ps(dmn), _mm256_loadu_ps(xsum + 8 * sb), am);
                for (int g = 0; g < 4; g++) {
                    __m256i qv[2];
                    sy_q4k_group(b, g, &qv[0], &qv[1]);
                    for (int s = 0; s < 2; s++) {
                        const float *xb = x + 256 * sb + 64 * g + 32 * s;
                        __m256 p = _mm256_mul_ps(sy_u8x8_ps(qv[s], 0), _mm256_loadu_ps(xb));
                        p = _mm256_fmadd_ps(sy_u8x8_ps(qv[s], 1), _mm256_loadu_ps(xb + 8), p);
                        p = _mm256_fmadd_ps(sy_u8x8_ps(qv[s], 2), _mm256_loadu_ps(xb + 16), p);
                        p = _mm256_fmadd_ps(sy_u8x8_ps(qv[s], 3), _mm256_loadu_ps(xb + 24), p);
                        acc[s] = _mm256_fmadd_ps(p, _mm256_set1_ps(dsc[2 * g + s]), acc[s]);
                    }
                }
            }
            y[r] = sy_hsum256(_mm256_add_ps(acc[0], acc[1])) - sy_hsum256(am);
            continue;
        }
        for (int64_t i = 0; i < n; i += 4) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 4 ? 4 : (int)(n - i)) {
            case 1: tile_q4k(1, row, nsb, xi, ldx, yi, ldy); break;
            case 2: tile_q4k(2, row, nsb, xi, ldx, yi, ldy); break;
            case 3: tile_q4k(3, row, nsb, xi, ldx, yi, ldy); break;
            default: tile_q4k(4, row, nsb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

/// d · scales[0..15] of a Q6_K super-block.
SY_AI void q6k_factors(const uint8_t *b, float dsc[16]) {
    __m256 d = _mm256_set1_ps(sy_h2f_last(b + 208));
    _mm256_storeu_ps(dsc, _mm256_mul_ps(sy_i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(b + 192))), d));
    _mm256_storeu_ps(dsc + 8, _mm256_mul_ps(sy_i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(b + 200))), d));
}

SY_AI void tile_q6k(int nt, const uint8_t *row, int64_t nsb, const float *x, int64_t ldx, float *y,
                    int64_t ldy) {
    __m256 acc[4];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    for (int64_t sb = 0; sb < nsb; sb++) {
        const uint8_t *b = row + sb * 210;
        float dsc[16];
        q6k_factors(b, dsc);
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            sy_q6k_half(b, h, q);
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 4; c++) {
                    __m256 wv = _mm256_mul_ps(sy_i8x8_ps(q[j], c), _mm256_set1_ps(dsc[8 * h + 2 * j + c / 2]));
                    for (int t = 0; t < nt; t++) {
                        const float *xb = x + t * ldx + 256 * sb + 128 * h + 32 * j + 8 * c;
                        acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xb), acc[t]);
                    }
                }
        }
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = sy_hsum256(acc[t]);
}

void sy_rows_q6_k_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const float *x, int64_t ldx,
                       int64_t n, const float *xsum, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    (void)xsum;
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
            for (int64_t sb = 0; sb < nsb; sb++) {
                const uint8_t *b = row + sb * 210;
                float dsc[16];
                q6k_factors(b, dsc);
                for (int h = 0; h < 2; h++) {
                    __m256i q[4];
                    sy_q6k_half(b, h, q);
                    for (int j = 0; j < 4; j++)
                        for (int c = 0; c < 2; c++) {
                            const float *xb = x + 256 * sb + 128 * h + 32 * j + 16 * c;
                            __m256 p = _mm256_mul_ps(sy_i8x8_ps(q[j], 2 * c), _mm256_loadu_ps(xb));
                            p = _mm256_fmadd_ps(sy_i8x8_ps(q[j], 2 * c + 1), _mm256_loadu_ps(xb + 8), p);
                            acc[c] = _mm256_fmadd_ps(p, _mm256_set1_ps(dsc[8 * h + 2 * j + c]), acc[c]);
                        }
                }
            }
            y[r] = sy_hsum256(_mm256_add_ps(acc[0], acc[1]));
            continue;
        }
        for (int64_t i = 0; i < n; i += 4) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 4 ? 4 : (int)(n - i)) {
            case 1: tile_q6k(1, row, nsb, xi, ldx, yi, ldy); break;
            case 2: tile_q6k(2, row, nsb, xi, ldx, yi, ldy); break;
            case 3: tile_q6k(3, row, nsb, xi, ldx, yi, ldy); break;
            default: tile_q6k(4, row, nsb, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#pragma clang attribute pop
