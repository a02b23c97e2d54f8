#version 450
#extension GL_GOOGLE_include_directive : require
// rope: rotates the first rotatedDims dimensions of each head by the pass buffer's cos/sin table
// (row r, pair i: cos at pass_words[table + (r·half + i)·2], sin next, half = rotatedDims / 2);
// the rest of the head is copied. Normal layout pairs (2i, 2i+1), NeoX (i, i + half).
// One invocation per item: per (row, head), `half` pairs then headDim - rotatedDims copies.
// Dispatch: ceil(n · heads · items / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint count;        // n · heads · (half + headDim - rotatedDims)
    uint heads;
    uint headDim;
    uint rotatedDims;
    uint neox;         // 0 normal, 1 NeoX
    uint table;        // word offset of the cos/sin table in the pass buffer
} pc;

void main() {
    uint item = linear_invocation(256u);
    if (item >= pc.count) return;
    uint half_ = pc.rotatedDims / 2u;
    uint perHead = half_ + pc.headDim - pc.rotatedDims;
    uint head = item / perHead, k = item - head * perHead;
    uint r = head / pc.heads;
    uint base = head * pc.headDim;  // (r · heads + h) · headDim

    if (k >= half_) {
        uint d = pc.rotatedDims + (k - half_);
        result[base + d] = x[base + d];
        return;
    }
    uint a = pc.neox != 0u ? k : 2u * k;
    uint b = pc.neox != 0u ? k + half_ : 2u * k + 1u;
    uint word = pc.table + (r * half_ + k) * 2u;
    float c = uintBitsToFloat(pass_words[word]);
    float s = uintBitsToFloat(pass_words[word + 1u]);
    float x0 = x[base + a], x1 = x[base + b];
    result[base + a] = x0 * c - x1 * s;
    result[base + b] = x0 * s + x1 * c;
}
