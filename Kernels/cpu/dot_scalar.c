// The portable tier: each weight block is dequantized (bit-exactly, by dequant_scalar.c) into a
// small buffer and dotted with every activation row. Obviously correct rather than fast; the SIMD
// tiers are the ones that matter.
#include "kernels_internal.h"

typedef void (*block_decoder)(const uint8_t *, int64_t, float *);

/// Shared loop of every scalar rows kernel: blocks of `be` elements, `bb` bytes (plain float
/// formats are decoded 256 elements at a time).
static void rows_generic(block_decoder decode, int64_t be, int64_t bb,
                         const uint8_t *w, size_t row_bytes, int64_t k,
                         const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int64_t r0, int64_t r1) {
    float tmp[256];
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * row_bytes;
        for (int64_t i = 0; i < n; i++) y[i * ldy + r] = 0;
        for (int64_t j0 = 0; j0 < k; j0 += be) {
            int64_t len = k - j0 < be ? k - j0 : be;
            decode(row + (j0 / be) * bb, len, tmp);
            for (int64_t i = 0; i < n; i++) {
                const float *xi = x + i * ldx + j0;
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int64_t j = 0;
                for (; j + 4 <= len; j += 4) {
                    s0 += tmp[j] * xi[j];
                    s1 += tmp[j + 1] * xi[j + 1];
                    s2 += tmp[j + 2] * xi[j + 2];
                    s3 += tmp[j + 3] * xi[j + 3];
                }
                for (; j < len; j++) s0 += tmp[j] * xi[j];
                y[i * ldy + r] += (s0 + s1) + (s2 + s3);
            }
        }
    }
}

#define SCALAR_ROWS(name, be, bb)                                                                 \
    void sy_rows_##name##_scalar(const uint8_t *w, size_t row_bytes, int64_t k, const float *x,   \
                                 int64_t ldx, int64_t n, const float *xsum, float *y,             \
                                 int64_t ldy, int64_t r0, int64_t r1) {                           \
        (void)xsum;                                                                               \
        rows_generic(sy_dequant_##name##_scalar, be, bb, w, row_bytes, k, x, ldx, n, y, ldy, r0,  \
                     r1);                                                                         \
    }

SCALAR_ROWS(f32, 256, 256 * 4)
SCALAR_ROWS(f16, 256, 256 * 2)
SCALAR_ROWS(bf16, 256, 256 * 2)
SCALAR_ROWS(q4_0, 32, 18)
SCALAR_ROWS(q4_1, 32, 20)
SCALAR_ROWS(q5_0, 32, 22)
SCALAR_ROWS(q8_0, 32, 34)
SCALAR_ROWS(q4_k, 256, 144)
SCALAR_ROWS(q6_k, 256, 210)

void sy_sums32_scalar(const float *x, int64_t k, float *sums) {
    for (int64_t b = 0; b < k / 32; b++) {
        float s = 0;
        for (int j = 0; j < 32; j++) s += x[32 * b + j];
        sums[b] = s;
    }
}

float sy_dot_f32_scalar(const float *a, const float *b, int64_t n) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

void sy_axpy_f32_scalar(float a, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

void sy_scale_f32_scalar(float a, float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] *= a;
}
