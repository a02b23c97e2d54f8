#version 450
// variants: f32 f16 bf16 q4_0 q4_1 q5_0 q8_0 q4_K q6_K
#extension GL_GOOGLE_include_directive : require

// matmul for few tokens (decode): out[t, firstRow + r] = sum_k x[t, k] * w[r, k] for the rows r of
// one weight chunk, f32 accumulation. Every weight byte is read once per 4 tokens, so this is the
// bandwidth-bound path; it is correct for any n (tokens are taken 4 at a time).
//
// A workgroup of 128 invocations handles 128 / tpr rows; the tpr = 2^tprLog2 invocations of a row
// stride over its units (block formats: parts of 8 elements, 4 to a group of 32; F32: elements;
// F16/BF16: words of two elements), several loads in flight per step, then reduce their partial
// sums in shared memory. Block formats decode parts as small integers and multiply by the block
// scale once per part (rawPart). The host picks tprLog2 (MatmulKernel.threadsPerRowLog2).
// Dispatch: W = ceil(chunkRows / (128 >> tprLog2)) workgroups as (min(W, 65535), ceil(W / 65535), 1).

layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
#if defined(WEIGHT_F32) || defined(WEIGHT_F16) || defined(WEIGHT_BF16)
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
#else
// Block formats have k a multiple of 32, so every row of x is vec4-aligned.
layout(std430, set = 0, binding = 1) readonly buffer X { vec4 x4[]; };
#endif
layout(std430, set = 0, binding = 2) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float y[]; };

layout(push_constant) uniform Push {
    uint n;          // tokens (rows of x and out)
    uint k;          // elements per weight row
    uint m;          // columns of out (all rows of the weight, every chunk)
    uint firstRow;   // first weight row of this chunk
    uint chunkRows;  // rows in this chunk
    uint tprLog2;    // log2 of invocations per row (0..7)
} pc;

#include "include/weights.glsl"

const uint WG = 128u;
const uint TB = 4u;  // tokens per sweep over the weights

shared float red[TB * WG];

#if defined(WEIGHT_F16) || defined(WEIGHT_BF16)
// Adds the two elements e0, e0 + 1 held in one word (each only if inside the row) times x.
void accumulateWord(uint bits, int e0, uint t0, uint tn, inout float acc[TB]) {
#if defined(WEIGHT_F16)
    vec2 wv = unpackHalf2x16(bits);
#else
    vec2 wv = vec2(uintBitsToFloat(bits << 16), uintBitsToFloat(bits & 0xFFFF0000u));
#endif
    bool ok0 = e0 >= 0, ok1 = uint(e0 + 1) < pc.k;
    for (uint t = 0u; t < TB; t++) {
        if (t < tn) {
            uint base = (t0 + t) * pc.k;
            if (ok0) acc[t] = fma(wv.x, x[base + uint(e0)], acc[t]);
            if (ok1) acc[t] = fma(wv.y, x[base + uint(e0 + 1)], acc[t]);
        }
    }
}
#endif

#ifndef WEIGHT_PLAIN
// Adds part u (of 8 elements) of the row times x to acc for tokens t0 ..< t0 + tn. The block's
// scale multiplies the sum of q * x rather than each q (the same products up to rounding order;
// Q4_0, Q5_0 and Q8_0 elements a * q are exact anyway).
void accumulatePart(uint rowByte, uint u, uint t0, uint tn, inout float acc[TB]) {
    uint g = u >> 2, p = u & 3u;
    vec4 qa, qb;
    float a, b;
    rawPart(rowByte, g, p, qa, qb, a, b);
    uint ia = 8u * g + partVec4(p, 0u), ib = 8u * g + partVec4(p, 1u);
    uint rowVec4 = pc.k >> 2;
    for (uint t = 0u; t < TB; t++) {
        if (t < tn) {
            uint base = (t0 + t) * rowVec4;
            vec4 xa = x4[base + ia], xb = x4[base + ib];
            float s = a * (dot(qa, xa) + dot(qb, xb));
            if (RAW_OFFSET) s += b * dot(xa + xb, vec4(1.0));
            acc[t] += s;
        }
    }
}
#endif

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint wg = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    uint rowsPerGroup = WG >> pc.tprLog2;
    if (wg * rowsPerGroup >= pc.chunkRows) return;  // whole workgroup: no barrier is skipped
    uint tpr = 1u << pc.tprLog2;
    uint lane = tid & (tpr - 1u);
    uint row = wg * rowsPerGroup + (tid >> pc.tprLog2);
    bool rowOk = row < pc.chunkRows;
    uint k = pc.k;
    uint rowByte = row * weightRowBytes(k);

    for (uint t0 = 0u; t0 < pc.n; t0 += TB) {
        uint tn = min(TB, pc.n - t0);
        float acc[TB];
        for (uint t = 0u; t < TB; t++) acc[t] = 0.0;
        if (rowOk) {
#ifdef WEIGHT_PLAIN
#if defined(WEIGHT_F32)
            // Four elements per step (independent loads in flight), then the rest.
            uint wbase = rowByte >> 2;
            uint e = lane;
            for (; e + 3u * tpr < k; e += 4u * tpr) {
                vec4 wv = vec4(uintBitsToFloat(w_words[wbase + e]), uintBitsToFloat(w_words[wbase + e + tpr]),
                               uintBitsToFloat(w_words[wbase + e + 2u * tpr]), uintBitsToFloat(w_words[wbase + e + 3u * tpr]));
                for (uint t = 0u; t < TB; t++) {
                    if (t < tn) {
                        uint xb = (t0 + t) * k + e;
                        acc[t] += dot(wv, vec4(x[xb], x[xb + tpr], x[xb + 2u * tpr], x[xb + 3u * tpr]));
                    }
                }
            }
            for (; e < k; e += tpr) {
                float wv = uintBitsToFloat(w_words[wbase + e]);
                for (uint t = 0u; t < TB; t++)
                    if (t < tn) acc[t] = fma(wv, x[(t0 + t) * k + e], acc[t]);
            }
#else
            // Word wi holds elements 2wi - s and 2wi + 1 - s, where s = 1 when the row starts in
            // the upper half of a word (odd k).
            uint s = (rowByte >> 1) & 1u;
            uint words = (s + k + 1u) >> 1;
            uint wbase = rowByte >> 2;
            uint wi = lane;
            // Four words per step (independent loads in flight), then the rest.
            for (; wi + 3u * tpr < words; wi += 4u * tpr) {
                uint b0 = w_words[wbase + wi], b1 = w_words[wbase + wi + tpr];
                uint b2 = w_words[wbase + wi + 2u * tpr], b3 = w_words[wbase + wi + 3u * tpr];
                accumulateWord(b0, int(2u * wi) - int(s), t0, tn, acc);
                accumulateWord(b1, int(2u * (wi + tpr)) - int(s), t0, tn, acc);
                accumulateWord(b2, int(2u * (wi + 2u * tpr)) - int(s), t0, tn, acc);
                accumulateWord(b3, int(2u * (wi + 3u * tpr)) - int(s), t0, tn, acc);
            }
            for (; wi < words; wi += tpr) accumulateWord(w_words[wbase + wi], int(2u * wi) - int(s), t0, tn, acc);
#endif
#else
            // Two parts per step, so that each invocation has more loads in flight.
            uint units = k >> 3;
            uint u = lane;
            for (; u + tpr < units; u += 2u * tpr) {
                accumulatePart(rowByte, u, t0, tn, acc);
                accumulatePart(rowByte, u + tpr, t0, tn, acc);
            }
            if (u < units) accumulatePart(rowByte, u, t0, tn, acc);
#endif
        }
        for (uint t = 0u; t < TB; t++)
            if (t < tn) red[t * WG + tid] = acc[t];
        barrier();
        // Tree over the tpr invocations of each row (tpr is uniform, so every barrier is reached).
        for (uint half_ = tpr >> 1; half_ > 0u; half_ >>= 1) {
            if (lane < half_) {
                for (uint t = 0u; t < TB; t++)
                    if (t < tn) red[t * WG + tid] += red[t * WG + tid + half_];
            }
            barrier();
        }
        if (rowOk && lane == 0u) {
            for (uint t = 0u; t < TB; t++)
                if (t < tn) y[(t0 + t) * pc.m + pc.firstRow + row] = red[t * WG + tid];
        }
        barrier();  // red is reused by the next sweep
    }
}
