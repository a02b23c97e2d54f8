#version 450
#extension GL_GOOGLE_include_directive : require
// rows: copies count elements starting at element `first` of x (rows start..<start+count, so
// first = start · columns) to the output, one element per invocation.
// Dispatch: ceil(count / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint count;  // elements to copy (rows · columns)
    uint first;  // first element of x copied
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.count) return;
    result[i] = x[pc.first + i];
}
