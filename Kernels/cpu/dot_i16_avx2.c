// AVX2 one-row products with int16 activations, for the quantized formats (Q4_0, Q4_1, Q5_0, Q8_0,
// Q4_K, Q6_K): the BLAS backend's "int16 activations" numerics mode (sy_matvec_i16).
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
        macc += sy_q32_offset_term(f, q.d, q.m, xsum, blk);                                       \
    } while (0)
        int64_t b = 0;
        for (; b + 2 <= nb; b += 2) {
            STEP(a0, m0, b);
            STEP(a1, m1, b + 1);
        }
        if (b < nb) STEP(a0, m0, b);
#undef STEP
        float s = sy_hsum256(_mm256_add_ps(a0, a1)), m = m0 + m1;
        y[r] = sy_q32_finish(f, s, m);
    }
}

/// Σ_j q_j · xq_j over 16 quants (as int16 lanes in w) and 16 activations: 8 int32 lanes.
SY_AI __m256i madd16(__m256i w, const int16_t *xq) {
    return _mm256_madd_epi16(w, _mm256_loadu_si256((const __m256i *)xq));
}

/// Q4_K: Σ over each 32-quant sub-block of q·xq in int32, times d·sc·xscale; the minimums through the
/// f32 block sums (dmin·m·Σx), as the f32 kernel.
void sy_rows_i16_q4_k_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const int16_t *xq,
                           const float *xscale, const float *xsum, float *y, int64_t r0, int64_t r1) {
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()}, am = _mm256_setzero_ps();
        for (int64_t sb = 0; sb < nsb; sb++) {
            const uint8_t *b = row + sb * 144;
            __m128i sm = sy_q4k_scales_mins(b + 4);
            float f[8];   // d · sc · xscale per sub-block
            _mm256_storeu_ps(f, _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm)), _mm256_set1_ps(sy_h2f_256(b))),
                                              _mm256_loadu_ps(xscale + 8 * sb)));
            __m256 dmn = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))), _mm256_set1_ps(sy_h2f_256(b + 2)));
            am = _mm256_fmadd_ps(dmn, _mm256_loadu_ps(xsum + 8 * sb), am);
            for (int g = 0; g < 4; g++) {
                __m256i qv[2];
                sy_q4k_group(b, g, &qv[0], &qv[1]);
                for (int s = 0; s < 2; s++) {
                    const int16_t *xb = xq + 256 * sb + 64 * g + 32 * s;
                    __m256i p = _mm256_add_epi32(madd16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(qv[s])), xb),
                                                 madd16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(qv[s], 1)), xb + 16));
                    acc[s] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(f[2 * g + s]), acc[s]);
                }
            }
        }
        y[r] = sy_hsum256(_mm256_add_ps(acc[0], acc[1])) - sy_hsum256(am);
    }
}

/// Q6_K: scales per 16 quants, so each 32-quant half-group is two int32 sums, each times its
/// d·scale·xscale.
void sy_rows_i16_q6_k_avx2(const uint8_t *w, size_t row_bytes, int64_t k, const int16_t *xq,
                           const float *xscale, const float *xsum, float *y, int64_t r0, int64_t r1) {
    (void)xsum;
    const int64_t nsb = k / 256;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int64_t sb = 0; sb < nsb; sb++) {
            const uint8_t *b = row + sb * 210;
            float d = sy_h2f_last(b + 208);
            for (int h = 0; h < 2; h++) {
                __m256i q[4];
                sy_q6k_half(b, h, q);
                for (int j = 0; j < 4; j++) {
                    const int16_t *xb = xq + 256 * sb + 128 * h + 32 * j;
                    float dx = d * xscale[8 * sb + 4 * h + j];
                    const int8_t *sc = (const int8_t *)(b + 192 + 8 * h + 2 * j);
                    __m256i p0 = madd16(_mm256_cvtepi8_epi16(_mm256_castsi256_si128(q[j])), xb);
                    __m256i p1 = madd16(_mm256_cvtepi8_epi16(_mm256_extracti128_si256(q[j], 1)), xb + 16);
                    acc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), _mm256_set1_ps(dx * sc[0]), acc[0]);
                    acc[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), _mm256_set1_ps(dx * sc[1]), acc[1]);
                }
            }
        }
        y[r] = sy_hsum256(_mm256_add_ps(acc[0], acc[1]));
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
