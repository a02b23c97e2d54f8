// AVX2 dequantizers, bit-exact with dequant_scalar.c: a product, then a sum, never fused, and
// scale products (d·sc) formed in f32 as the scalar code forms them.
#pragma STDC FP_CONTRACT OFF
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

void sy_dequant_f32_avx2(const uint8_t *src, int64_t k, float *dst) {
    memcpy(dst, src, (size_t)k * 4);
}

void sy_dequant_f16_avx2(const uint8_t *src, int64_t k, float *dst) {
    int64_t i = 0;
    for (; i + 8 <= k; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i))));
    for (; i < k; i++) dst[i] = _cvtsh_ss(sy_load_u16(src + 2 * i));
}

void sy_dequant_bf16_avx2(const uint8_t *src, int64_t k, float *dst) {
    int64_t i = 0;
    for (; i + 8 <= k; i += 8) {
        __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(src + 2 * i)));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_slli_epi32(v, 16));
    }
    for (; i < k; i++) dst[i] = sy_bf16_to_f32(sy_load_u16(src + 2 * i));
}

SY_AI void dequant32(sy_format f, const uint8_t *src, int64_t k, float *dst) {
    const int64_t bb = sy_q32_bytes_256(f);
    for (int64_t b = 0; b < k / 32; b++, src += bb, dst += 32) {
        sy_blk32_256 q = sy_decode32_256(f, src);
        __m256 d = _mm256_set1_ps(q.d), m = _mm256_set1_ps(q.m);
        for (int i = 0; i < 4; i++) {
            __m256 v = _mm256_mul_ps(q.q[i], d);
            if (f == SY_Q4_1) v = _mm256_add_ps(v, m);
            _mm256_storeu_ps(dst + 8 * i, v);
        }
    }
}

void sy_dequant_q4_0_avx2(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q4_0, s, k, d); }
void sy_dequant_q4_1_avx2(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q4_1, s, k, d); }
void sy_dequant_q5_0_avx2(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q5_0, s, k, d); }
void sy_dequant_q8_0_avx2(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q8_0, s, k, d); }

void sy_dequant_q4_k_avx2(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t sb = 0; sb < k / 256; sb++, src += 144, dst += 256) {
        __m128i sm = sy_q4k_scales_mins(src + 4);
        __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm));
        __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
        float dsc[8], dmn[8];
        _mm256_storeu_ps(dsc, _mm256_mul_ps(_mm256_set1_ps(sy_h2f_256(src)), sc));
        _mm256_storeu_ps(dmn, _mm256_mul_ps(_mm256_set1_ps(sy_h2f_256(src + 2)), mn));
        for (int g = 0; g < 4; g++) {
            __m256i qv[2];
            sy_q4k_group(src, g, &qv[0], &qv[1]);
            for (int s = 0; s < 2; s++) {
                __m256 scale = _mm256_set1_ps(dsc[2 * g + s]), min = _mm256_set1_ps(dmn[2 * g + s]);
                for (int c = 0; c < 4; c++)
                    _mm256_storeu_ps(dst + 64 * g + 32 * s + 8 * c,
                                     _mm256_sub_ps(_mm256_mul_ps(scale, sy_u8x8_ps(qv[s], c)), min));
            }
        }
    }
}

void sy_dequant_q6_k_avx2(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t sb = 0; sb < k / 256; sb++, src += 210, dst += 256) {
        float dsc[16];
        __m256 d = _mm256_set1_ps(sy_h2f_last(src + 208));
        _mm256_storeu_ps(dsc, _mm256_mul_ps(d, sy_i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(src + 192)))));
        _mm256_storeu_ps(dsc + 8, _mm256_mul_ps(d, sy_i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(src + 200)))));
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            sy_q6k_half(src, h, q);
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 4; c++)
                    _mm256_storeu_ps(dst + 128 * h + 32 * j + 8 * c,
                                     _mm256_mul_ps(_mm256_set1_ps(dsc[8 * h + 2 * j + c / 2]), sy_i8x8_ps(q[j], c)));
        }
    }
}

#pragma clang attribute pop
