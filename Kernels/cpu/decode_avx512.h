// AVX-512 block decoders shared by the AVX-512 dot kernels and dequantizers. Included only after
// `#pragma clang attribute push(... target(SY_TARGET_AVX512) ...)`.
//
// A 32-element block (Q4_0, Q4_1, Q5_0, Q8_0) decodes to two vectors of 16 floats holding its
// integer quants with the format's offset already removed (so exact small integers), plus its f16
// scale d (and Q4_1's minimum m): x = lo/hi · d (+ m). The dot kernels multiply by d once per block
// (a broadcast FMA), not once per element.
#pragma once
#include <immintrin.h>
#include "kernels_internal.h"
#include "decode_k.h"

typedef struct { __m512 lo, hi; float d, m; } sy_blk32_512;

SY_AI float sy_h2f_512(const uint8_t *p) { return sy_h2f(p); }

/// The f16 at p, converted and broadcast to 16 lanes (a broadcast load and one conversion).
SY_AI __m512 sy_h2f16x_512(const uint8_t *p) {
    return _mm512_cvtph_ps(_mm256_set1_epi16((short)sy_load_u16(p)));
}

SY_AI int64_t sy_q32_bytes(sy_format f) {
    return f == SY_Q4_0 ? 18 : f == SY_Q4_1 ? 20 : f == SY_Q5_0 ? 22 : 34;
}

SY_AI sy_blk32_512 sy_decode32_512(sy_format f, const uint8_t *b) {
    sy_blk32_512 r;
    r.d = sy_h2f_512(b);
    r.m = 0;
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m128i lo8, hi8;   // int8 quants of elements 0..15 and 16..31
    if (f == SY_Q8_0) {
        // int8[32] at b + 2: sign-extend straight from memory.
        r.lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 2))));
        r.hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 18))));
        return r;
    }
    const uint8_t *qs = b + (f == SY_Q4_0 ? 2 : f == SY_Q4_1 ? 4 : 6);
    __m128i v = _mm_loadu_si128((const __m128i *)qs);
    // Byte j holds element j (low nibble) and element j + 16 (high nibble).
    lo8 = _mm_and_si128(v, low4);
    hi8 = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
    if (f == SY_Q4_0) {
        lo8 = _mm_sub_epi8(lo8, _mm_set1_epi8(8));
        hi8 = _mm_sub_epi8(hi8, _mm_set1_epi8(8));
    } else if (f == SY_Q5_0) {
        // Bit j of qh is the fifth bit of element j: q − 16 is the nibble where that bit is set,
        // the nibble − 16 where it is not; the bits serve directly as AVX-512 byte masks.
        uint32_t qh = sy_load_u32(b + 2);
        const __m128i sixteen = _mm_set1_epi8(16);
        lo8 = _mm_mask_sub_epi8(lo8, (__mmask16)~qh, lo8, sixteen);
        hi8 = _mm_mask_sub_epi8(hi8, (__mmask16)~(qh >> 16), hi8, sixteen);
    } else {   // Q4_1: unsigned quants and a minimum
        r.m = sy_h2f_512(b + 2);
    }
    r.lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo8));
    r.hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi8));
    return r;
}

/// Bytes 0..15 (c = 0) or 16..31 (c = 1) of v, zero- or sign-extended to 16 floats.
SY_AI __m512 sy_u8_to_ps(__m256i v, int c) {
    __m128i h = c ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(h));
}
SY_AI __m512 sy_i8_to_ps(__m256i v, int c) {
    __m128i h = c ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(h));
}
