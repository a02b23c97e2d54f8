#version 450
#extension GL_GOOGLE_include_directive : require
// unary: one function of each element, one element per invocation: op 0 scale (x · param),
// 1 silu, 2 gelu (tanh form), 3 softcap (param · tanh(x / param)).
// Dispatch: ceil(count / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"
#include "include/activation.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint count;
    uint op;      // 0 scale, 1 silu, 2 gelu, 3 softcap
    float param;  // the scale factor or the cap
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.count) return;
    float v = x[i];
    float y;
    switch (pc.op) {
    case 0u: y = v * pc.param; break;
    case 1u: y = silu(v); break;
    case 2u: y = gelu(v); break;
    default: y = pc.param * stable_tanh(v / pc.param); break;
    }
    result[i] = y;
}
