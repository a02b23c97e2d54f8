// Internal interface between the dispatcher (dispatch.c) and the per-tier kernel files.
//
// Every tier provides, per weight format, one "rows" kernel and one dequantizer; the dispatcher
// keeps one table per tier and picks a table once. Kernel files for one instruction set wrap all
// their functions in `#pragma clang attribute push(__attribute__((target(...))))`, so a binary
// built for plain x86-64 still carries the AVX2 and AVX-512 code and runs it only where the CPU
// has it.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "switchyard_kernels.h"

#define SY_FORMAT_COUNT 9

#define SY_TARGET_AVX2 "avx2,fma,f16c"
#define SY_TARGET_AVX512 "avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"

/// y[i * ldy + r] = Σ_j W[r][j] · x[i * ldx + j] for i < n, r in [r0, r1).
/// `xsum` (only for n == 1 and formats with a minimum or offset: Q4_0, Q4_1, Q5_0, Q4_K) holds the sums
/// of x over each 32-element block: xsum[b] = Σ_{j<32} x[32b + j]; it is always given then. For
/// n > 1 it is NULL.
typedef void (*sy_rows_fn)(const uint8_t *w, size_t row_bytes, int64_t k,
                           const float *x, int64_t ldx, int64_t n, const float *xsum,
                           float *y, int64_t ldy, int64_t r0, int64_t r1);
/// Bit-exact dequantization of k elements.
typedef void (*sy_dequant_fn)(const uint8_t *src, int64_t k, float *dst);

/// y[r] = Σ_j W[r][j] · x[j] for r in [r0, r1) with x given as int16 per 32-element block:
/// x[32b + j] ≈ xq[32b + j] · xscale[b]. `xsum` as for sy_rows_fn (exact f32 block sums of x).
typedef void (*sy_rows_i16_fn)(const uint8_t *w, size_t row_bytes, int64_t k, const int16_t *xq,
                               const float *xscale, const float *xsum, float *y, int64_t r0, int64_t r1);

/// The int16-activation kernels of a tier (dot_i16_*.c): x's quantizer and, per format, a one-row
/// product (NULL for formats without one).
typedef struct {
    void (*quantize)(const float *x, int64_t k, int16_t *q, float *scales);
    sy_rows_i16_fn rows[SY_FORMAT_COUNT];
} sy_i16_table;

/// The f32 vector functions of a tier (vector_*.c): the activations, softmax and decode attention.
typedef struct {
    void (*unary)(sy_unary_op, float, const float *, float *, int64_t);
    void (*binary)(sy_binary_op, float, const float *, const float *, float *, int64_t);
    float (*softmax_numerators)(float *, int64_t, float *);
    void (*attention_scores)(const float *, int64_t, int64_t, int64_t, float, const float *, int64_t, int64_t,
                             int64_t, int64_t, int64_t, float *, int64_t);
    void (*attention_values)(const float *, int64_t, int64_t, int64_t, int64_t, const float *, int64_t, int64_t,
                             int64_t, int64_t, int64_t, float *);
} sy_vector_table;

typedef struct {
    const char *name;
    sy_rows_fn rows[SY_FORMAT_COUNT];
    sy_dequant_fn dequant[SY_FORMAT_COUNT];
    /// sums[b] = Σ_{j<32} x[32b + j] for b < k / 32.
    void (*sums32)(const float *x, int64_t k, float *sums);
    float (*dot)(const float *a, const float *b, int64_t n);
    void (*axpy)(float a, const float *x, float *y, int64_t n);
    void (*scale)(float a, float *y, int64_t n);
    sy_vector_table vector;
    /// The tier's int16-activation kernels, or NULL where it has none.
    const sy_i16_table *i16;
    /// The tier's own f32 GEMM (`sy_gemm_nt`) and its scratch size, or NULL where it has none.
    int64_t (*gemm_scratch)(int64_t m, int64_t k);
    void (*gemm)(int64_t n, int64_t m, int64_t k, const float *x, int64_t ldx, const float *w, int64_t ldw,
                 float *y, int64_t ldy, float *scratch);
} sy_kernel_table;

// Loads of little-endian fields at any alignment (x86 is little-endian).
static inline uint16_t sy_load_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t sy_load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

/// binary16 → f32, exact, by bit manipulation (the scalar tier cannot assume F16C). Matches
/// `HalfFloat.float(fromFP16:)` and vcvtph2ps, NaN payloads (quieted) included.
static inline float sy_fp16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x03FF, bits;
    if (exponent == 0) {
        float magnitude = (float)mantissa * 0x1p-24f;   // zero or subnormal: exact
        memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa ? 0x00400000u : 0) | (mantissa << 13);
    } else {
        bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// The one-row products of the 32-element block formats sum q·x unsigned and keep per block the
/// term their minimum or offset needs: Q4_1 m·Σx, Q4_0 and Q5_0 d·Σx, with Σx = xsum[b] (read
/// only then: Q8_0's kernels get no sums).
static inline float sy_q32_offset_term(sy_format f, float d, float m, const float *xsum, int64_t b) {
    return f == SY_Q4_1 ? m * xsum[b] : f == SY_Q8_0 ? 0 : d * xsum[b];
}

/// The product from s = Σ_blocks d·Σq·x and m = Σ of the blocks' offset terms.
static inline float sy_q32_finish(sy_format f, float s, float m) {
    return f == SY_Q4_1 ? s + m : f == SY_Q4_0 ? s - 8 * m : f == SY_Q5_0 ? s - 16 * m : s;
}

static inline float sy_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/// Q4_K's packed 6-bit scales and minimums (12 bytes) → sc[0..7], mn[0..7]. As ggml's
/// `get_scale_min_k4`: sub-blocks 0–3 in the low 6 bits of bytes 0–3 (scales) and 4–7 (mins);
/// sub-blocks 4–7 from the nibbles of bytes 8–11 plus the top 2 bits of bytes 0–7.
static inline void sy_q4k_scales(const uint8_t *q, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (uint8_t)((q[j + 8] & 0x0F) | ((q[j] >> 6) << 4));
        mn[j + 4] = (uint8_t)((q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4));
    }
}

// Per-tier kernels. Names: sy_<what>_<format>_<tier>.
#define SY_DECLARE_TIER(tier)                                                                     \
    void sy_rows_f32_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,    \
                            const float *, float *, int64_t, int64_t, int64_t);                   \
    void sy_rows_f16_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,    \
                            const float *, float *, int64_t, int64_t, int64_t);                   \
    void sy_rows_bf16_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q4_0_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q4_1_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q5_0_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q8_0_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q4_k_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_rows_q6_k_##tier(const uint8_t *, size_t, int64_t, const float *, int64_t, int64_t,   \
                             const float *, float *, int64_t, int64_t, int64_t);                  \
    void sy_dequant_f32_##tier(const uint8_t *, int64_t, float *);                                \
    void sy_dequant_f16_##tier(const uint8_t *, int64_t, float *);                                \
    void sy_dequant_bf16_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q4_0_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q4_1_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q5_0_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q8_0_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q4_k_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_dequant_q6_k_##tier(const uint8_t *, int64_t, float *);                               \
    void sy_sums32_##tier(const float *, int64_t, float *);                                       \
    float sy_dot_f32_##tier(const float *, const float *, int64_t);                               \
    void sy_axpy_f32_##tier(float, const float *, float *, int64_t);                              \
    void sy_scale_f32_##tier(float, float *, int64_t);

SY_DECLARE_TIER(scalar)
SY_DECLARE_TIER(avx2)
SY_DECLARE_TIER(avx512)
void sy_quantize_i16_avx2(const float *x, int64_t k, int16_t *q, float *scales);
#define SY_DECLARE_I16(name)                                                                      \
    void sy_rows_i16_##name##_avx2(const uint8_t *, size_t, int64_t, const int16_t *, const float *, \
                                   const float *, float *, int64_t, int64_t);
SY_DECLARE_I16(q4_0)
SY_DECLARE_I16(q4_1)
SY_DECLARE_I16(q5_0)
SY_DECLARE_I16(q8_0)
SY_DECLARE_I16(q4_k)
SY_DECLARE_I16(q6_k)
int64_t sy_gemm_nt_scratch_avx512(int64_t m, int64_t k);
void sy_gemm_nt_avx512(int64_t n, int64_t m, int64_t k, const float *x, int64_t ldx, const float *w, int64_t ldw,
                       float *y, int64_t ldy, float *scratch);

// The vector functions exist twice: scalar, and AVX2+FMA (which the AVX-512 tier uses too: their
// rows are a head or a hidden state, a few hundred floats, where 16 lanes gain nothing measurable).
#define SY_DECLARE_VECTOR(tier)                                                                   \
    void sy_unary_f32_##tier(sy_unary_op, float, const float *, float *, int64_t);                \
    void sy_binary_f32_##tier(sy_binary_op, float, const float *, const float *, float *, int64_t); \
    float sy_softmax_numerators_f32_##tier(float *, int64_t, float *);                            \
    void sy_attention_scores_##tier(const float *, int64_t, int64_t, int64_t, float, const float *, \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, float *, int64_t); \
    void sy_attention_values_##tier(const float *, int64_t, int64_t, int64_t, int64_t, const float *, \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, float *);
SY_DECLARE_VECTOR(scalar)
SY_DECLARE_VECTOR(avx2)
