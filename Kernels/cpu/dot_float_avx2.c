// AVX2 kernels for plain float weights (F32, F16 via vcvtph2ps, BF16 by a 16-bit shift) and the
// f32 vector helpers. Rows of any length: the last k % 8 elements go through a scalar loop.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

/// Elements [j, j + 8) of a float-format row.
SY_AI __m256 load8(sy_format f, const uint8_t *row, int64_t j) {
    if (f == SY_F32) return _mm256_loadu_ps((const float *)row + j);
    __m128i h = _mm_loadu_si128((const __m128i *)(row + 2 * j));
    if (f == SY_F16) return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

SY_AI float load1(sy_format f, const uint8_t *row, int64_t j) {
    if (f == SY_F32) return ((const float *)row)[j];
    uint16_t h = sy_load_u16(row + 2 * j);
    return f == SY_F16 ? _cvtsh_ss(h) : sy_bf16_to_f32(h);
}

SY_AI void tilef(sy_format f, int nt, const uint8_t *row, int64_t k, const float *x, int64_t ldx,
                 float *y, int64_t ldy) {
    __m256 acc[4];
    for (int t = 0; t < nt; t++) acc[t] = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 8 <= k; j += 8) {
        __m256 wv = load8(f, row, j);
        for (int t = 0; t < nt; t++) acc[t] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x + t * ldx + j), acc[t]);
    }
    for (int t = 0; t < nt; t++) {
        float s = sy_hsum256(acc[t]);
        for (int64_t jj = j; jj < k; jj++) s += load1(f, row, jj) * x[t * ldx + jj];
        y[t * ldy] = s;
    }
}

SY_AI void rowsf(sy_format f, const uint8_t *w, size_t row_bytes, int64_t k, const float *x,
                 int64_t ldx, int64_t n, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        if (n == 1) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int64_t j = 0;
            for (; j + 32 <= k; j += 32) {
                a0 = _mm256_fmadd_ps(load8(f, row, j), _mm256_loadu_ps(x + j), a0);
                a1 = _mm256_fmadd_ps(load8(f, row, j + 8), _mm256_loadu_ps(x + j + 8), a1);
                a2 = _mm256_fmadd_ps(load8(f, row, j + 16), _mm256_loadu_ps(x + j + 16), a2);
                a3 = _mm256_fmadd_ps(load8(f, row, j + 24), _mm256_loadu_ps(x + j + 24), a3);
            }
            for (; j + 8 <= k; j += 8) a0 = _mm256_fmadd_ps(load8(f, row, j), _mm256_loadu_ps(x + j), a0);
            float s = sy_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
            for (; j < k; j++) s += load1(f, row, j) * x[j];
            y[r] = s;
            continue;
        }
        for (int64_t i = 0; i < n; i += 4) {
            const float *xi = x + i * ldx;
            float *yi = y + i * ldy + r;
            switch (n - i >= 4 ? 4 : (int)(n - i)) {
            case 1: tilef(f, 1, row, k, xi, ldx, yi, ldy); break;
            case 2: tilef(f, 2, row, k, xi, ldx, yi, ldy); break;
            case 3: tilef(f, 3, row, k, xi, ldx, yi, ldy); break;
            default: tilef(f, 4, row, k, xi, ldx, yi, ldy); break;
            }
        }
    }
}

#define ROWSF(name, fmt)                                                                          \
    void sy_rows_##name##_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const float *x,     \
                               int64_t ldx, int64_t n, const float *xsum, float *y, int64_t ldy,  \
                               int64_t r0, int64_t r1) {                                          \
        (void)xsum;                                                                               \
        rowsf(fmt, w, row_bytes, k, x, ldx, n, y, ldy, r0, r1);                                   \
    }

ROWSF(f32, SY_F32)
ROWSF(f16, SY_F16)
ROWSF(bf16, SY_BF16)

void sy_sums32_avx2(const float *x, int64_t k, float *sums) {
    for (int64_t b = 0; b < k / 32; b++) {
        const float *p = x + 32 * b;
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)),
                                 _mm256_add_ps(_mm256_loadu_ps(p + 16), _mm256_loadu_ps(p + 24)));
        sums[b] = sy_hsum256(s);
    }
}

float sy_dot_f32_avx2(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = sy_hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

void sy_axpy_f32_avx2(float a, const float *x, float *y, int64_t n) {
    __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] = __builtin_fmaf(a, x[i], y[i]);
}

void sy_scale_f32_avx2(float a, float *y, int64_t n) {
    __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(av, _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] *= a;
}

#pragma clang attribute pop
