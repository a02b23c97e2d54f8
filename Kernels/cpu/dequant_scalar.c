// Portable, bit-exact dequantizers: the scalar tier's `sy_dequantize_row`, and the block decoder
// the scalar dot kernels use. Same operations in the same order as ggml's `dequantize_row_*` and
// Switchyard's `Dequantize.row`, each rounded to f32: no contraction into fused multiply-adds.
#pragma STDC FP_CONTRACT OFF
#include "kernels_internal.h"

void sy_dequant_f32_scalar(const uint8_t *src, int64_t k, float *dst) {
    memcpy(dst, src, (size_t)k * 4);   // as bits: NaN payloads survive
}

void sy_dequant_f16_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t i = 0; i < k; i++) dst[i] = sy_fp16_to_f32(sy_load_u16(src + 2 * i));
}

void sy_dequant_bf16_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t i = 0; i < k; i++) dst[i] = sy_bf16_to_f32(sy_load_u16(src + 2 * i));
}

// Q4_0: f16 d | 16 bytes: element j low nibble of byte j, element j+16 its high nibble. (q-8)·d
void sy_dequant_q4_0_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 32; b++, src += 18, dst += 32) {
        float d = sy_fp16_to_f32(sy_load_u16(src));
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)((src[2 + j] & 0x0F) - 8) * d;
            dst[j + 16] = (float)((src[2 + j] >> 4) - 8) * d;
        }
    }
}

// Q4_1: f16 d | f16 m | 16 bytes of nibbles as Q4_0. q·d + m (product rounded, then the sum)
void sy_dequant_q4_1_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 32; b++, src += 20, dst += 32) {
        float d = sy_fp16_to_f32(sy_load_u16(src)), m = sy_fp16_to_f32(sy_load_u16(src + 2));
        for (int j = 0; j < 16; j++) {
            float p0 = (float)(src[4 + j] & 0x0F) * d, p1 = (float)(src[4 + j] >> 4) * d;
            dst[j] = p0 + m;
            dst[j + 16] = p1 + m;
        }
    }
}

// Q5_0: f16 d | u32 qh (bit j = 5th bit of element j) | 16 bytes of nibbles as Q4_0. (q-16)·d
void sy_dequant_q5_0_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 32; b++, src += 22, dst += 32) {
        float d = sy_fp16_to_f32(sy_load_u16(src));
        uint32_t qh = sy_load_u32(src + 2);
        for (int j = 0; j < 16; j++) {
            int q0 = (src[6 + j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
            int q1 = (src[6 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
            dst[j] = (float)(q0 - 16) * d;
            dst[j + 16] = (float)(q1 - 16) * d;
        }
    }
}

// Q8_0: f16 d | int8[32]. q·d
void sy_dequant_q8_0_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 32; b++, src += 34, dst += 32) {
        float d = sy_fp16_to_f32(sy_load_u16(src));
        for (int j = 0; j < 32; j++) dst[j] = (float)(int8_t)src[2 + j] * d;
    }
}

// Q4_K: f16 d | f16 dmin | 12 bytes of 6-bit scales/mins | 128 bytes: group g of 32 bytes holds
// sub-block 2g in its low nibbles and 2g+1 in its high nibbles. (d·sc)·q − (dmin·m)
void sy_dequant_q4_k_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 256; b++, src += 144, dst += 256) {
        float d = sy_fp16_to_f32(sy_load_u16(src)), dmin = sy_fp16_to_f32(sy_load_u16(src + 2));
        uint8_t sc[8], mn[8];
        sy_q4k_scales(src + 4, sc, mn);
        for (int g = 0; g < 4; g++) {
            float d1 = d * (float)sc[2 * g], m1 = dmin * (float)mn[2 * g];
            float d2 = d * (float)sc[2 * g + 1], m2 = dmin * (float)mn[2 * g + 1];
            const uint8_t *q = src + 16 + 32 * g;
            float *out = dst + 64 * g;
            for (int l = 0; l < 32; l++) {
                float p0 = d1 * (float)(q[l] & 0x0F), p1 = d2 * (float)(q[l] >> 4);
                out[l] = p0 - m1;
                out[l + 32] = p1 - m2;
            }
        }
    }
}

// Q6_K: ql[128] | qh[64] | int8 scales[16] | f16 d. Two halves of 128; see Q6KBlock.swift.
// (d·scale)·(q − 32)
void sy_dequant_q6_k_scalar(const uint8_t *src, int64_t k, float *dst) {
    for (int64_t b = 0; b < k / 256; b++, src += 210, dst += 256) {
        float d = sy_fp16_to_f32(sy_load_u16(src + 208));
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = src + 64 * h, *qh = src + 128 + 32 * h;
            const int8_t *sc = (const int8_t *)(src + 192 + 8 * h);
            float *out = dst + 128 * h;
            for (int l = 0; l < 32; l++) {
                int s = l / 16;
                int q1 = ((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q2 = ((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                float s1 = d * (float)sc[s], s2 = d * (float)sc[s + 2];
                float s3 = d * (float)sc[s + 4], s4 = d * (float)sc[s + 6];
                out[l] = s1 * (float)q1;
                out[l + 32] = s2 * (float)q2;
                out[l + 64] = s3 * (float)q3;
                out[l + 96] = s4 * (float)q4;
            }
        }
    }
}
