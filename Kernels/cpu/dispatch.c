// Run-time choice of the instruction-set tier and the public entry points.
//
// The tier is chosen once (first call, or sy_force_tier) and kept as a pointer to one of three
// function tables; every entry point then costs one atomic load and an indirect call.
#include <stdlib.h>
#include <strings.h>
#include "kernels_internal.h"

#define SY_TABLE(tier, vtier, i16, gemm_scratch, gemm)                                             \
    static const sy_kernel_table table_##tier = {                                                 \
        #tier,                                                                                    \
        {sy_rows_f32_##tier, sy_rows_f16_##tier, sy_rows_bf16_##tier, sy_rows_q4_0_##tier,        \
         sy_rows_q4_1_##tier, sy_rows_q5_0_##tier, sy_rows_q8_0_##tier, sy_rows_q4_k_##tier,      \
         sy_rows_q6_k_##tier},                                                                    \
        {sy_dequant_f32_##tier, sy_dequant_f16_##tier, sy_dequant_bf16_##tier,                    \
         sy_dequant_q4_0_##tier, sy_dequant_q4_1_##tier, sy_dequant_q5_0_##tier,                  \
         sy_dequant_q8_0_##tier, sy_dequant_q4_k_##tier, sy_dequant_q6_k_##tier},                 \
        sy_sums32_##tier, sy_dot_f32_##tier, sy_axpy_f32_##tier, sy_scale_f32_##tier,             \
        {sy_unary_f32_##vtier, sy_binary_f32_##vtier, sy_softmax_numerators_f32_##vtier,          \
         sy_attention_scores_##vtier, sy_attention_values_##vtier},                               \
        i16, gemm_scratch, gemm,                                                                  \
    };

// The int16-activation kernels exist for the quantized formats, in AVX2.
static const sy_i16_table i16_avx2 = {
    sy_quantize_i16_avx2,
    {NULL, NULL, NULL, sy_rows_i16_q4_0_avx2, sy_rows_i16_q4_1_avx2, sy_rows_i16_q5_0_avx2,
     sy_rows_i16_q8_0_avx2, sy_rows_i16_q4_k_avx2, sy_rows_i16_q6_k_avx2},
};

// Only the AVX-512 tier has a GEMM of its own; the others leave large products to OpenBLAS.
SY_TABLE(scalar, scalar, NULL, NULL, NULL)
SY_TABLE(avx2, avx2, &i16_avx2, NULL, NULL)
SY_TABLE(avx512, avx2, &i16_avx2, sy_gemm_nt_scratch_avx512, sy_gemm_nt_avx512)

static const sy_kernel_table *current;   // accessed atomically

/// 2 = AVX-512, 1 = AVX2, 0 = scalar: the best this CPU runs.
static int best_tier(void) {
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    if (!avx2) return 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) return 2;
    return 1;
}

static int tier_named(const char *name, int fallback) {
    if (!name || !*name) return fallback;
    if (!strcasecmp(name, "avx512")) return 2;
    if (!strcasecmp(name, "avx2")) return 1;
    if (!strcasecmp(name, "scalar")) return 0;
    return fallback;
}

static const sy_kernel_table *table_for(int tier) {
    int best = best_tier();
    if (tier > best) tier = best;
    return tier == 2 ? &table_avx512 : tier == 1 ? &table_avx2 : &table_scalar;
}

static const sy_kernel_table *kernels(void) {
    const sy_kernel_table *t = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    if (__builtin_expect(t != NULL, 1)) return t;
    // Racing first calls compute the same table; whichever store lands is fine.
    t = table_for(tier_named(getenv("SWITCHYARD_CPU"), 2));
    __atomic_store_n(&current, t, __ATOMIC_RELEASE);
    return t;
}

void sy_force_tier(const char *tier) {
    const sy_kernel_table *t = tier ? table_for(tier_named(tier, 2))
                                    : table_for(tier_named(getenv("SWITCHYARD_CPU"), 2));
    __atomic_store_n(&current, t, __ATOMIC_RELEASE);
}

const char *sy_cpu_tier(void) { return kernels()->name; }

int64_t sy_gemm_nt_scratch(int64_t m, int64_t k) {
    const sy_kernel_table *t = kernels();
    return t->gemm_scratch && m > 0 && k > 0 ? t->gemm_scratch(m, k) : 0;
}

void sy_gemm_nt(int64_t n, int64_t m, int64_t k, const float *x, int64_t ldx, const float *w, int64_t ldw,
                float *y, int64_t ldy, float *scratch) {
    const sy_kernel_table *t = kernels();
    if (t->gemm && n > 0 && m > 0 && k > 0) t->gemm(n, m, k, x, ldx, w, ldw, y, ldy, scratch);
}

int64_t sy_block_elements(sy_format f) {
    return f == SY_Q4_K || f == SY_Q6_K ? 256 : f >= SY_Q4_0 ? 32 : 1;
}

int64_t sy_block_bytes(sy_format f) {
    static const int64_t bytes[SY_FORMAT_COUNT] = {4, 2, 2, 18, 20, 22, 34, 144, 210};
    return (unsigned)f < SY_FORMAT_COUNT ? bytes[f] : 0;
}

/// Formats with a per-block minimum or offset (Q4_1, Q4_K: x = q·d + m; Q4_0, Q5_0: x = (q − c)·d)
/// have kernels that use Σ w·x = d·Σ q·x + m·Σ x, with the 32-element sums of x computed once per
/// call instead of once per weight row.
static int needs_sums(sy_format f) { return f == SY_Q4_0 || f == SY_Q4_1 || f == SY_Q5_0 || f == SY_Q4_K; }

void sy_matvec(sy_format f, const void *w, size_t row_bytes, int64_t k,
               const float *x, float *y, int64_t row_begin, int64_t row_end) {
    sy_matmul_rows(f, w, row_bytes, k, x, k, 1, y, 0, row_begin, row_end);
}

void sy_matmul_rows(sy_format f, const void *w, size_t row_bytes, int64_t k,
                    const float *x, int64_t ldx, int64_t n,
                    float *y, int64_t ldy, int64_t row_begin, int64_t row_end) {
    if ((unsigned)f >= SY_FORMAT_COUNT || row_end <= row_begin || n <= 0) return;
    const sy_kernel_table *t = kernels();
    if (k <= 0) {
        for (int64_t i = 0; i < n; i++)
            for (int64_t r = row_begin; r < row_end; r++) y[i * ldy + r] = 0;
        return;
    }
    if (n == 1 && needs_sums(f)) {
        float stack[1024];
        int64_t blocks = k / 32;
        float *sums = blocks <= 1024 ? stack : malloc((size_t)blocks * sizeof(float));
        if (!sums) t = &table_scalar;   // out of memory: the scalar kernels need no sums
        else t->sums32(x, k, sums);
        t->rows[f]((const uint8_t *)w, row_bytes, k, x, ldx, 1, sums, y, ldy, row_begin, row_end);
        if (sums && sums != stack) free(sums);
        return;
    }
    if (n <= 8) {
        t->rows[f]((const uint8_t *)w, row_bytes, k, x, ldx, n, NULL, y, ldy, row_begin, row_end);
        return;
    }
    // More activation rows than one register tile holds: go through the weight rows in chunks of
    // about 32 KiB and, within a chunk, through the activation rows in tiles of at most 8 (evenly
    // sized, so never a tile of 1, which the kernels would take for a one-row product needing the
    // block sums), so the chunk stays in L1/L2 while each tile of x is used for every row in it;
    // the weights still come from memory once.
    int64_t tiles = (n + 7) / 8;
    int64_t chunk = row_bytes ? (int64_t)(32768 / row_bytes) : 1;
    if (chunk < 1) chunk = 1;
    for (int64_t r = row_begin; r < row_end; r += chunk) {
        int64_t r1 = row_end - r < chunk ? row_end : r + chunk;
        for (int64_t tile = 0; tile < tiles; tile++) {
            int64_t i0 = n * tile / tiles, i1 = n * (tile + 1) / tiles;
            t->rows[f]((const uint8_t *)w, row_bytes, k, x + i0 * ldx, ldx, i1 - i0, NULL,
                       y + i0 * ldy, ldy, r, r1);
        }
    }
}

int sy_has_i16(sy_format f) {
    const sy_kernel_table *t = kernels();
    return (unsigned)f < SY_FORMAT_COUNT && t->i16 && t->i16->rows[f];
}

void sy_matvec_i16(sy_format f, const void *w, size_t row_bytes, int64_t k,
                   const float *x, float *y, int64_t row_begin, int64_t row_end) {
    const sy_kernel_table *t = kernels();   // once: a tier forced meanwhile must not mix tables
    if ((unsigned)f >= SY_FORMAT_COUNT || !t->i16 || !t->i16->rows[f] || k <= 0 || k % 32 || row_end <= row_begin) {
        sy_matvec(f, w, row_bytes, k, x, y, row_begin, row_end);
        return;
    }
    int16_t stack_q[8192];
    float stack_f[512];
    int64_t blocks = k / 32;
    int small = k <= 8192;
    int16_t *q = small ? stack_q : malloc((size_t)k * sizeof(int16_t));
    float *scales = small ? stack_f : malloc((size_t)blocks * 2 * sizeof(float));
    if (!q || !scales) {   // out of memory: the f32 kernels need no buffers past 4 KiB
        if (!small) { free(q); free(scales); }
        sy_matvec(f, w, row_bytes, k, x, y, row_begin, row_end);
        return;
    }
    float *sums = scales + blocks;
    t->i16->quantize(x, k, q, scales);
    if (needs_sums(f)) t->sums32(x, k, sums);
    t->i16->rows[f]((const uint8_t *)w, row_bytes, k, q, scales, sums, y, row_begin, row_end);
    if (!small) { free(q); free(scales); }
}

void sy_dequantize_row(sy_format f, const void *src, int64_t k, float *dst) {
    if ((unsigned)f >= SY_FORMAT_COUNT || k <= 0) return;
    kernels()->dequant[f]((const uint8_t *)src, k, dst);
}

float sy_dot_f32(const float *a, const float *b, int64_t n) { return kernels()->dot(a, b, n); }
void sy_axpy_f32(float a, const float *x, float *y, int64_t n) { kernels()->axpy(a, x, y, n); }
void sy_scale_f32(float a, float *y, int64_t n) { kernels()->scale(a, y, n); }

void sy_unary_f32(sy_unary_op op, float param, const float *x, float *y, int64_t n) {
    if (n > 0) kernels()->vector.unary(op, param, x, y, n);
}
void sy_binary_f32(sy_binary_op op, float param, const float *a, const float *b, float *y, int64_t n) {
    if (n > 0) kernels()->vector.binary(op, param, a, b, y, n);
}
float sy_softmax_numerators_f32(float *x, int64_t n, float *maximum) {
    return kernels()->vector.softmax_numerators(x, n, maximum);
}
void sy_attention_scores(const float *q, int64_t heads, int64_t group, int64_t hd, float scale,
                         const float *keys, int64_t stride, int64_t cache_rows, int64_t first,
                         int64_t i0, int64_t i1, float *scores, int64_t ld) {
    kernels()->vector.attention_scores(q, heads, group, hd, scale, keys, stride, cache_rows, first, i0, i1, scores, ld);
}
void sy_attention_values(const float *scores, int64_t ld, int64_t heads, int64_t group, int64_t hd,
                         const float *values, int64_t stride, int64_t cache_rows, int64_t first,
                         int64_t i0, int64_t i1, float *out) {
    kernels()->vector.attention_values(scores, ld, heads, group, hd, values, stride, cache_rows, first, i0, i1, out);
}
