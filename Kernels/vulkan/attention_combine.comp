#version 450
// attention_combine: joins the split records of attention.comp (splitKeys > 0) into each head's
// output: with M the largest of the splits' running maxima m_z, out = Σ e^(m_z − M)·value_z /
// Σ e^(m_z − M)·sum_z (an empty split has m = lowest float and weighs nothing).
// Dispatch: one workgroup of 256 per (head, row): groups (heads, n, 1); thread t < headDim
// computes dimension t.

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Partials { float partials[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint heads;
    uint headDim;
    uint splits;
} pc;

void main() {
    uint h = gl_WorkGroupID.x, r = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    if (t >= pc.headDim) return;
    uint stride = pc.headDim + 2u;
    uint first = (r * pc.heads + h) * pc.splits * stride;
    float largest = partials[first];
    for (uint z = 1u; z < pc.splits; z++) largest = max(largest, partials[first + z * stride]);
    float value = 0.0, total = 0.0;
    for (uint z = 0u; z < pc.splits; z++) {
        uint record = first + z * stride;
        float w = exp(partials[record] - largest);
        total += w * partials[record + 1u];
        value += w * partials[record + 2u + t];
    }
    result[(r * pc.heads + h) * pc.headDim + t] = value / total;
}
