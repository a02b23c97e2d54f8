// AVX-512 dequantizers, bit-exact with dequant_scalar.c (and so with ggml and Dequantize.row):
// the same roundings in the same order — a product, then a sum, never fused — and scale products
// (d·sc) formed in f32 exactly as the scalar code forms them.
#pragma STDC FP_CONTRACT OFF
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX512))), apply_to = function)
#include "decode_avx512.h"

void sy_dequant_f32_avx512(const uint8_t *src, int64_t k, float *dst) {
    memcpy(dst, src, (size_t)k * 4);
}

void sy_dequant_f16_avx512(const uint8_t *src, int64_t k, float *dst) {
    int64_t i = 0;
    for (; i + 16 <= k; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + 2 * i))));
    for (; i < k; i++) dst[i] = _cvtsh_ss(sy_load_u16(src + 2 * i));
}

void sy_dequant_bf16_avx512(const uint8_t *src, int64_t k, float *dst) {
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
        __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(src + 2 * i)));
        _mm512_storeu_si512(dst + i, _mm512_slli_epi32(v, 16));
    }
    for (; i < k; i++) dst[i] = sy_bf16_to_f32(sy_load_u16(src + 2 * i));
}

SY_AI void dequant32(sy_format f, const uint8_t *src, int64_t k, float *dst) {
    const int64_t bb = sy_q32_bytes(f);
    for (int64_t b = 0; b < k / 32; b++, src += bb, dst += 32) {
        sy_blk32_512 q = sy_decode32_512(f, src);
        __m512 d = _mm512_set1_ps(q.d);
        __m512 lo = _mm512_mul_ps(q.lo, d), hi = _mm512_mul_ps(q.hi, d);
        if (f == SY_Q4_1) {
            __m512 m = _mm512_set1_ps(q.m);
            lo = _mm512_add_ps(lo, m);
            hi = _mm512_add_ps(hi, m);
        }
        _mm512_storeu_ps(dst, lo);
        _mm512_storeu_ps(dst + 16, hi);
    }
}

void sy_dequant_q4_0_avx512(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q4_0, s, k, d); }
void sy_dequant_q4_1_avx512(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q4_1, s, k, d); }
void sy_dequant_q5_0_avx512(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q5_0, s, k, d); }
void sy_dequant_q8_0_avx512(const uint8_t *s, int64_t k, float *d) { dequant32(SY_Q8_0, s, k, d); }

void sy_dequant_q4_k_avx512(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t sb = 0; sb < k / 256; sb++, src += 144, dst += 256) {
        __m128i sm = sy_q4k_scales_mins(src + 4);
        __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm));
        __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
        float dsc[8], dmn[8];
        _mm256_storeu_ps(dsc, _mm256_mul_ps(_mm256_set1_ps(sy_h2f_512(src)), sc));
        _mm256_storeu_ps(dmn, _mm256_mul_ps(_mm256_set1_ps(sy_h2f_512(src + 2)), mn));
        for (int g = 0; g < 4; g++) {
            __m256i qv[2];
            sy_q4k_group(src, g, &qv[0], &qv[1]);
            for (int s = 0; s < 2; s++) {
                __m512 scale = _mm512_set1_ps(dsc[2 * g + s]), min = _mm512_set1_ps(dmn[2 * g + s]);
                float *out = dst + 64 * g + 32 * s;
                _mm512_storeu_ps(out, _mm512_sub_ps(_mm512_mul_ps(scale, sy_u8_to_ps(qv[s], 0)), min));
                _mm512_storeu_ps(out + 16, _mm512_sub_ps(_mm512_mul_ps(scale, sy_u8_to_ps(qv[s], 1)), min));
            }
        }
    }
}

void sy_dequant_q6_k_avx512(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t sb = 0; sb < k / 256; sb++, src += 210, dst += 256) {
        __m512 sc = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(src + 192))));
        float dsc[16];
        _mm512_storeu_ps(dsc, _mm512_mul_ps(_mm512_set1_ps(sy_h2f_last(src + 208)), sc));
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            sy_q6k_half(src, h, q);
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 2; c++)
                    _mm512_storeu_ps(dst + 128 * h + 32 * j + 16 * c,
                                     _mm512_mul_ps(_mm512_set1_ps(dsc[8 * h + 2 * j + c]), sy_i8_to_ps(q[j], c)));
        }
    }
}

#pragma clang attribute pop
