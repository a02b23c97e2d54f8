#version 450
#extension GL_GOOGLE_include_directive : require
// rms_norm: y = x · (mean(x²) + eps)^-½ · weight over each run of `width` consecutive elements
// (a row's c elements are c / width runs; width < c normalises per head).
// Dispatch: one workgroup of 128 per run (runs = n · c / width), spread over x and y
// (linear_grid.glsl); the sum of squares is reduced in shared memory.
#include "include/linear_grid.glsl"

#define WG 128u
layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) readonly buffer Weight { float weight[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint runs;
    uint width;
    float eps;
} pc;

shared float partial[WG];

void main() {
    uint run = linear_group();
    if (run >= pc.runs) return;  // the whole workgroup leaves together
    uint t = gl_LocalInvocationID.x;
    uint base = run * pc.width;

    float sum = 0.0;
    for (uint i = t; i < pc.width; i += WG) {
        float v = x[base + i];
        sum += v * v;
    }
    partial[t] = sum;
    barrier();
    for (uint s = WG / 2u; s > 0u; s >>= 1) {
        if (t < s) partial[t] += partial[t + s];
        barrier();
    }
    float inverseRMS = 1.0 / sqrt(partial[0] / float(pc.width) + pc.eps);

    for (uint i = t; i < pc.width; i += WG) {
        result[base + i] = x[base + i] * inverseRMS * weight[i];
    }
}
