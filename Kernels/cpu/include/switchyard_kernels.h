// Hand-written SIMD kernels for the fast CPU backend (SwitchyardBLAS): quantized-weight × f32
// activation dot products for decode (a weight row is read once from memory and dotted with one
// or a few f32 activation rows), bit-exact row dequantization, and a few f32 vector helpers.
//
// Activations are never quantized: every weight format is expanded to f32 in registers and
// multiplied with the f32 activations, accumulating in f32 with fused multiply-adds.
//
// Each entry point has a scalar C version, an AVX2+FMA+F16C version and an AVX-512 (F, BW, DQ, VL)
// version; the best one the CPU supports is picked once, at the first call. The environment
// variable SWITCHYARD_CPU=avx2|scalar (read at that first call) or `sy_force_tier` picks a lower
// tier. Threading is the caller's business: every function only touches the rows it is given.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Weight formats, with ggml's block layouts (see Sources/Switchyard/Quantization/*Block.swift).
typedef enum {
    SY_F32 = 0,   ///< 4 bytes per element
    SY_F16,       ///< IEEE binary16, 2 bytes per element
    SY_BF16,      ///< bfloat16, 2 bytes per element
    SY_Q4_0,      ///< 32 elements in 18 bytes
    SY_Q4_1,      ///< 32 elements in 20 bytes
    SY_Q5_0,      ///< 32 elements in 22 bytes
    SY_Q8_0,      ///< 32 elements in 34 bytes
    SY_Q4_K,      ///< 256 elements in 144 bytes
    SY_Q6_K,      ///< 256 elements in 210 bytes
} sy_format;

/// Elements per block of `f` (1 for the plain float formats).
int64_t sy_block_elements(sy_format f);
/// Bytes per block of `f`.
int64_t sy_block_bytes(sy_format f);

/// y[r] = Σ_j W[r][j] · x[j] for r in [row_begin, row_end). `w` points at row 0 of W; rows are
/// `row_bytes` apart (no alignment needed), each holding `k` elements in format `f` (`k` a whole
/// number of blocks). `y` is indexed by the absolute row number r.
void sy_matvec(sy_format f, const void *w, size_t row_bytes, int64_t k,
               const float *x, float *y, int64_t row_begin, int64_t row_end);

/// The same for `n` activation rows at once (n small, 1..16 or so: each weight row is decoded once
/// and dotted with all n rows): y[i * ldy + r] = Σ_j W[r][j] · x[i * ldx + j] for i < n and r in
/// [row_begin, row_end).
void sy_matmul_rows(sy_format f, const void *w, size_t row_bytes, int64_t k,
                    const float *x, int64_t ldx, int64_t n,
                    float *y, int64_t ldy, int64_t row_begin, int64_t row_end);

/// Dequantizes `k` consecutive elements (a whole number of blocks) of format `f` at `src` to f32,
/// bit for bit equal to Switchyard's reference `Dequantize.row` (ggml's `dequantize_row_*`: no
/// fused multiply-adds). `src` needs no alignment.
void sy_dequantize_row(sy_format f, const void *src, int64_t k, float *dst);

/// Whether the tier in use has an int16-activation kernel for `f` (the quantized formats Q4_0,
/// Q4_1, Q5_0, Q8_0, Q4_K, Q6_K on the AVX2 and AVX-512 tiers).
int sy_has_i16(sy_format f);

/// `sy_matvec` with the activations quantized to int16 per 32-element block (scale max|x| / 32767,
/// round to nearest): each x[j] carries an error of at most half its block's scale, the products and
/// sums are exact in int32, both scales are applied in f32 per block; a block's minimum or offset
/// still multiplies the exact f32 sum of x. A numerics mode, not the default:
/// |y[r] − exact| ≤ Σ_j |d·q_j| · scale_b(j) / 2 plus f32 rounding, d·q_j being the part of W[r][j]
/// that multiplies x[j] (W[r][j] less its block's minimum or offset). Where `sy_has_i16(f)`
/// is 0 (other formats, the scalar tier) it is `sy_matvec`. A block holding a NaN or infinity gives a
/// NaN scale, so it still poisons every output that reads it.
void sy_matvec_i16(sy_format f, const void *w, size_t row_bytes, int64_t k,
                   const float *x, float *y, int64_t row_begin, int64_t row_end);

/// Floats of scratch memory `sy_gemm_nt` needs for `m` weight rows of length `k`, or 0 when the
/// tier in use has no GEMM of its own (then use BLAS's sgemm).
int64_t sy_gemm_nt_scratch(int64_t m, int64_t k);

/// y[i * ldy + r] = Σ_j x[i * ldx + j] · w[r * ldw + j] for i < n, r < m: a many-row product in f32
/// with f32 accumulation (fused multiply-adds, k summed in blocks), for prefill. `scratch` holds at
/// least `sy_gemm_nt_scratch(m, k)` floats; does nothing where that is 0.
void sy_gemm_nt(int64_t n, int64_t m, int64_t k, const float *x, int64_t ldx, const float *w, int64_t ldw,
                float *y, int64_t ldy, float *scratch);

/// Σ a[i] · b[i] over i < n (f32, fused multiply-adds, several partial sums).
float sy_dot_f32(const float *a, const float *b, int64_t n);
/// y[i] += a · x[i] for i < n (one fused multiply-add per element).
void sy_axpy_f32(float a, const float *x, float *y, int64_t n);
/// y[i] *= a for i < n.
void sy_scale_f32(float a, float *y, int64_t n);

/// Elementwise functions of one input (vectorised, exp to a couple of ulps; NaN stays NaN).
typedef enum {
    SY_UNARY_SCALE,       ///< y = param · x
    SY_UNARY_SILU,        ///< y = x / (1 + e^−x)
    SY_UNARY_GELU,        ///< tanh form, as x / (1 + e^(−2y)), y = √(2/π)(x + 0.044715x³)
    SY_UNARY_SOFTCAP,     ///< y = param · tanh(x / param)
    SY_UNARY_EXP_MINUS,   ///< y = e^(x − param)
} sy_unary_op;
/// y[i] = op(x[i]) for i < n; y may be x.
void sy_unary_f32(sy_unary_op op, float param, const float *x, float *y, int64_t n);

/// Elementwise functions of two inputs.
typedef enum {
    SY_BINARY_ADD,          ///< y = a + b
    SY_BINARY_MUL,          ///< y = a · b
    SY_BINARY_SWIGLU,       ///< y = silu(a) · b
    SY_BINARY_GEGLU,        ///< y = gelu(a) · b
    SY_BINARY_SCALED_MUL,   ///< y = a · param · b
} sy_binary_op;
/// y[i] = op(a[i], b[i]) for i < n; y may be a or b.
void sy_binary_f32(sy_binary_op op, float param, const float *a, const float *b, float *y, int64_t n);

/// x[i] = e^(x[i] − max x) for i < n (a softmax but for the division); returns the sum of the new
/// values and stores max x in *maximum.
float sy_softmax_numerators_f32(float *x, int64_t n, float *maximum);

/// Decode attention's scores over a ring KV cache: for h < heads and i in [i0, i1),
/// scores[h · ld + i] = scale · (q + h·hd) · key(i)[(h / group)·hd ...], where key(i) is row
/// (first + i) % cache_rows of `keys` (rows `stride` floats apart). Each key row is read once for
/// all the heads that share it.
void sy_attention_scores(const float *q, int64_t heads, int64_t group, int64_t hd, float scale,
                         const float *keys, int64_t stride, int64_t cache_rows, int64_t first,
                         int64_t i0, int64_t i1, float *scores, int64_t ld);
/// And its weighted sum of values: out[h·hd + d] += Σ_i scores[h · ld + i] · value(i)[(h / group)·hd + d]
/// for h < heads, d < hd, i in [i0, i1), value(i) as key(i) above.
void sy_attention_values(const float *scores, int64_t ld, int64_t heads, int64_t group, int64_t hd,
                         const float *values, int64_t stride, int64_t cache_rows, int64_t first,
                         int64_t i0, int64_t i1, float *out);

/// The instruction set in use: "avx512", "avx2" or "scalar".
const char *sy_cpu_tier(void);

/// Forces a tier ("avx512", "avx2" or "scalar"; one the CPU lacks falls back to the best it has),
/// or, with NULL, goes back to the automatic choice (SWITCHYARD_CPU, then the CPU's best). For
/// tests; not meant to be called while other threads are inside a kernel.
void sy_force_tier(const char *tier);


// ---- The emulated neural accelerator's arithmetic (docs/neural-accelerator.md) ----------------
// Values are floats that hold binary16 values; h(x) is rounding to the nearest binary16 (ties to
// even, ±infinity from 65520 up, subnormals kept, NaN stays NaN).

/// x[i] = h(x[i]) for i < n.
void sy_half_round(float *x, int64_t n);
/// h[i] = the binary16 bits of h(x[i]) for i < n.
void sy_half_encode(const float *x, uint16_t *h, int64_t n);
/// y[r·ldy + c] = h(acc) for r < n and the columns c of panels [p0, p1) below m, where acc is one
/// f32 accumulator starting at +0 to which x[r·ldx + j] · W[c][j] is added for j = 0, 1, …, k − 1
/// in that order. Panel p holds W's columns 16p … 16p + 15 as k rows of 16 binary16 values
/// (columns from m up are zero).
void sy_half_matmul(const uint16_t *panels, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                    float *y, int64_t ldy, int64_t p0, int64_t p1);
/// The same product from weights kept as codes: W[c][j] = h(q·a + b) with q the code of column c
/// at row j and (a, b) the f32 pair of column c in j's group of 32 rows (q·a is exact in f32 for
/// the formats that use this, so the value equals the file's dequantized value rounded to fp16).
/// Panel p (columns 16p … 16p + 15) holds k / 32 groups of: a[16], b[16] (f32), then 32 rows of
/// codes — `bits` 4: 8 bytes a row, byte i holding column i (low nibble, unsigned) and column i + 8
/// (high nibble); `bits` 8: 16 signed bytes a row. k is a multiple of 32.
void sy_half_matmul_coded(const uint8_t *panels, int bits, int64_t k, int64_t m, const float *x, int64_t ldx,
                          int64_t n, float *y, int64_t ldy, int64_t p0, int64_t p1);
/// The unit's eight-lane dot product: lane l (0…7) sums a[i]·b[i] over i ≡ l (mod 8) in increasing
/// i from +0; the result is ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), every add in f32.
float sy_half_dot8(const float *a, const float *b, int64_t n);

#ifdef __cplusplus
}
#endif
