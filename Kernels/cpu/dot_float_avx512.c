// AVX-512 kernels for plain float weights (F32, F16 via vcvtph2ps, BF16 by a 16-bit shift) and
// the f32 vector helpers (block sums of x, dot, axpy, scale). Any length: the tail of a row is
// read with a masked load.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX512))), apply_to = function)
#include "decode_avx512.h"

/// Elements [j, j + 16) of a float-format row, lanes outside `mask` zero.
SY_AI __m512 load16(sy_format f, const uint8_t *row, int64_t j, __mmask16 mask) {
    if (f == SY_F32) return _mm512_maskz_loadu_ps(mask, (const float *)row + j);
    __m256i h = _mm256_maskz_loadu_epi16(mask, (const uint16_t *)row + j);
    if (f == SY_F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

SY_AI __mmask16 tail_mask(int64_t left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
}

SY_AI void tilef(sy_format f, int nt, const uint8_t *row, int64_t k, const float *x, int64_t ldx,
                 float *y, int64_t ldy) {
    __m512 acc[8];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t j = 0; j < k; j += 16) {
        __mmask16 m = tail_mask(k - j);
        __m512 wv = load16(f, row, j, m);
        for (int t = 0; t < nt; t++)
            acc[t] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, x + t * ldx + j), acc[t]);
    }
    for (int t = 0; t < nt; t++) y[t * ldy] = _mm512_reduce_add_ps(acc[t]);
}

SY_AI void rowsf(sy_format f, const uint8_t *w, size_t row_bytes, int64_t k, const float *x,
                 int64_t ldx, int64_t n, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int64_t j = 0;
            for (; j + 64 <= k; j += 64) {
                a0 = _mm512_fmadd_ps(load16(f, row, j, 0xFFFF), _mm512_loadu_ps(x + j), a0);
                a1 = _mm512_fmadd_ps(load16(f, row, j + 16, 0xFFFF), _mm512_loadu_ps(x + j + 16), a1);
                a2 = _mm512_fmadd_ps(load16(f, row, j + 32, 0xFFFF), _mm512_loadu_ps(x + j + 32), a2);
                a3 = _mm512_fmadd_ps(load16(f, row, j + 48, 0xFFFF), _mm512_loadu_ps(x + j + 48), a3);
            }
            for (; j < k; j += 16) {
                __mmask16 m = tail_mask(k - j);
                a0 = _mm512_fmadd_ps(load16(f, row, j, m), _mm512_maskz_loadu_ps(m, x + j), a0);
            }
            y[r] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
            continue;
        }
        for (int64_t i = 0; i < n; i += 8) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 8 ? 8 : (int)(n - i)) {
            case 1: tilef(f, 1, row, k, xi, ldx, yi, ldy); break;
            case 2: tilef(f, 2, row, k, xi, ldx, yi, ldy); break;
            case 3: tilef(f, 3, row, k, xi, ldx, yi, ldy); break;
            case 4: tilef(f, 4, row, k, xi, ldx, yi, ldy); break;
            case 5: tilef(f, 5, row, k, xi, ldx, yi, ldy); break;
            case 6: tilef(f, 6, row, k, xi, ldx, yi, ldy); break;
            case 7: tilef(f, 7, row, k, xi, ldx, yi, ldy); break;
            default: tilef(f, 8, row, k, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#define ROWSF(name, fmt)                                                                          \
    void sy_rows_##name##_avx512(const uint8_t *w, size_t row_bytes, int64_t k, const float *x,   \
                                 int64_t ldx, int64_t n, const float *xsum, float *y,             \
                                 int64_t ldy, int64_t r0, int64_t r1) {                           \
        (void)xsum;                                                                               \
        rowsf(fmt, w, row_bytes, k, x, ldx, n, y, ldy, r0, r1);                                   \
    }

ROWSF(f32, SY_F32)
ROWSF(f16, SY_F16)
ROWSF(bf16, SY_BF16)

void sy_sums32_avx512(const float *x, int64_t k, float *sums) {
    for (int64_t b = 0; b < k / 32; b++)
        sums[b] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_loadu_ps(x + 32 * b), _mm512_loadu_ps(x + 32 * b + 16)));
}

float sy_dot_f32_avx512(const float *a, const float *b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void sy_axpy_f32_avx512(float a, const float *x, float *y, int64_t n) {
    __m512 av = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 r = _mm512_fmadd_ps(av, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, r);
    }
}

void sy_scale_f32_avx512(float a, float *y, int64_t n) {
    __m512 av = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(av, _mm512_maskz_loadu_ps(m, y + i)));
    }
}

#pragma clang attribute pop
