#version 450
#extension GL_GOOGLE_include_directive : require
// head_norm_rope: a per-head RMS norm, then RoPE on the normalised head (Gemma 3's q and k norms
// before their rotation; one dispatch per side instead of two, and one barrier fewer per layer).
// The norm is rms_norm.comp's (same sums in the same order over 128 invocations), the rotation
// rope.comp's (pairs of `half` rotated by the pass buffer's cos/sin table, the headDim −
// rotatedDims dimensions after them copied). Into a tensor (cacheRows = 0: out[r, h, d]) or, for
// the keys, into the ring cache at row (start + r) % cacheRows with the values `v` copied beside
// them (kv_write.comp's store). start = pass_words[0].
// Dispatch: one workgroup of 128 per (row, head): n · heads workgroups, spread over x and y
// (linear_grid.glsl). headDim ≤ 256.
#include "include/linear_grid.glsl"

#define WG 128u
layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Weight { float weight[]; };
layout(std430, set = 0, binding = 3) readonly buffer V { float v[]; };
layout(std430, set = 0, binding = 4) buffer Out { float result[]; };
layout(std430, set = 0, binding = 5) buffer VCache { float vCache[]; };

layout(push_constant) uniform Push {
    uint items;        // n · heads
    uint heads;
    uint headDim;
    uint rotatedDims;
    uint neox;         // 0 normal, 1 NeoX
    uint table;        // word offset of the cos/sin table in the pass buffer
    uint cacheRows;    // 0: write a tensor
    float eps;
} pc;

shared float partial[WG];
shared float normed[256];

void main() {
    uint item = linear_group();
    if (item >= pc.items) return;  // the whole workgroup leaves together
    uint t = gl_LocalInvocationID.x;
    uint r = item / pc.heads, h = item - r * pc.heads;
    uint base = item * pc.headDim;

    float sum = 0.0;
    for (uint i = t; i < pc.headDim; i += WG) {
        float value = x[base + i];
        sum += value * value;
    }
    partial[t] = sum;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        barrier();
    }
    float inverseRMS = 1.0 / sqrt(partial[0] / float(pc.headDim) + pc.eps);
    for (uint i = t; i < pc.headDim; i += WG) normed[i] = x[base + i] * inverseRMS * weight[i];
    barrier();

    uint o = pc.cacheRows == 0u ? base
        : ((pass_words[0] + r) % pc.cacheRows) * (pc.heads * pc.headDim) + h * pc.headDim;
    uint half_ = pc.rotatedDims / 2u;
    for (uint j = t; j < half_ + pc.headDim - pc.rotatedDims; j += WG) {
        if (j >= half_) {
            uint d = pc.rotatedDims + (j - half_);
            result[o + d] = normed[d];
            continue;
        }
        uint a = pc.neox != 0u ? j : 2u * j;
        uint b = pc.neox != 0u ? j + half_ : 2u * j + 1u;
        uint word = pc.table + (r * half_ + j) * 2u;
        float c = uintBitsToFloat(pass_words[word]);
        float s = uintBitsToFloat(pass_words[word + 1u]);
        float x0 = normed[a], x1 = normed[b];
        result[o + a] = x0 * c - x1 * s;
        result[o + b] = x0 * s + x1 * c;
    }
    if (pc.cacheRows != 0u) {
        for (uint i = t; i < pc.headDim; i += WG) vCache[o + i] = v[base + i];
    }
}
