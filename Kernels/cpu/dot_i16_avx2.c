// AVX2 one-row products with int16 activations, for the 32-element block formats (Q4_0, Q4_1,
// Q5_0, Q8_0): the BLAS backend's "int16 activations" numerics mode (sy_matvec_i16).
//
// x is quantized once per call, per 32-element block: q = round(x · 32767 / max|x|), scale
// max|x| / 32767, so each activation carries an error of at most scale / 2 (7.6e-6 of its block's
// largest magnitude). The weights' quants become int16 lanes (one zero- or sign-extension per 16)
// and `vpmaddwd` multiplies and pairs them with x exactly in int32; one conversion and one FMA
// per block apply both scales. Minimums and offsets go through the exact f32 block sums of x, as
// in the f32 kernels. About half the vector operations per weight of the f32 kernels, which
// expand every quant to f32.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

void sy_quantize_i16_avx2(const float *x, int64_t k, int16_t *q, float *scales) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int64_t b = 0; b < k / 32; b++) {
        const float *xb = x + 32 * b;
        __m256 v[4], m = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(xb + 8 * i);
            m = _mm256_max_ps(m, _mm256_and_ps(v[i], magnitude));
        }
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        // A NaN or infinity anywhere in the block: vmaxps drops a NaN operand, so look again and
        // give the block a NaN scale, which carries into every product that reads it.
        for (int i = 0; i < 4; i++)
            if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(v[i], magnitude), _mm256_set1_ps(3.4028235e38f), _CMP_NLE_UQ)))
                amax = __builtin_nanf("");
        scales[b] = amax / 32767.0f;
        __m256 inverse = _mm256_set1_ps(amax > 0 && amax <= 3.4028235e38f ? 32767.0f / amax : 0.0f);
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[0], inverse)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[1], inverse));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2], inverse)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v[3], inverse));
        // packs works within 128-bit lanes; the permute puts the 16 values back in order.
        _mm256_storeu_si256((__m256i *)(q + 32 * b), _mm256_permute4x64_epi64(_mm256_packs_epi32(i0, i1), 0xD8));
        _mm256_storeu_si256((__m256i *)(q + 32 * b + 16), _mm256_permute4x64_epi64(_mm256_packs_epi32(i2, i3), 0xD8));
    }
}

/// Σ_j quant_j · xq_j over one block, as 8 int32 lanes; the block's d (and Q4_1's m) in *blk.
SY_AI __m256i block_i16(sy_format f, const uint8_t *b, const int16_t *xq, sy_blk32_256 *blk) {
    __m256i w0, w1;
    if (f == SY_Q8_0) {
        blk->d = sy_h2f_256(b);
        blk->m = 0;
        w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 2)));
        w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 18)));
    } else {
        __m128i lo8, hi8;
        sy_quants32u_256(f, b, blk, &lo8, &hi8);
        w0 = _mm256_cvtepu8_epi16(lo8);
        w1 = _mm256_cvtepu8_epi16(hi8);
    }
    return _mm256_add_epi32(_mm256_madd_epi16(w0, _mm256_loadu_si256((const __m256i *)xq)),
                            _mm256_madd_epi16(w1, _mm256_loadu_si256((const __m256i *)(xq + 16))));
}

SY_AI void rows_i16(sy_format f, const uint8_t *w, size_t row_bytes, int64_t k, const int16_t *xq,
                    const float *xscale, const float *xsum, float *y, int64_t r0, int64_t r1) {
    const int64_t nb = k / 32, bb = sy_q32_bytes_256(f);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        float m0 = 0, m1 = 0;
#define STEP(acc, macc, blk)                                                                      \
    do {                                                                                          \
        sy_blk32_256 q;                                                                           \
        __m256i p = block_i16(f, row + (blk) * bb, xq + 32 * (blk), &q);                          \
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(q.d * xscale[blk]), acc);     \
        if (f == SY_Q4_1) macc += q.m * xsum[blk];                                                \
        else if (f != SY_Q8_0) macc += q.d * xsum[blk];                                           \
    } while (0)
        int64_t b = 0;
        for (; b + 2 <= nb; b += 2) {
            STEP(a0, m0, b);
            STEP(a1, m1, b + 1);
        }
        if (b < nb) STEP(a0, m0, b);
#undef STEP
        float s = sy_hsum256(_mm256_add_ps(a0, a1)), m = m0 + m1;
        y[r] = f == SY_Q4_1 ? s + m : f == SY_Q4_0 ? s - 8 * m : f == SY_Q5_0 ? s - 16 * m : s;
    }
}

#define ROWS_I16(name, fmt)                                                                       \
    void sy_rows_i16_##name##_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const int16_t *xq, \
                                   const float *xscale, const float *xsum, float *y, int64_t r0,  \
                                   int64_t r1) {                                                  \
        rows_i16(fmt, w, row_bytes, k, xq, xscale, xsum, y, r0, r1);                              \
    }

ROWS_I16(q4_0, SY_Q4_0)
ROWS_I16(q4_1, SY_Q4_1)
ROWS_I16(q5_0, SY_Q5_0)
ROWS_I16(q8_0, SY_Q8_0)

#pragma clang attribute pop
