// AVX2+FMA f32 vector functions: the activations, softmax numerators and decode attention's two
// loops (vector_scalar.c is the same arithmetic a lane at a time). Rows of any length: a tail of
// fewer than 8 goes through a zero-padded vector, so every element gets the same arithmetic.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)
#include "decode_avx2.h"

#define V8 _mm256_set1_ps

/// e^x: x = k·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 Taylor polynomial, 2^k by exponent bits;
/// rounding and the integer k come from adding 1.5·2²³. The clamp keeps NaN (max/min return their
/// second operand when either is NaN).
SY_AI __m256 exp8(__m256 x) {
    __m256 c = _mm256_min_ps(V8(88.7f), _mm256_max_ps(V8(-87.3f), x));
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(c, V8(1.44269504f)), V8(12582912.f));
    __m256 k = _mm256_sub_ps(shifted, V8(12582912.f));
    __m256i ik = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256 r = _mm256_sub_ps(_mm256_sub_ps(c, _mm256_mul_ps(k, V8(0.69314575f))), _mm256_mul_ps(k, V8(1.4286068e-6f)));
    __m256 p = V8(1.f / 5040);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f / 720));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f / 120));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f / 24));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f / 6));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(0.5f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), V8(1.f));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ik, _mm256_set1_epi32(127)), 23)));
}

SY_AI __m256 silu8(__m256 x) {
    return _mm256_div_ps(x, _mm256_add_ps(V8(1.f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

SY_AI __m256 gelu8(__m256 x) {
    __m256 y = _mm256_mul_ps(V8(0.79788456f), _mm256_add_ps(x, _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(V8(0.044715f), x), x), x)));
    return _mm256_div_ps(x, _mm256_add_ps(V8(1.f), exp8(_mm256_mul_ps(V8(-2.f), y))));
}

SY_AI __m256 unary8(sy_unary_op op, float param, __m256 x) {
    switch (op) {
    case SY_UNARY_SCALE: return _mm256_mul_ps(x, V8(param));
    case SY_UNARY_SILU: return silu8(x);
    case SY_UNARY_GELU: return gelu8(x);
    case SY_UNARY_SOFTCAP: {
        __m256 e = exp8(_mm256_div_ps(_mm256_mul_ps(V8(2.f), x), V8(param)));
        return _mm256_mul_ps(V8(param), _mm256_sub_ps(V8(1.f), _mm256_div_ps(V8(2.f), _mm256_add_ps(e, V8(1.f)))));
    }
    case SY_UNARY_EXP_MINUS: return exp8(_mm256_sub_ps(x, V8(param)));
    }
    return x;
}

SY_AI __m256 binary8(sy_binary_op op, float param, __m256 a, __m256 b) {
    switch (op) {
    case SY_BINARY_ADD: return _mm256_add_ps(a, b);
    case SY_BINARY_MUL: return _mm256_mul_ps(a, b);
    case SY_BINARY_SWIGLU: return _mm256_mul_ps(silu8(a), b);
    case SY_BINARY_GEGLU: return _mm256_mul_ps(gelu8(a), b);
    case SY_BINARY_SCALED_MUL: return _mm256_mul_ps(_mm256_mul_ps(a, V8(param)), b);
    }
    return a;
}

// One loop per op, so the switch is decided outside it.
#define SY_UNARY_LOOP(OP)                                                                         \
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, unary8(OP, param, _mm256_loadu_ps(x + i))); \
    if (i < n) {                                                                                  \
        float t[8] = {0};                                                                         \
        memcpy(t, x + i, (size_t)(n - i) * 4);                                                    \
        _mm256_storeu_ps(t, unary8(OP, param, _mm256_loadu_ps(t)));                               \
        memcpy(y + i, t, (size_t)(n - i) * 4);                                                    \
    }

void sy_unary_f32_avx2(sy_unary_op op, float param, const float *x, float *y, int64_t n) {
    int64_t i = 0;
    switch (op) {
    case SY_UNARY_SCALE: SY_UNARY_LOOP(SY_UNARY_SCALE) break;
    case SY_UNARY_SILU: SY_UNARY_LOOP(SY_UNARY_SILU) break;
    case SY_UNARY_GELU: SY_UNARY_LOOP(SY_UNARY_GELU) break;
    case SY_UNARY_SOFTCAP: SY_UNARY_LOOP(SY_UNARY_SOFTCAP) break;
    case SY_UNARY_EXP_MINUS: SY_UNARY_LOOP(SY_UNARY_EXP_MINUS) break;
    }
}

#define SY_BINARY_LOOP(OP)                                                                        \
    for (; i + 8 <= n; i += 8)                                                                    \
        _mm256_storeu_ps(y + i, binary8(OP, param, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i))); \
    if (i < n) {                                                                                  \
        float ta[8] = {0}, tb[8] = {0};                                                           \
        memcpy(ta, a + i, (size_t)(n - i) * 4);                                                   \
        memcpy(tb, b + i, (size_t)(n - i) * 4);                                                   \
        _mm256_storeu_ps(ta, binary8(OP, param, _mm256_loadu_ps(ta), _mm256_loadu_ps(tb)));       \
        memcpy(y + i, ta, (size_t)(n - i) * 4);                                                   \
    }

void sy_binary_f32_avx2(sy_binary_op op, float param, const float *a, const float *b, float *y, int64_t n) {
    int64_t i = 0;
    switch (op) {
    case SY_BINARY_ADD: SY_BINARY_LOOP(SY_BINARY_ADD) break;
    case SY_BINARY_MUL: SY_BINARY_LOOP(SY_BINARY_MUL) break;
    case SY_BINARY_SWIGLU: SY_BINARY_LOOP(SY_BINARY_SWIGLU) break;
    case SY_BINARY_GEGLU: SY_BINARY_LOOP(SY_BINARY_GEGLU) break;
    case SY_BINARY_SCALED_MUL: SY_BINARY_LOOP(SY_BINARY_SCALED_MUL) break;
    }
}

float sy_softmax_numerators_f32_avx2(float *x, int64_t n, float *maximum) {
    float m = -__builtin_inff();
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    sy_unary_f32_avx2(SY_UNARY_EXP_MINUS, m, x, x, n);
    float total = 0;
    for (int64_t i = 0; i < n; i++) total += x[i];
    *maximum = m;
    return total;
}

/// Σ a[d]·b[d] over d < n: two FMA chains of 8 lanes and a scalar tail.
SY_AI float dot(const float *a, const float *b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0;
    int64_t d = 0;
    for (; d + 16 <= n; d += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + d + 8), _mm256_loadu_ps(b + d + 8), s1);
    }
    if (d + 8 <= n) { s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), s0); d += 8; }
    float s = sy_hsum256(_mm256_add_ps(s0, s1));
    for (; d < n; d++) s += a[d] * b[d];
    return s;
}

void sy_attention_scores_avx2(const float *q, int64_t heads, int64_t group, int64_t hd, float scale,
                              const float *keys, int64_t stride, int64_t cache_rows, int64_t first,
                              int64_t i0, int64_t i1, float *scores, int64_t ld) {
    for (int64_t i = i0; i < i1; i++) {
        const float *key = keys + ((first + i) % cache_rows) * stride;
        for (int64_t h = 0; h < heads; h++) scores[h * ld + i] = scale * dot(q + h * hd, key + (h / group) * hd, hd);
    }
}

void sy_attention_values_avx2(const float *scores, int64_t ld, int64_t heads, int64_t group, int64_t hd,
                              const float *values, int64_t stride, int64_t cache_rows, int64_t first,
                              int64_t i0, int64_t i1, float *out) {
    for (int64_t i = i0; i < i1; i++) {
        const float *value = values + ((first + i) % cache_rows) * stride;
        for (int64_t h = 0; h < heads; h++) {
            const float *x = value + (h / group) * hd;
            float *y = out + h * hd;
            __m256 a = _mm256_set1_ps(scores[h * ld + i]);
            int64_t d = 0;
            for (; d + 8 <= hd; d += 8) _mm256_storeu_ps(y + d, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + d), _mm256_loadu_ps(y + d)));
            for (; d < hd; d++) y[d] = __builtin_fmaf(scores[h * ld + i], x[d], y[d]);
        }
    }
}

#pragma clang attribute pop
