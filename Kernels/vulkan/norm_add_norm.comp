#version 450
#extension GL_GOOGLE_include_directive : require
// norm_add_norm: a sandwich norm's three ops in one dispatch (Gemma's post-norm, the residual add
// and the next pre-norm): p = rmsNorm(o) · w1, s = x + p, y = rmsNorm(s) · w2, every row of `width`
// elements. p, s and y are all written (each may be read later), each as its own kernel writes it.
// Dispatch: one workgroup of 128 per row, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

#define WG 128u
layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer O { float o[]; };
layout(std430, set = 0, binding = 2) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 3) readonly buffer W1 { float w1[]; };
layout(std430, set = 0, binding = 4) readonly buffer W2 { float w2[]; };
layout(std430, set = 0, binding = 5) buffer P { float p[]; };
layout(std430, set = 0, binding = 6) buffer S { float s[]; };
layout(std430, set = 0, binding = 7) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint width;
    float eps1;
    float eps2;
} pc;

shared float partial[WG];

// The sum over the workgroup of each invocation's `value` (every invocation gets it).
float workgroupSum(float value) {
    uint t = gl_LocalInvocationID.x;
    barrier();  // partial may still be read from the previous sum
    partial[t] = value;
    barrier();
    for (uint k = WG / 2u; k > 0u; k >>= 1) {
        if (t < k) partial[t] += partial[t + k];
        barrier();
    }
    return partial[0];
}

void main() {
    uint row = linear_group();
    if (row >= pc.rows) return;  // the whole workgroup leaves together
    uint t = gl_LocalInvocationID.x;
    uint base = row * pc.width;

    float sum = 0.0;
    for (uint i = t; i < pc.width; i += WG) { float v = o[base + i]; sum += v * v; }
    float inverse1 = 1.0 / sqrt(workgroupSum(sum) / float(pc.width) + pc.eps1);

    // Each invocation reads back only the elements it wrote itself.
    sum = 0.0;
    for (uint i = t; i < pc.width; i += WG) {
        float normed = o[base + i] * inverse1 * w1[i];
        p[base + i] = normed;
        float v = x[base + i] + normed;
        s[base + i] = v;
        sum += v * v;
    }
    float inverse2 = 1.0 / sqrt(workgroupSum(sum) / float(pc.width) + pc.eps2);

    for (uint i = t; i < pc.width; i += WG) {
        result[base + i] = s[base + i] * inverse2 * w2[i];
    }
}
