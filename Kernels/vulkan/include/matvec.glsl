// The body of matvec.comp (one weight) and matvec_parts.comp (MATVEC_PARTS: up to three weights,
// or a gated pair): see matvec.comp. The including shader defines one WEIGHT_* format.

layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
#if defined(WEIGHT_F32) || defined(WEIGHT_F16) || defined(WEIGHT_BF16)
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
#else
// Block formats have k a multiple of 32, so every row of x is vec4-aligned.
layout(std430, set = 0, binding = 1) readonly buffer X { vec4 x4[]; };
#endif
layout(std430, set = 0, binding = 2) readonly buffer W0 { uint w0[]; };
layout(std430, set = 0, binding = 3) readonly buffer W1 { uint w1[]; };
layout(std430, set = 0, binding = 4) readonly buffer W2 { uint w2[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Y0 { float y0[]; };
layout(std430, set = 0, binding = 6) writeonly buffer Y1 { float y1[]; };
layout(std430, set = 0, binding = 7) writeonly buffer Y2 { float y2[]; };

layout(push_constant) uniform Push {
    uint n;          // tokens (rows of x and out)
    uint k;          // elements per weight row
    uint tprLog2;    // log2 of invocations per row (0..7)
    uint gated;      // 0: parts; 1: silu(gate) · up; 2: gelu(gate) · up
    uint rows0, rows1, rows2;     // rows of each part (of its weight chunk)
    uint first0, first1, first2;  // first weight row of each part's chunk
    uint m0, m1, m2;              // columns of each part's out
    uint groups0, groups1;        // workgroups of parts 0 and 1
} pc;

#ifdef MATVEC_PARTS
// The weight W_WORD reads (weights.glsl): the workgroup's part, or the up weight of a gated pair.
// (A branch per load: matvec.comp, with one weight, reads w0 directly; a software renderer runs
// all three loads of a branch it cannot prove uniform.)
uint weightIndex = 0u;
uint weightWord(uint i) {
    if (weightIndex == 0u) return w0[i];
    if (weightIndex == 1u) return w1[i];
    return w2[i];
}
#define W_WORD(i) weightWord(i)
#else
#define W_WORD(i) w0[i]
#endif
#include "include/weights.glsl"
#include "include/activation.glsl"

const uint WG = 128u;
const uint TB = 4u;  // tokens per sweep over the weights

shared float red[TB * WG];
#ifdef MATVEC_PARTS
shared float redUp[TB * WG];  // gated: the up sums
const bool PARTS = true;
#else
const bool PARTS = false;
#endif

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

// This invocation's share of x times weight row `rowByte` for tokens t0 ..< t0 + tn, into acc.
void rowSums(uint rowByte, uint lane, uint tpr, uint t0, uint tn, inout float acc[TB]) {
    uint k = pc.k;
#ifdef WEIGHT_PLAIN
#if defined(WEIGHT_F32)
    // Four elements per step (independent loads in flight), then the rest.
    uint wbase = rowByte >> 2;
    uint e = lane;
    for (; e + 3u * tpr < k; e += 4u * tpr) {
        vec4 wv = vec4(uintBitsToFloat(W_WORD(wbase + e)), uintBitsToFloat(W_WORD(wbase + e + tpr)),
                       uintBitsToFloat(W_WORD(wbase + e + 2u * tpr)), uintBitsToFloat(W_WORD(wbase + e + 3u * tpr)));
        for (uint t = 0u; t < TB; t++) {
            if (t < tn) {
                uint xb = (t0 + t) * k + e;
                acc[t] += dot(wv, vec4(x[xb], x[xb + tpr], x[xb + 2u * tpr], x[xb + 3u * tpr]));
            }
        }
    }
    for (; e < k; e += tpr) {
        float wv = uintBitsToFloat(W_WORD(wbase + e));
        for (uint t = 0u; t < TB; t++)
            if (t < tn) acc[t] = fma(wv, x[(t0 + t) * k + e], acc[t]);
    }
#else
    // Word wi holds elements 2wi - s and 2wi + 1 - s, where s = 1 when the row starts in the upper
    // half of a word (odd k).
    uint s = (rowByte >> 1) & 1u;
    uint words = (s + k + 1u) >> 1;
    uint wbase = rowByte >> 2;
    uint wi = lane;
    // Four words per step (independent loads in flight), then the rest.
    for (; wi + 3u * tpr < words; wi += 4u * tpr) {
        uint b0 = W_WORD(wbase + wi), b1 = W_WORD(wbase + wi + tpr);
        uint b2 = W_WORD(wbase + wi + 2u * tpr), b3 = W_WORD(wbase + wi + 3u * tpr);
        accumulateWord(b0, int(2u * wi) - int(s), t0, tn, acc);
        accumulateWord(b1, int(2u * (wi + tpr)) - int(s), t0, tn, acc);
        accumulateWord(b2, int(2u * (wi + 2u * tpr)) - int(s), t0, tn, acc);
        accumulateWord(b3, int(2u * (wi + 3u * tpr)) - int(s), t0, tn, acc);
    }
    for (; wi < words; wi += tpr) accumulateWord(W_WORD(wbase + wi), int(2u * wi) - int(s), t0, tn, acc);
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

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint wg = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    uint part = wg < pc.groups0 ? 0u : (wg < pc.groups0 + pc.groups1 ? 1u : 2u);
    uint partRows = part == 0u ? pc.rows0 : (part == 1u ? pc.rows1 : pc.rows2);
    uint firstRow = part == 0u ? pc.first0 : (part == 1u ? pc.first1 : pc.first2);
    uint m = part == 0u ? pc.m0 : (part == 1u ? pc.m1 : pc.m2);
    uint group = wg - (part == 0u ? 0u : (part == 1u ? pc.groups0 : pc.groups0 + pc.groups1));
    uint rowsPerGroup = WG >> pc.tprLog2;
    if (group * rowsPerGroup >= partRows) return;  // whole workgroup: no barrier is skipped
#ifdef MATVEC_PARTS
    weightIndex = part;
#endif
    uint tpr = 1u << pc.tprLog2;
    uint lane = tid & (tpr - 1u);
    uint row = group * rowsPerGroup + (tid >> pc.tprLog2);
    bool rowOk = row < partRows;
    uint rowByte = row * weightRowBytes(pc.k);
    bool gated = PARTS && pc.gated != 0u;

    for (uint t0 = 0u; t0 < pc.n; t0 += TB) {
        uint tn = min(TB, pc.n - t0);
        float acc[TB], up[TB];
        for (uint t = 0u; t < TB; t++) { acc[t] = 0.0; up[t] = 0.0; }
        if (rowOk) {
            rowSums(rowByte, lane, tpr, t0, tn, acc);
#ifdef MATVEC_PARTS
            if (gated) {
                weightIndex = 1u;
                rowSums(rowByte, lane, tpr, t0, tn, up);
                weightIndex = 0u;
            }
#endif
        }
        for (uint t = 0u; t < TB; t++) {
            if (t < tn) {
                red[t * WG + tid] = acc[t];
#ifdef MATVEC_PARTS
                if (gated) redUp[t * WG + tid] = up[t];
#endif
            }
        }
        barrier();
        // Tree over the tpr invocations of each row (tpr is uniform, so every barrier is reached).
        for (uint half_ = tpr >> 1; half_ > 0u; half_ >>= 1) {
            if (lane < half_) {
                for (uint t = 0u; t < TB; t++) {
                    if (t < tn) {
                        red[t * WG + tid] += red[t * WG + tid + half_];
#ifdef MATVEC_PARTS
                        if (gated) redUp[t * WG + tid] += redUp[t * WG + tid + half_];
#endif
                    }
                }
            }
            barrier();
        }
        if (rowOk && lane == 0u) {
            for (uint t = 0u; t < TB; t++) {
                if (t < tn) {
                    uint i = (t0 + t) * m + firstRow + row;
                    float v = red[t * WG + tid];
#ifdef MATVEC_PARTS
                    if (gated) {
                        float g = v;
                        v = (pc.gated == 1u ? silu(g) : gelu(g)) * redUp[t * WG + tid];
                    }
#endif
                    if (part == 0u) y0[i] = v; else if (part == 1u) y1[i] = v; else y2[i] = v;
                }
            }
        }
        barrier();  // red is reused by the next sweep
    }
}
