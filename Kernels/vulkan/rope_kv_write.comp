#version 450
#extension GL_GOOGLE_include_directive : require
// rope_kv_write: the keys' RoPE and the KV-cache write, fused (the rotated keys go straight into
// the cache; one dispatch and one barrier instead of three dispatches and a barrier). Items
// 0 ..< kItems rotate keys exactly as `rope` does (per (row, head): half pairs, then the
// headDim - rotatedDims copied dimensions) and store them at cache row (start + r) % cacheRows;
// items kItems ..< kItems + vCount copy value elements as `kv_write` does. start = pass_words[0].
// Dispatch: ceil((kItems + vCount) / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer K { float k[]; };
layout(std430, set = 0, binding = 2) readonly buffer V { float v[]; };
layout(std430, set = 0, binding = 3) buffer KCache { float kCache[]; };
layout(std430, set = 0, binding = 4) buffer VCache { float vCache[]; };

layout(push_constant) uniform Push {
    uint kItems;       // n · heads · (half + headDim - rotatedDims)
    uint vCount;       // n · columns
    uint heads;
    uint headDim;
    uint rotatedDims;
    uint neox;         // 0 normal, 1 NeoX
    uint table;        // word offset of the cos/sin table in the pass buffer
    uint cacheRows;
} pc;

void main() {
    uint item = linear_invocation(256u);
    uint columns = pc.heads * pc.headDim;
    if (item >= pc.kItems) {
        uint i = item - pc.kItems;
        if (i >= pc.vCount) return;
        uint r = i / columns, c = i - r * columns;
        vCache[((pass_words[0] + r) % pc.cacheRows) * columns + c] = v[i];
        return;
    }
    uint half_ = pc.rotatedDims / 2u;
    uint perHead = half_ + pc.headDim - pc.rotatedDims;
    uint head = item / perHead, j = item - head * perHead;
    uint r = head / pc.heads;
    uint base = head * pc.headDim;  // (r · heads + h) · headDim in k
    uint cacheBase = ((pass_words[0] + r) % pc.cacheRows) * columns + (head - r * pc.heads) * pc.headDim;

    if (j >= half_) {
        uint d = pc.rotatedDims + (j - half_);
        kCache[cacheBase + d] = k[base + d];
        return;
    }
    uint a = pc.neox != 0u ? j : 2u * j;
    uint b = pc.neox != 0u ? j + half_ : 2u * j + 1u;
    uint word = pc.table + (r * half_ + j) * 2u;
    float c = uintBitsToFloat(pass_words[word]);
    float s = uintBitsToFloat(pass_words[word + 1u]);
    float x0 = k[base + a], x1 = k[base + b];
    kCache[cacheBase + a] = x0 * c - x1 * s;
    kCache[cacheBase + b] = x0 * s + x1 * c;
}
