#version 450
#extension GL_GOOGLE_include_directive : require
// gated: act(gate) · up element by element, act = silu (op 0, swiglu) or gelu (op 1, geglu).
// Dispatch: ceil(count / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"
#include "include/activation.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Gate { float gate[]; };
layout(std430, set = 0, binding = 2) readonly buffer Up { float up[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint count;
    uint op;  // 0 swiglu, 1 geglu
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.count) return;
    float g = gate[i];
    result[i] = (pc.op == 0u ? silu(g) : gelu(g)) * up[i];
}
