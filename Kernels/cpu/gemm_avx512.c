// AVX-512 f32 matrix product for prefill: y = x · wᵀ with many activation rows, exact f32 (FMA,
// f32 accumulation). The BLAS backend calls it where the tier has it instead of OpenBLAS's sgemm,
// whose kernel choice the environment may pin to a 256-bit one (OPENBLAS_CORETYPE=Haswell): on a
// CPU with a full 512-bit data path that is half the FMA width.
//
// Blocking: k in blocks of at most KC; for each block the weight rows are packed into panels of
// 32 rows laid out [kk][32] (two zmm per k step), kept in L2; then for every 12 activation rows
// (read in place: each k step is a broadcast from each row, the 12 rows stay in L1) the
// micro-kernel runs over every panel with 24 accumulators.
#include <immintrin.h>
#include "kernels_internal.h"
#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX512))), apply_to = function)

#define SY_AI static inline __attribute__((always_inline))
enum { MR = 12, NR = 32, KC = 384 };

/// Packs rows [0, rows) × columns [k0, k0 + kc) of w into ceil(rows / 32) panels of kc × 32
/// floats; the rows past `rows` in the last panel are zero.
static void pack_panels(const float *w, int64_t ldw, int64_t rows, int64_t k0, int64_t kc, float *out) {
    for (int64_t p = 0; p < rows; p += NR) {
        float *panel = out + p * kc;
        int64_t live = rows - p < NR ? rows - p : NR;
        for (int64_t r = 0; r < NR; r++) {
            if (r < live) {
                const float *src = w + (p + r) * ldw + k0;
                for (int64_t kk = 0; kk < kc; kk++) panel[kk * NR + r] = src[kk];
            } else {
                for (int64_t kk = 0; kk < kc; kk++) panel[kk * NR + r] = 0;
            }
        }
    }
}

/// y[i][0..32) (+)= Σ_kk x[i][kk] · panel[kk][0..32) for i < mr; lanes outside m0/m1 untouched.
SY_AI void tile(int mr, int64_t kc, const float *x, int64_t ldx, const float *panel, float *y,
                int64_t ldy, __mmask16 m0, __mmask16 m1, int add) {
    __m512 c0[MR], c1[MR];
    // Fully unrolled, so the accumulators live in registers (clang keeps a loop over 12 rows and
    // spills them otherwise).
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    for (int64_t kk = 0; kk < kc; kk++) {
        __m512 w0 = _mm512_loadu_ps(panel + kk * NR), w1 = _mm512_loadu_ps(panel + kk * NR + 16);
#pragma clang loop unroll(full)
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(x[i * ldx + kk]);
            c0[i] = _mm512_fmadd_ps(a, w0, c0[i]);
            c1[i] = _mm512_fmadd_ps(a, w1, c1[i]);
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++) {
        float *yi = y + i * ldy;
        if (add) {
            c0[i] = _mm512_add_ps(c0[i], _mm512_maskz_loadu_ps(m0, yi));
            c1[i] = _mm512_add_ps(c1[i], _mm512_maskz_loadu_ps(m1, yi + 16));
        }
        _mm512_mask_storeu_ps(yi, m0, c0[i]);
        _mm512_mask_storeu_ps(yi + 16, m1, c1[i]);
    }
}

static void tile_any(int mr, int64_t kc, const float *x, int64_t ldx, const float *panel, float *y,
                     int64_t ldy, __mmask16 m0, __mmask16 m1, int add) {
    switch (mr) {   // one unrolled copy per row count, accumulators in registers
    case 1: tile(1, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 2: tile(2, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 3: tile(3, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 4: tile(4, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 5: tile(5, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 6: tile(6, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 7: tile(7, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 8: tile(8, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 9: tile(9, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 10: tile(10, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    case 11: tile(11, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    default: tile(MR, kc, x, ldx, panel, y, ldy, m0, m1, add); break;
    }
}

int64_t sy_gemm_nt_scratch_avx512(int64_t m, int64_t k) {
    int64_t kc = k < KC ? k : KC;
    return (m + NR - 1) / NR * NR * kc;
}

void sy_gemm_nt_avx512(int64_t n, int64_t m, int64_t k, const float *x, int64_t ldx, const float *w,
                       int64_t ldw, float *y, int64_t ldy, float *scratch) {
    // Equal k blocks no longer than KC, so the last one is not a sliver.
    int64_t blocks = (k + KC - 1) / KC, kc_even = (k + blocks - 1) / blocks;
    for (int64_t k0 = 0; k0 < k; k0 += kc_even) {
        int64_t kc = k - k0 < kc_even ? k - k0 : kc_even;
        pack_panels(w, ldw, m, k0, kc, scratch);
        for (int64_t i = 0; i < n; i += MR) {
            int mr = n - i < MR ? (int)(n - i) : MR;
            for (int64_t p = 0; p < m; p += NR) {
                int64_t live = m - p < NR ? m - p : NR;
                __mmask16 m0 = live >= 16 ? 0xFFFF : (__mmask16)((1u << live) - 1);
                __mmask16 m1 = live >= 32 ? 0xFFFF : live <= 16 ? 0 : (__mmask16)((1u << (live - 16)) - 1);
                tile_any(mr, kc, x + i * ldx + k0, ldx, scratch + p * kc, y + i * ldy + p, ldy, m0, m1, k0 > 0);
            }
        }
    }
}

#pragma clang attribute pop
