// Portable f32 vector functions: vector_avx2.c's arithmetic a lane at a time (same polynomial, same
// clamps, NaN kept), for CPUs without AVX2.
#include "kernels_internal.h"

/// e^x as exp8 in vector_avx2.c.
static inline float exp1(float x) {
    float c = x < -87.3f ? -87.3f : x;   // NaN fails both tests and stays NaN
    c = c > 88.7f ? 88.7f : c;
    float shifted = c * 1.44269504f + 12582912.f;
    float k = shifted - 12582912.f;
    int32_t ik;
    memcpy(&ik, &shifted, 4);
    ik -= 0x4B400000;
    float r = c - k * 0.69314575f - k * 1.4286068e-6f;
    float p = 1.f / 5040;
    p = p * r + 1.f / 720;
    p = p * r + 1.f / 120;
    p = p * r + 1.f / 24;
    p = p * r + 1.f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.f;
    p = p * r + 1.f;
    uint32_t bits = (uint32_t)(ik + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

static inline float silu1(float x) { return x / (1.f + exp1(-x)); }
static inline float gelu1(float x) { return x / (1.f + exp1(-2.f * (0.79788456f * (x + 0.044715f * x * x * x)))); }

void sy_unary_f32_scalar(sy_unary_op op, float param, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        switch (op) {
        case SY_UNARY_SCALE: v = v * param; break;
        case SY_UNARY_SILU: v = silu1(v); break;
        case SY_UNARY_GELU: v = gelu1(v); break;
        case SY_UNARY_SOFTCAP: v = param * (1.f - 2.f / (exp1(2.f * v / param) + 1.f)); break;
        case SY_UNARY_EXP_MINUS: v = exp1(v - param); break;
        }
        y[i] = v;
    }
}

void sy_binary_f32_scalar(sy_binary_op op, float param, const float *a, const float *b, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float u = a[i], v = b[i];
        switch (op) {
        case SY_BINARY_ADD: u = u + v; break;
        case SY_BINARY_MUL: u = u * v; break;
        case SY_BINARY_SWIGLU: u = silu1(u) * v; break;
        case SY_BINARY_GEGLU: u = gelu1(u) * v; break;
        case SY_BINARY_SCALED_MUL: u = u * param * v; break;
        }
        y[i] = u;
    }
}

float sy_softmax_numerators_f32_scalar(float *x, int64_t n, float *maximum) {
    float m = -__builtin_inff();
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    float total = 0;
    for (int64_t i = 0; i < n; i++) { x[i] = exp1(x[i] - m); total += x[i]; }
    *maximum = m;
    return total;
}

void sy_attention_scores_scalar(const float *q, int64_t heads, int64_t group, int64_t hd, float scale,
                                const float *keys, int64_t stride, int64_t cache_rows, int64_t first,
                                int64_t i0, int64_t i1, float *scores, int64_t ld) {
    for (int64_t i = i0; i < i1; i++) {
        const float *key = keys + ((first + i) % cache_rows) * stride;
        for (int64_t h = 0; h < heads; h++) {
            const float *qh = q + h * hd, *kh = key + (h / group) * hd;
            float s = 0;
            for (int64_t d = 0; d < hd; d++) s += qh[d] * kh[d];
            scores[h * ld + i] = scale * s;
        }
    }
}

void sy_attention_values_scalar(const float *scores, int64_t ld, int64_t heads, int64_t group, int64_t hd,
                                const float *values, int64_t stride, int64_t cache_rows, int64_t first,
                                int64_t i0, int64_t i1, float *out) {
    for (int64_t i = i0; i < i1; i++) {
        const float *value = values + ((first + i) % cache_rows) * stride;
        for (int64_t h = 0; h < heads; h++) {
            const float *x = value + (h / group) * hd;
            float a = scores[h * ld + i], *y = out + h * hd;
            for (int64_t d = 0; d < hd; d++) y[d] = __builtin_fmaf(a, x[d], y[d]);
        }
    }
}
