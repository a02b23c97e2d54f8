// The emulated neural accelerator's arithmetic (docs/neural-accelerator.md, "Numerics"): rounding
// to binary16, the matrix product with one f32 accumulator per output summed over k in order, and
// the eight-lane dot product of the attention scores and norms. Each function has an AVX2+F16C+FMA
// version and a scalar one that gives the same bits; the tier follows `sy_cpu_tier()`.
//
// Products of two binary16 values are exact in f32 (11 × 11 significant bits), so a fused
// multiply-add and a multiply followed by an add give the same result here: the kernels may use
// either. Nothing else may be fused.
#include <immintrin.h>
#include <string.h>
#include "kernels_internal.h"

// ---- scalar ----------------------------------------------------------------------------------

/// Nearest binary16 (ties to even) as bits; as Switchyard's `HalfFloat.fp16(from:)`.
static uint16_t half_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    uint32_t magnitude = bits & 0x7FFFFFFF;
    if (magnitude > 0x7F800000) return sign | 0x7E00 | (uint16_t)((magnitude >> 13) & 0x03FF);
    if (magnitude >= 0x477FF000) return sign | 0x7C00;
    uint32_t exponent = magnitude >> 23;
    if (exponent >= 127 - 14) {
        uint32_t half = ((exponent - (127 - 15)) << 10) | ((magnitude >> 13) & 0x03FF);
        uint32_t dropped = magnitude & 0x1FFF;
        if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1))) half += 1;
        return sign | (uint16_t)half;
    }
    if (magnitude <= 0x33000000) return sign;
    uint32_t significand = (magnitude & 0x007FFFFF) | 0x00800000;
    uint32_t shift = 126 - exponent;
    uint32_t half = significand >> shift;
    uint32_t dropped = significand & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (dropped > halfway || (dropped == halfway && (half & 1))) half += 1;
    return sign | (uint16_t)half;
}

/// The float value of binary16 bits (exact).
static float half_value(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1F, mantissa = h & 0x03FF, bits;
    if (exponent == 0) {
        float magnitude = (float)mantissa * 0x1p-24f;
        memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000 | (mantissa ? 0x00400000 : 0) | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void round_scalar(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = half_value(half_bits(x[i]));
}

static void matmul_scalar(const uint16_t *panels, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                          float *y, int64_t ldy, int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
        const uint16_t *panel = panels + p * k * 16;
        for (int64_t r = 0; r < n; r++) {
            float acc[16] = {0};
            for (int64_t j = 0; j < k; j++) {
                float a = x[r * ldx + j];
                for (int c = 0; c < 16; c++) acc[c] += a * half_value(panel[j * 16 + c]);
            }
            for (int c = 0; c < 16 && p * 16 + c < m; c++) y[r * ldy + p * 16 + c] = half_value(half_bits(acc[c]));
        }
    }
}

/// Group stride in bytes of a coded panel: a[16], b[16] (f32), then 32 rows of codes.
static int64_t coded_group_bytes(int bits) { return 128 + 32 * (bits == 4 ? 8 : 16); }

/// Code of column c in row r of a group (4-bit: unsigned; 8-bit: signed).
static int code_at(const uint8_t *codes, int bits, int r, int c) {
    if (bits == 8) return (int8_t)codes[r * 16 + c];
    uint8_t byte = codes[r * 8 + (c & 7)];
    return c < 8 ? (byte & 15) : (byte >> 4);
}

static void coded_scalar(const uint8_t *panels, int bits, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                         float *y, int64_t ldy, int64_t p0, int64_t p1) {
    int64_t groups = k / 32, stride = coded_group_bytes(bits);
    for (int64_t p = p0; p < p1; p++) {
        const uint8_t *panel = panels + p * groups * stride;
        for (int64_t r = 0; r < n; r++) {
            float acc[16] = {0};
            for (int64_t g = 0; g < groups; g++) {
                const uint8_t *group = panel + g * stride;
                float a[16], b[16];
                memcpy(a, group, 64);
                memcpy(b, group + 64, 64);
                for (int j = 0; j < 32; j++) {
                    float xv = x[r * ldx + g * 32 + j];
                    for (int c = 0; c < 16; c++) {
                        float product = (float)code_at(group + 128, bits, j, c) * a[c];   // exact
                        float w = half_value(half_bits(product + b[c]));
                        acc[c] += xv * w;
                    }
                }
            }
            for (int c = 0; c < 16 && p * 16 + c < m; c++) y[r * ldy + p * 16 + c] = half_value(half_bits(acc[c]));
        }
    }
}

static float dot8_scalar(const float *a, const float *b, int64_t n) {
    float lane[8] = {0};
    for (int64_t i = 0; i < n; i++) lane[i & 7] += a[i] * b[i];
    float s0 = lane[0] + lane[4], s1 = lane[1] + lane[5], s2 = lane[2] + lane[6], s3 = lane[3] + lane[7];
    return (s0 + s2) + (s1 + s3);
}

// ---- AVX2 + F16C + FMA -----------------------------------------------------------------------

#pragma clang attribute push(__attribute__((target(SY_TARGET_AVX2))), apply_to = function)

static inline __m256 round8(__m256 v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)); }

static void round_avx2(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, round8(_mm256_loadu_ps(x + i)));
    for (; i < n; i++) x[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

/// `NT` rows of x against one 16-column panel; acc[t][0..1] hold columns 0–7 and 8–15.
#define SY_PANEL_TILE(NT)                                                                           \
    static void tile##NT(const uint16_t *panel, int64_t k, const float *x, int64_t ldx, float *out) { \
        __m256 a0[NT], a1[NT];                                                                      \
        for (int t = 0; t < NT; t++) { a0[t] = _mm256_setzero_ps(); a1[t] = _mm256_setzero_ps(); }  \
        for (int64_t j = 0; j < k; j++) {                                                           \
            __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + j * 16)));        \
            __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + j * 16 + 8)));    \
            for (int t = 0; t < NT; t++) {                                                          \
                __m256 b = _mm256_broadcast_ss(x + t * ldx + j);                                    \
                a0[t] = _mm256_fmadd_ps(b, w0, a0[t]);                                              \
                a1[t] = _mm256_fmadd_ps(b, w1, a1[t]);                                              \
            }                                                                                       \
        }                                                                                           \
        for (int t = 0; t < NT; t++) {                                                              \
            _mm256_storeu_ps(out + t * 16, round8(a0[t]));                                          \
            _mm256_storeu_ps(out + t * 16 + 8, round8(a1[t]));                                      \
        }                                                                                           \
    }
SY_PANEL_TILE(1)
SY_PANEL_TILE(2)
SY_PANEL_TILE(3)
SY_PANEL_TILE(4)
SY_PANEL_TILE(5)
SY_PANEL_TILE(6)
/// The tile kernels by row count (1…6).
static void (*const half_tiles[7])(const uint16_t *, int64_t, const float *, int64_t, float *) = {
    0, tile1, tile2, tile3, tile4, tile5, tile6};

static void matmul_avx2(const uint16_t *panels, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                        float *y, int64_t ldy, int64_t p0, int64_t p1) {
    float out[6 * 16];
    for (int64_t p = p0; p < p1; p++) {
        const uint16_t *panel = panels + p * k * 16;
        int64_t columns = m - p * 16 < 16 ? m - p * 16 : 16;
        for (int64_t r = 0; r < n; r += 6) {
            int nt = n - r < 6 ? (int)(n - r) : 6;
            const float *xr = x + r * ldx;
            half_tiles[nt](panel, k, xr, ldx, out);
            for (int t = 0; t < nt; t++) memcpy(y + (r + t) * ldy + p * 16, out + t * 16, (size_t)columns * 4);
        }
    }
}

/// The 16 weights of one row of a coded group: h(q·a + b) (q·a is exact, so the fused form is too).
static inline void expand16(const uint8_t *codes, int bits, int j, __m256 a0, __m256 a1, __m256 b0, __m256 b1,
                            __m256 *w0, __m256 *w1) {
    __m256 q0, q1;
    if (bits == 4) {
        __m128i packed = _mm_loadl_epi64((const __m128i *)(codes + j * 8));
        __m128i lo = _mm_and_si128(packed, _mm_set1_epi8(15));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(15));
        q0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
        q1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
    } else {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(codes + j * 16));
        q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
        q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(bytes, 8)));
    }
    *w0 = round8(_mm256_fmadd_ps(q0, a0, b0));
    *w1 = round8(_mm256_fmadd_ps(q1, a1, b1));
}

#define SY_CODED_TILE(NT)                                                                           \
    static void coded##NT(const uint8_t *panel, int bits, int64_t k, const float *x, int64_t ldx, float *out) { \
        __m256 c0[NT], c1[NT];                                                                      \
        for (int t = 0; t < NT; t++) { c0[t] = _mm256_setzero_ps(); c1[t] = _mm256_setzero_ps(); }  \
        int64_t stride = coded_group_bytes(bits);                                                   \
        for (int64_t g = 0; g < k / 32; g++) {                                                      \
            const uint8_t *group = panel + g * stride;                                              \
            __m256 a0 = _mm256_loadu_ps((const float *)group), a1 = _mm256_loadu_ps((const float *)group + 8); \
            __m256 b0 = _mm256_loadu_ps((const float *)group + 16), b1 = _mm256_loadu_ps((const float *)group + 24); \
            for (int j = 0; j < 32; j++) {                                                          \
                __m256 w0, w1;                                                                      \
                expand16(group + 128, bits, j, a0, a1, b0, b1, &w0, &w1);                           \
                for (int t = 0; t < NT; t++) {                                                      \
                    __m256 xv = _mm256_broadcast_ss(x + t * ldx + g * 32 + j);                      \
                    c0[t] = _mm256_fmadd_ps(xv, w0, c0[t]);                                         \
                    c1[t] = _mm256_fmadd_ps(xv, w1, c1[t]);                                         \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        for (int t = 0; t < NT; t++) {                                                              \
            _mm256_storeu_ps(out + t * 16, round8(c0[t]));                                          \
            _mm256_storeu_ps(out + t * 16 + 8, round8(c1[t]));                                      \
        }                                                                                           \
    }
SY_CODED_TILE(1)
SY_CODED_TILE(2)
SY_CODED_TILE(3)
SY_CODED_TILE(4)
SY_CODED_TILE(5)
SY_CODED_TILE(6)
static void (*const coded_tiles[7])(const uint8_t *, int, int64_t, const float *, int64_t, float *) = {
    0, coded1, coded2, coded3, coded4, coded5, coded6};

static void coded_avx2(const uint8_t *panels, int bits, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                       float *y, int64_t ldy, int64_t p0, int64_t p1) {
    float out[6 * 16];
    int64_t panel_bytes = k / 32 * coded_group_bytes(bits);
    for (int64_t p = p0; p < p1; p++) {
        const uint8_t *panel = panels + p * panel_bytes;
        int64_t columns = m - p * 16 < 16 ? m - p * 16 : 16;
        for (int64_t r = 0; r < n; r += 6) {
            int nt = n - r < 6 ? (int)(n - r) : 6;
            const float *xr = x + r * ldx;
            coded_tiles[nt](panel, bits, k, xr, ldx, out);
            for (int t = 0; t < nt; t++) memcpy(y + (r + t) * ldy + p * 16, out + t * 16, (size_t)columns * 4);
        }
    }
}

static float dot8_avx2(const float *a, const float *b, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    if (i < n) {
        float ta[8] = {0}, tb[8] = {0};
        memcpy(ta, a + i, (size_t)(n - i) * 4);
        memcpy(tb, b + i, (size_t)(n - i) * 4);
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(ta), _mm256_loadu_ps(tb), acc);
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));   // l0+l4 … l3+l7
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));                                               // (l0+l4)+(l2+l6), (l1+l5)+(l3+l7)
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#pragma clang attribute pop

// ---- entry points ----------------------------------------------------------------------------

/// 1 when the kernel tier in use is not the scalar one, read once per tier change (the tier is
/// fixed after the first call, or by sy_force_tier in tests, which compares names again).
static int use_avx2(void) {
    static const char *seen;      // the tier name last checked (tier names are static strings)
    static int avx2;
    const char *tier = sy_cpu_tier();
    if (__atomic_load_n(&seen, __ATOMIC_ACQUIRE) != tier) {
        __atomic_store_n(&avx2, strcmp(tier, "scalar") != 0, __ATOMIC_RELAXED);
        __atomic_store_n(&seen, tier, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&avx2, __ATOMIC_RELAXED);
}

void sy_half_round(float *x, int64_t n) {
    if (use_avx2()) round_avx2(x, n); else round_scalar(x, n);
}

void sy_half_encode(const float *x, uint16_t *h, int64_t n) {
    for (int64_t i = 0; i < n; i++) h[i] = half_bits(x[i]);
}

void sy_half_matmul(const uint16_t *panels, int64_t k, int64_t m, const float *x, int64_t ldx, int64_t n,
                    float *y, int64_t ldy, int64_t p0, int64_t p1) {
    if (use_avx2()) matmul_avx2(panels, k, m, x, ldx, n, y, ldy, p0, p1);
    else matmul_scalar(panels, k, m, x, ldx, n, y, ldy, p0, p1);
}

void sy_half_matmul_coded(const uint8_t *panels, int bits, int64_t k, int64_t m, const float *x, int64_t ldx,
                          int64_t n, float *y, int64_t ldy, int64_t p0, int64_t p1) {
    if (use_avx2()) coded_avx2(panels, bits, k, m, x, ldx, n, y, ldy, p0, p1);
    else coded_scalar(panels, bits, k, m, x, ldx, n, y, ldy, p0, p1);
}

float sy_half_dot8(const float *a, const float *b, int64_t n) {
    return use_avx2() ? dot8_avx2(a, b, n) : dot8_scalar(a, b, n);
}
