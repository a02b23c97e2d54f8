// AVX2 block decoders shared by the AVX2 dot kernels and dequantizers. Included only after
// `#pragma clang attribute push(... target(SY_TARGET_AVX2) ...)`.
//
// A 32-element block (Q4_0, Q4_1, Q5_0, Q8_0) decodes to four vectors of 8 floats holding its
// integer quants with the format's offset removed (exact small integers), plus its f16 scale d (and
// Q4_1's minimum m): x = q · d (+ m).
#pragma once
#include <immintrin.h>
#include "kernels_internal.h"
#include "decode_k.h"

typedef struct { __m256 q[4]; float d, m; } sy_blk32_256;

SY_AI float sy_h2f_256(const uint8_t *p) { return sy_h2f(p); }

SY_AI int64_t sy_q32_bytes_256(sy_format f) {
    return f == SY_Q4_0 ? 18 : f == SY_Q4_1 ? 20 : f == SY_Q5_0 ? 22 : 34;
}

/// 0xFF in byte j where bit j of `bits` (16 bits) is set, else 0.
SY_AI __m128i sy_bits_to_bytes(uint32_t bits) {
    __m128i v = _mm_set1_epi16((short)bits);
    v = _mm_shuffle_epi8(v, _mm_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    const __m128i bit = _mm_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm_cmpeq_epi8(_mm_and_si128(v, bit), bit);
}

SY_AI __m256 sy_i8x8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

/// The block's 32 quants as unsigned bytes, as stored — elements 0..15 in *lo8, 16..31 in *hi8 —
/// and its scale d (and Q4_1's minimum m) in r: Q4_0 and Q4_1 0..15, Q5_0 0..31 with the fifth bit
/// (bit j of qh for element j) set in. Not for Q8_0.
SY_AI void sy_quants32u_256(sy_format f, const uint8_t *b, sy_blk32_256 *r, __m128i *lo8, __m128i *hi8) {
    r->d = sy_h2f_256(b);
    r->m = f == SY_Q4_1 ? sy_h2f_256(b + 2) : 0;
    const __m128i low4 = _mm_set1_epi8(0x0F);
    // Byte j holds element j (low nibble) and element j + 16 (high nibble).
    __m128i v = _mm_loadu_si128((const __m128i *)(b + (f == SY_Q4_0 ? 2 : f == SY_Q4_1 ? 4 : 6)));
    *lo8 = _mm_and_si128(v, low4);
    *hi8 = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
    if (f == SY_Q5_0) {
        uint32_t qh = sy_load_u32(b + 2);
        const __m128i sixteen = _mm_set1_epi8(16);
        *lo8 = _mm_or_si128(*lo8, _mm_and_si128(sy_bits_to_bytes(qh & 0xFFFF), sixteen));
        *hi8 = _mm_or_si128(*hi8, _mm_and_si128(sy_bits_to_bytes(qh >> 16), sixteen));
    }
}

/// Sixteen bytes (elements 0..15) and sixteen more (16..31), sign- or zero-extended, as four
/// vectors of 8 floats.
SY_AI void sy_bytes32_to_ps(__m128i lo8, __m128i hi8, int is_signed, __m256 q[4]) {
    __m128i parts[4] = {lo8, _mm_unpackhi_epi64(lo8, lo8), hi8, _mm_unpackhi_epi64(hi8, hi8)};
    for (int i = 0; i < 4; i++)
        q[i] = _mm256_cvtepi32_ps(is_signed ? _mm256_cvtepi8_epi32(parts[i]) : _mm256_cvtepu8_epi32(parts[i]));
}

SY_AI sy_blk32_256 sy_decode32_256(sy_format f, const uint8_t *b) {
    sy_blk32_256 r;
    if (f == SY_Q8_0) {
        // int8[32] at b + 2, sign-extended 8 at a time straight from memory.
        r.d = sy_h2f_256(b);
        r.m = 0;
        for (int i = 0; i < 4; i++) r.q[i] = sy_i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(b + 2 + 8 * i)));
        return r;
    }
    __m128i lo8, hi8;
    sy_quants32u_256(f, b, &r, &lo8, &hi8);
    if (f != SY_Q4_1) {   // Q4_0: q − 8; Q5_0: q − 16
        const __m128i offset = _mm_set1_epi8(f == SY_Q4_0 ? 8 : 16);
        lo8 = _mm_sub_epi8(lo8, offset);
        hi8 = _mm_sub_epi8(hi8, offset);
    }
    sy_bytes32_to_ps(lo8, hi8, 1, r.q);
    return r;
}

/// The same with the quants unsigned, as stored (the offsets 8 and 16 are left to the caller, who
/// applies them through the block sums of x). Q8_0 is signed as ever.
SY_AI sy_blk32_256 sy_decode32u_256(sy_format f, const uint8_t *b) {
    if (f == SY_Q8_0) return sy_decode32_256(f, b);
    sy_blk32_256 r;
    __m128i lo8, hi8;
    sy_quants32u_256(f, b, &r, &lo8, &hi8);
    sy_bytes32_to_ps(lo8, hi8, 0, r.q);
    return r;
}

/// Bytes 8c .. 8c + 7 of v (c < 4), zero- or sign-extended to 8 floats.
SY_AI __m128i sy_part8(__m256i v, int c) {
    __m128i h = c >= 2 ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
    return c & 1 ? _mm_unpackhi_epi64(h, h) : h;
}
SY_AI __m256 sy_u8x8_ps(__m256i v, int c) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sy_part8(v, c))); }
SY_AI __m256 sy_i8x8_ps(__m256i v, int c) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sy_part8(v, c))); }

SY_AI float sy_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
