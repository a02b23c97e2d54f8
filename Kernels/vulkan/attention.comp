#version 450
#extension GL_GOOGLE_include_directive : require
// attention: causal attention of one query row and one head over ring KV caches (position t in
// cache row t % cacheRows). The query at row r has position p = pass_words[0] + r and sees
// t in [first, p], first = max(0, p - window + 1) with a window, else 0. Query head h reads KV
// head h / (heads / kvHeads). Scores: scale · q·k, then cap · tanh(s / cap) with a softcap.
//
// Dispatch: one workgroup of 256 per (head, row, split): groups (heads, n, splits). headDim is a
// multiple of 4 and at most 256; the caches are read as vec4 (their bindings start 16-byte aligned).
//
// Split (splitKeys > 0, for decode on a GPU, where one workgroup per head leaves most of the chip
// idle while it walks a long span): workgroup z takes positions [first + z·splitKeys, first +
// (z+1)·splitKeys) of the span and writes its running maximum, its sum of weights and its
// unnormalised value sums to `partials` ((row, head, split)-major records of headDim + 2 floats);
// attention_combine.comp joins them. A split past the span writes an empty record.
//
// Keys are taken 256 at a time with a streaming (online) softmax, so any span fits the same shared
// memory. Per chunk: 8 threads share each key's dot product, each thread covering 8 keys at once
// (8 independent loads in flight, the decode case being latency-bound); the chunk's maximum
// rescales the running sums; then the value rows are summed by threads owning 4 output dimensions
// each, in 256 / (headDim / 4) groups that split the chunk's keys (they share one running maximum,
// so their sums add up directly at the end).
#include "include/activation.glsl"

#define WG 256u
#define LANES 8u              // threads per key in the score phase
#define SLOTS (WG / LANES)    // keys per round; a thread scores keys slot + SLOTS·m, m < KEYS
#define KEYS 8u               // rounds (keys per thread) per chunk: SLOTS · KEYS = WG
#define PAD (LANES + 1u)      // row stride of the partial dot products (no bank conflicts)
#define UNROLL 8u             // value rows in flight per thread
#define LOWEST -3.402823466e38
layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Q { float q[]; };
layout(std430, set = 0, binding = 2) readonly buffer KCache { vec4 kCache[]; };
layout(std430, set = 0, binding = 3) readonly buffer VCache { vec4 vCache[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Out { float result[]; };
layout(std430, set = 0, binding = 5) writeonly buffer Partials { float partials[]; };

layout(push_constant) uniform Push {
    uint heads;
    uint kvHeads;
    uint headDim;     // a multiple of 4, <= 256
    uint cacheRows;
    float scale;
    uint window;      // 0: none
    uint useSoftcap;  // 0: none
    float softcap;
    uint splitKeys;   // 0: one workgroup takes the whole span
} pc;

shared vec4 query[WG / 4u];
shared float partial[WG * PAD];  // partial dot products; at the end, the groups' value sums
shared float weights[WG];        // the chunk's scores, then exp(score - running maximum)
shared uint keyBase[WG];         // first vec4 of each chunk key's head in the caches
shared float small[WG];          // maxima of 16 scores; at the end, the groups' weight sums

void main() {
    uint h = gl_WorkGroupID.x, r = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    uint D4 = pc.headDim / 4u;
    uint rowStride = pc.kvHeads * D4;                       // vec4 per cache row
    uint kvOffset = (h / (pc.heads / pc.kvHeads)) * D4;     // this KV head within a row
    uint qOffset = (r * pc.heads + h) * pc.headDim;
    int position = int(pass_words[0] + r);
    int first = pc.window > 0u ? max(0, position - int(pc.window) + 1) : 0;
    int last = position;
    uint record = ((r * pc.heads + h) * gl_NumWorkGroups.z + gl_WorkGroupID.z) * (pc.headDim + 2u);
    if (pc.splitKeys > 0u) {
        first += int(gl_WorkGroupID.z * pc.splitKeys);
        last = min(position, first + int(pc.splitKeys) - 1);
        if (first > last) {  // the whole workgroup leaves: no barrier is skipped
            for (uint i = t; i < pc.headDim + 2u; i += WG) partials[record + i] = i == 0u ? LOWEST : 0.0;
            return;
        }
    }

    if (t < D4) query[t] = vec4(q[qOffset + 4u * t], q[qOffset + 4u * t + 1u], q[qOffset + 4u * t + 2u], q[qOffset + 4u * t + 3u]);

    uint lane = t % LANES, slot = t / LANES;
    // Value phase: thread t owns vec4 d of the head for the keys j ≡ g (mod groups).
    uint groups = WG / D4, d = t % D4, g = t / D4;
    bool owner = g < groups;

    float runningMax = LOWEST, sum = 0.0;
    vec4 acc = vec4(0.0);
    barrier();
    for (int c0 = first; c0 <= last; c0 += int(WG)) {
        uint count = uint(min(int(WG), last - c0 + 1));
        // Keys past the span read key 0's row (valid memory) and are discarded.
        uint base[KEYS];
        float dots[KEYS];
        for (uint m = 0u; m < KEYS; m++) {
            uint j = slot + SLOTS * m;
            uint row = (uint(c0) + (j < count ? j : 0u)) % pc.cacheRows;
            base[m] = row * rowStride + kvOffset;
            dots[m] = 0.0;
        }
        if (lane == 0u) for (uint m = 0u; m < KEYS; m++) keyBase[slot + SLOTS * m] = base[m];
        for (uint i = lane; i < D4; i += LANES) {
            vec4 qv = query[i];
            vec4 k[KEYS];
            for (uint m = 0u; m < KEYS; m++) k[m] = kCache[base[m] + i];
            for (uint m = 0u; m < KEYS; m++) dots[m] += dot(qv, k[m]);
        }
        for (uint m = 0u; m < KEYS; m++) partial[(slot + SLOTS * m) * PAD + lane] = dots[m];
        barrier();

        float score = LOWEST;
        if (t < count) {
            float s = 0.0;
            for (uint i = 0u; i < LANES; i++) s += partial[t * PAD + i];
            score = s * pc.scale;
            if (pc.useSoftcap != 0u) score = pc.softcap * stable_tanh(score / pc.softcap);
        }
        weights[t] = score;
        barrier();
        if (t < 16u) {
            float m16 = weights[16u * t];
            for (uint i = 1u; i < 16u; i++) m16 = max(m16, weights[16u * t + i]);
            small[t] = m16;
        }
        barrier();
        float newMax = runningMax;
        for (uint i = 0u; i < 16u; i++) newMax = max(newMax, small[i]);
        // exp(LOWEST - finite) is 0: the first chunk starts from empty sums.
        float rescale = exp(runningMax - newMax);
        weights[t] = t < count ? exp(score - newMax) : 0.0;  // every thread has read weights above
        barrier();

        sum *= rescale;
        acc *= rescale;
        if (owner) {
            for (uint j0 = g; j0 < count; j0 += UNROLL * groups) {
                vec4 v[UNROLL];
                float w[UNROLL];
                for (uint u = 0u; u < UNROLL; u++) {
                    uint j = j0 + u * groups;
                    bool inside = j < count;
                    w[u] = inside ? weights[j] : 0.0;
                    v[u] = vCache[keyBase[inside ? j : j0] + d];
                }
                for (uint u = 0u; u < UNROLL; u++) {
                    sum += w[u];
                    acc += w[u] * v[u];
                }
            }
        }
        runningMax = newMax;
        barrier();  // the next chunk overwrites partial, weights, keyBase and small
    }

    if (owner) {
        partial[4u * t] = acc.x; partial[4u * t + 1u] = acc.y;
        partial[4u * t + 2u] = acc.z; partial[4u * t + 3u] = acc.w;
        if (d == 0u) small[g] = sum;
    }
    barrier();
    // Thread t < headDim sums dimension t over the groups (group k's dimension t is at k·headDim + t).
    if (t < pc.headDim) {
        float value = 0.0, total = 0.0;
        for (uint k = 0u; k < groups; k++) {
            value += partial[k * pc.headDim + t];
            total += small[k];
        }
        if (pc.splitKeys == 0u) {
            result[qOffset + t] = value / total;
        } else {
            partials[record + 2u + t] = value;
            if (t == 0u) { partials[record] = runningMax; partials[record + 1u] = total; }
        }
    }
}
