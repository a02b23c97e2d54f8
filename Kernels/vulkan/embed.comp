#version 450
// variants: f32 f16 bf16 q4_0 q4_1 q5_0 q8_0 q4_K q6_K
#extension GL_GOOGLE_include_directive : require

// embed: out[i, :] = table row tokens[i], dequantized, times scale, for the tokens whose row lies
// in this chunk of the table (rows firstRow ..< firstRow + chunkRows); other tokens are left to
// the dispatch of their chunk. The host has checked every token against the vocabulary.
// One workgroup of 128 invocations per token, striding over the row (block formats: parts of 8
// elements; plain formats: elements).
// Dispatch: (min(n, 65535), ceil(n / 65535), 1).

layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Weights { uint w_words[]; };
// Written as bits, so that an unscaled F32 row is copied exactly (NaN payloads, subnormals).
layout(std430, set = 0, binding = 2) writeonly buffer Out { uint y[]; };

layout(push_constant) uniform Push {
    uint n;          // tokens
    uint d;          // elements per row
    uint firstRow;   // first table row of this chunk
    uint chunkRows;  // rows in this chunk
    float scale;
} pc;

#include "include/weights.glsl"

// As the reference: the product only when scale is not 1 (x * 1 could flush a subnormal).
uint scaled(float v) { return floatBitsToUint(pc.scale == 1.0 ? v : v * pc.scale); }

void main() {
    uint i = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (i >= pc.n) return;
    uint row = pass_words[2u + i] - pc.firstRow;  // wraps for tokens below firstRow
    if (row >= pc.chunkRows) return;
    uint d = pc.d;
    uint rowByte = row * weightRowBytes(d);
    uint out0 = i * d;
#ifdef WEIGHT_PLAIN
#ifdef WEIGHT_F32
    if (pc.scale == 1.0) {
        for (uint e = gl_LocalInvocationID.x; e < d; e += 128u) y[out0 + e] = w_words[(rowByte >> 2) + e];
        return;
    }
#endif
    for (uint e = gl_LocalInvocationID.x; e < d; e += 128u) y[out0 + e] = scaled(wPlain(rowByte, e));
#else
    for (uint u = gl_LocalInvocationID.x; u < (d >> 3); u += 128u) {
        uint g = u >> 2, p = u & 3u;
        float v[8];
        dequantPart(rowByte, g, p, v);
        for (uint j = 0u; j < 8u; j++) y[out0 + 32u * g + partElement(p, j)] = scaled(v[j]);
    }
#endif
}
