#version 450
#extension GL_GOOGLE_include_directive : require
// softmax: exp(x - max) / Σ exp(x - max) over each row of any length.
// Dispatch: one workgroup of 256 per row, spread over x and y (linear_grid.glsl); the maximum and
// the sum are reduced in shared memory.
#include "include/linear_grid.glsl"

#define WG 256u
layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint columns;
} pc;

shared float partial[WG];

void main() {
    uint row = linear_group();
    if (row >= pc.rows) return;  // the whole workgroup leaves together
    uint t = gl_LocalInvocationID.x;
    uint base = row * pc.columns;

    float m = -3.402823466e38;
    for (uint i = t; i < pc.columns; i += WG) m = max(m, x[base + i]);
    partial[t] = m;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) partial[t] = max(partial[t], partial[t + s]);
        barrier();
    }
    m = partial[0];
    barrier();  // everyone has read the maximum before partial is reused

    float sum = 0.0;
    for (uint i = t; i < pc.columns; i += WG) sum += exp(x[base + i] - m);
    partial[t] = sum;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        barrier();
    }
    float total = partial[0];

    for (uint i = t; i < pc.columns; i += WG) result[base + i] = exp(x[base + i] - m) / total;
}
