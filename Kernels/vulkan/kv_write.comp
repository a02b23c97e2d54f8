#version 450
#extension GL_GOOGLE_include_directive : require
// kv_write: copies the pass's n rows of keys (or values) into a ring cache of cacheRows rows:
// row r goes to cache row (start + r) % cacheRows, start = pass_words[0] (read on the GPU so a
// recorded command buffer can be replayed at a later position). One element per invocation.
// Dispatch: ceil(n · columns / 256) workgroups of 256, spread over x and y (linear_grid.glsl).
#include "include/linear_grid.glsl"

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Rows { float src[]; };
layout(std430, set = 0, binding = 2) buffer Cache { float cache[]; };

layout(push_constant) uniform Push {
    uint count;      // n · columns
    uint columns;
    uint cacheRows;
} pc;

void main() {
    uint i = linear_invocation(256u);
    if (i >= pc.count) return;
    uint r = i / pc.columns, c = i - r * pc.columns;
    uint row = (pass_words[0] + r) % pc.cacheRows;
    cache[row * pc.columns + c] = src[i];
}
