// Bit-unpacking helpers for Q4_K and Q6_K super-blocks, shared by the AVX2 and AVX-512 tiers: they
// use only 128/256-bit AVX2 integer instructions. Included only after a
// `#pragma clang attribute push(... target(...) ...)` that enables at least AVX2.
#pragma once
#include <immintrin.h>
#include "kernels_internal.h"

#define SY_AI static inline __attribute__((always_inline))

/// The f16 at p as a float; p + 2 and p + 3 must be readable too. Not `_cvtsh_ss`: clang compiles
/// a 16-bit load into a vector as a `vpinsrw` into whatever register is at hand, often a live
/// accumulator, which chains each block's scale to the previous block's FMAs (2× slower on
/// several-row products). A 32-bit `vmovd` load writes a whole register and depends on nothing;
/// the empty asm keeps clang from narrowing it back to 16 bits.
SY_AI float sy_h2f(const uint8_t *p) {
    __m128i v = _mm_cvtsi32_si128((int)sy_load_u32(p));
    __asm__("" : "+x"(v));
    return _mm_cvtss_f32(_mm_cvtph_ps(v));
}

/// The same for an f16 at the end of a block: p − 2 and p − 1 must be readable.
SY_AI float sy_h2f_last(const uint8_t *p) {
    __m128i v = _mm_cvtsi32_si128((int)sy_load_u32(p - 2));
    __asm__("" : "+x"(v));
    return _mm_cvtss_f32(_mm_movehdup_ps(_mm_cvtph_ps(v)));
}

/// Q4_K's 6-bit scales and minimums as bytes: scales in bytes 0–7, minimums in 8–15 (ggml's
/// 32-bit-word shuffle, equivalent to get_scale_min_k4 for all eight sub-blocks at once).
SY_AI __m128i sy_q4k_scales_mins(const uint8_t *p) {
    uint32_t u[4];
    memcpy(u, p, 12);
    const uint32_t k1 = 0x3f3f3f3f, k2 = 0x0f0f0f0f, k3 = 0x03030303;
    u[3] = ((u[2] >> 4) & k2) | (((u[1] >> 6) & k3) << 4);   // mins 4–7
    uint32_t mins03 = u[1] & k1;
    u[1] = (u[2] & k2) | (((u[0] >> 6) & k3) << 4);          // scales 4–7
    u[2] = mins03;
    u[0] &= k1;                                              // scales 0–3
    return _mm_loadu_si128((const __m128i *)u);
}

/// Q4_K quant group g (bytes 16 + 32g of the super-block): sub-block 2g's 32 quants (low nibbles)
/// in *lo and sub-block 2g + 1's (high nibbles) in *hi, one quant per byte.
SY_AI void sy_q4k_group(const uint8_t *b, int g, __m256i *lo, __m256i *hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256i v = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * g));
    *lo = _mm256_and_si256(v, low4);
    *hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
}

/// Q6_K half h of a super-block: q[j] holds elements 32j .. 32j + 31 of the half as signed bytes
/// (q − 32), with
///     q[0] = ql[l] & 15       | (qh[l] & 3) << 4           q[1] = ql[l+32] & 15 | (qh[l] >> 2 & 3) << 4
///     q[2] = ql[l] >> 4       | (qh[l] >> 4 & 3) << 4      q[3] = ql[l+32] >> 4 | (qh[l] >> 6 & 3) << 4
/// (16-bit lane shifts are fine: the masks drop the bits that cross a byte).
SY_AI void sy_q6k_half(const uint8_t *b, int h, __m256i q[4]) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
    const __m256i off = _mm256_set1_epi8(32);
    __m256i A = _mm256_loadu_si256((const __m256i *)(b + 64 * h));
    __m256i B = _mm256_loadu_si256((const __m256i *)(b + 64 * h + 32));
    __m256i H = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * h));
    q[0] = _mm256_or_si256(_mm256_and_si256(A, low4), _mm256_and_si256(_mm256_slli_epi16(H, 4), bits45));
    q[1] = _mm256_or_si256(_mm256_and_si256(B, low4), _mm256_and_si256(_mm256_slli_epi16(H, 2), bits45));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(A, 4), low4), _mm256_and_si256(H, bits45));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(B, 4), low4),
                           _mm256_and_si256(_mm256_srli_epi16(H, 2), bits45));
    for (int j = 0; j < 4; j++) q[j] = _mm256_sub_epi8(q[j], off);
}

