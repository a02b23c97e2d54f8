#version 450
#extension GL_GOOGLE_include_directive : require
// add_rms_norm: the residual add and the norm that reads it, fused (one dispatch and one barrier
// fewer): s = a + b, then y = s · (mean(s²) + eps)^-½ · weight over each row of `width` elements.
// Both s (the residual stream, read again later) and y are written; s is bit for bit the `add`
// kernel's, y the `rms_norm` kernel's on that s.
// Dispatch: one workgroup of 128 per row, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

#define WG 128u
layout(local_size_x = 128) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 2) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 3) readonly buffer Weight { float weight[]; };
layout(std430, set = 0, binding = 4) buffer Sum { float s[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint rows;
    uint width;
    float eps;
} pc;

shared float partial[WG];

void main() {
    uint row = linear_group();
    if (row >= pc.rows) return;  // the whole workgroup leaves together
    uint t = gl_LocalInvocationID.x;
    uint base = row * pc.width;

    float sum = 0.0;
    for (uint i = t; i < pc.width; i += WG) {
        float v = a[base + i] + b[base + i];
        s[base + i] = v;
        sum += v * v;
    }
    partial[t] = sum;
    barrier();
    for (uint k = WG / 2u; k > 0u; k >>= 1) {
        if (t < k) partial[t] += partial[t + k];
        barrier();
    }
    float inverseRMS = 1.0 / sqrt(partial[0] / float(pc.width) + pc.eps);

    // Each invocation reads back only the elements it wrote itself.
    for (uint i = t; i < pc.width; i += WG) {
        result[base + i] = s[base + i] * inverseRMS * weight[i];
    }
}
