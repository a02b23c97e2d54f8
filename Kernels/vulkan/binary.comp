#version 450
#extension GL_GOOGLE_include_directive : require
// binary: out = a + b (op 0) or a * b (op 1), one element per invocation. b has a's element count,
// or it is one row (bCount = a's row length) broadcast over a's rows: b[i % bCount].
// Dispatch: ceil(count / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 2) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint count;   // elements of a (and of the output)
    uint bCount;  // elements of b: count, or a's row length
    uint op;      // 0 add, 1 mul
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.count) return;
    float x = a[i];
    float y = b[pc.bCount == pc.count ? i : i % pc.bCount];
    result[i] = pc.op == 0u ? x + y : x * y;
}
