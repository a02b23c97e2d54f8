#version 450
#extension GL_GOOGLE_include_directive : require
// attention: causal attention over ring KV caches (position t in cache row t % cacheRows). The
// query at row r has position p = pass_words[0] + r and sees t in [first, p],
// first = max(0, p - window + 1) with a window, else 0. Query head h reads KV head
// h / (heads / kvHeads). Scores: scale · q·k, then cap · tanh(s / cap) with a softcap.
// headDim is a multiple of 4 and at most 256; the caches are read as vec4 (their bindings start
// 16-byte aligned). Two paths, chosen by the encoder through tileQueries:
//
// Tiled (tileQueries > 0, prefill): one workgroup of 256 per (tile, KV head), groups
// (tiles, kvHeads, 1). The queries of one KV head are numbered row-major, i = r · G + g (G =
// heads / kvHeads query heads per KV head: GQA/MQA heads share the tile), and a tile is
// tileQueries consecutive ones. The tile walks the union of its queries' spans tileKeys keys at a
// time: each key and value row is loaded once into shared memory for the whole tile (and the
// next chunk's rows are fetched into registers while this one is computed); every query keeps
// its own online softmax and masks the keys outside its own span (causality, window).
// Per chunk: scores (1 to headDim/4 threads per query·key pair, so that all 256 work) |
// softmax update (one thread per query, adding up the dot products' parts) |
// weighted value sums (a thread owns 4 dimensions of up to 4 queries).
//
// Per row (tileQueries = 0, decode): one workgroup of 256 per (head, row): groups (heads, n, 1).
// Keys are taken 256 at a time with a streaming (online) softmax, so any span fits the same shared
// memory. Per chunk: 8 threads share each key's dot product, each thread covering 8 keys at once
// (8 independent loads in flight, the decode case being latency-bound); the chunk's maximum
// rescales the running sums; then the value rows are summed by threads owning 4 output dimensions
// each, in 256 / (headDim / 4) groups that split the chunk's keys (they share one running maximum,
// so their sums add up directly at the end).
//
// TODO(scratch): decode (n = 1) runs only `heads` workgroups. Splitting each span across several
// workgroups (flash-decoding) needs a scratch buffer of heads · splits · (headDim + 2) floats for
// the partial sums and a combine dispatch; the encoder cannot allocate one through the current
// VulkanPass API.
#include "include/activation.glsl"

#define WG 256u
#define LANES 8u              // threads per key in the score phase
#define SLOTS (WG / LANES)    // keys per round; a thread scores keys slot + SLOTS·m, m < KEYS
#define KEYS 8u               // rounds (keys per thread) per chunk: SLOTS · KEYS = WG
#define PAD (LANES + 1u)      // row stride of the partial dot products (no bank conflicts)
#define UNROLL 8u             // value rows in flight per thread
#define LOWEST -3.402823466e38

// Tiled path limits (the encoder picks tileQueries and tileKeys within them):
//   tileQueries · (headDim/4 + 1) <= SQ_VEC4, tileKeys · (headDim/4 + 1) <= SKV_VEC4,
//   tileQueries · tileKeys <= 1024, tileQueries <= TQ_MAX,
//   tileQueries <= 4 · floor(256 / (headDim/4)) (4 accumulators per thread),
//   tileKeys · headDim/4 <= 2 · 256 (2 prefetched vec4 of keys and of values per thread).
#define SQ_VEC4 1088u
#define SKV_VEC4 528u
#define TQ_MAX 64u
#define QPT 4u        // queries per thread in the value phase
#define PREFETCH 2u   // vec4 of keys (and of values) each thread fetches per chunk
layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
layout(std430, set = 0, binding = 1) readonly buffer Q { float q[]; };
layout(std430, set = 0, binding = 2) readonly buffer KCache { vec4 kCache[]; };
layout(std430, set = 0, binding = 3) readonly buffer VCache { vec4 vCache[]; };
layout(std430, set = 0, binding = 4) writeonly buffer Out { float result[]; };

layout(push_constant) uniform Push {
    uint heads;
    uint kvHeads;
    uint headDim;     // a multiple of 4, <= 256
    uint cacheRows;
    float scale;
    uint window;      // 0: none
    uint useSoftcap;  // 0: none
    float softcap;
    uint tileQueries; // 0: per-row path
    uint tileKeys;    // keys per chunk of the tiled path
} pc;

// Shared memory, 31,488 bytes in all (lavapipe allows 32 KiB); the per-row path uses
// parts of the tiled path's arrays under other names.
shared vec4 sq[SQ_VEC4];        // tiled: the tile's queries, rows padded to headDim/4 + 1 vec4;
                                // per-row: its partial dot products, then the groups' value sums
shared vec4 skv[SKV_VEC4];      // tiled: the chunk's keys, then its values (padded rows);
                                // per-row: the query (first headDim/4 entries)
shared float ss[1024];          // tiled: scores, then weights (query-major, tileKeys per query);
                                // per-row: weights at 0..255, maxima / group sums at 256..511
shared float sRescale[TQ_MAX];  // tiled: per query, exp(old maximum - new maximum), then the sum
shared uint keyBase[WG];        // per-row: first vec4 of each chunk key's head in the caches

float getPartial(uint x) { return sq[x >> 2u][x & 3u]; }
void setPartial(uint x, float v) { sq[x >> 2u][x & 3u] = v; }

void perRow() {
    uint h = gl_WorkGroupID.x, r = gl_WorkGroupID.y, t = gl_LocalInvocationID.x;
    uint D4 = pc.headDim / 4u;
    uint rowStride = pc.kvHeads * D4;                       // vec4 per cache row
    uint kvOffset = (h / (pc.heads / pc.kvHeads)) * D4;     // this KV head within a row
    uint qOffset = (r * pc.heads + h) * pc.headDim;
    int position = int(pass_words[0] + r);
    int first = pc.window > 0u ? max(0, position - int(pc.window) + 1) : 0;

    if (t < D4) skv[t] = vec4(q[qOffset + 4u * t], q[qOffset + 4u * t + 1u], q[qOffset + 4u * t + 2u], q[qOffset + 4u * t + 3u]);

    uint lane = t % LANES, slot = t / LANES;
    // Value phase: thread t owns vec4 d of the head for the keys j ≡ g (mod groups).
    uint groups = WG / D4, d = t % D4, g = t / D4;
    bool owner = g < groups;

    float runningMax = LOWEST, sum = 0.0;
    vec4 acc = vec4(0.0);
    barrier();
    for (int c0 = first; c0 <= position; c0 += int(WG)) {
        uint count = uint(min(int(WG), position - c0 + 1));
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
            vec4 qv = skv[i];
            vec4 k[KEYS];
            for (uint m = 0u; m < KEYS; m++) k[m] = kCache[base[m] + i];
            for (uint m = 0u; m < KEYS; m++) dots[m] += dot(qv, k[m]);
        }
        for (uint m = 0u; m < KEYS; m++) setPartial((slot + SLOTS * m) * PAD + lane, dots[m]);
        barrier();

        float score = LOWEST;
        if (t < count) {
            float s = 0.0;
            for (uint i = 0u; i < LANES; i++) s += getPartial(t * PAD + i);
            score = s * pc.scale;
            if (pc.useSoftcap != 0u) score = pc.softcap * stable_tanh(score / pc.softcap);
        }
        ss[t] = score;
        barrier();
        if (t < 16u) {
            float m16 = ss[16u * t];
            for (uint i = 1u; i < 16u; i++) m16 = max(m16, ss[16u * t + i]);
            ss[256u + t] = m16;
        }
        barrier();
        float newMax = runningMax;
        for (uint i = 0u; i < 16u; i++) newMax = max(newMax, ss[256u + i]);
        // exp(LOWEST - finite) is 0: the first chunk starts from empty sums.
        float rescale = exp(runningMax - newMax);
        ss[t] = t < count ? exp(score - newMax) : 0.0;  // every thread has read weights above
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
                    w[u] = inside ? ss[j] : 0.0;
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
        sq[t] = acc;
        if (d == 0u) ss[256u + g] = sum;
    }
    barrier();
    // Thread t < headDim sums dimension t over the groups (group k's dimension t is at k·headDim + t).
    if (t < pc.headDim) {
        float value = 0.0, total = 0.0;
        for (uint k = 0u; k < groups; k++) {
            value += getPartial(k * pc.headDim + t);
            total += ss[256u + k];
        }
        result[qOffset + t] = value / total;
    }
}

float score(float s) {
    s *= pc.scale;
    return pc.useSoftcap != 0u ? pc.softcap * stable_tanh(s / pc.softcap) : s;
}

void tiled() {
    uint t = gl_LocalInvocationID.x, kv = gl_WorkGroupID.y;
    uint TQ = pc.tileQueries, TK = pc.tileKeys;
    uint G = pc.heads / pc.kvHeads;
    uint n = pass_words[1];
    uint D4 = pc.headDim / 4u, S4 = D4 + 1u;               // S4: padded shared row stride
    uint rowStride = pc.kvHeads * D4;                       // vec4 per cache row
    uint kvOffset = kv * D4;
    uint i0 = gl_WorkGroupID.x * TQ;                        // first query of the tile
    // Threads per dot product (at most 256 parts in ss, the weights then start at 512).
    uint SPLIT = clamp(WG / (TQ * TK), 1u, D4), W0 = SPLIT > 1u ? 512u : 0u;
    int start = int(pass_words[0]);
    int lastPosition = start + int(min(n - 1u, (i0 + TQ - 1u) / G));
    int firstPosition = start + int(i0 / G);
    if (pc.window > 0u) firstPosition = max(0, firstPosition - int(pc.window) + 1); else firstPosition = 0;

    // The tile's queries (queries past the last row load zeros and are never written).
    for (uint e = t; e < TQ * D4; e += WG) {
        uint i = e / D4, d = e % D4, gi = i0 + i, r = gi / G;
        vec4 v = vec4(0.0);
        if (r < n) {
            uint o = (r * pc.heads + kv * G + gi % G) * pc.headDim + 4u * d;
            v = vec4(q[o], q[o + 1u], q[o + 2u], q[o + 3u]);
        }
        sq[i * S4 + d] = v;
    }

    // Softmax state of query t (threads t < TQ).
    int myPosition = start + int((i0 + t) / G);
    int myFirst = pc.window > 0u ? max(0, myPosition - int(pc.window) + 1) : 0;
    bool myValid = t < TQ && (i0 + t) / G < n;
    float runningMax = LOWEST, sum = 0.0;

    // Value phase: thread t owns vec4 d of queries grp + groups·k.
    uint groups = WG / D4, d = t % D4, grp = t / D4;
    vec4 acc[QPT];
    for (uint k = 0u; k < QPT; k++) acc[k] = vec4(0.0);

    // Prefetch of the first chunk: thread t loads entries e = t + WG·u of the chunk (key e / D4,
    // vec4 e % D4); keys past the span load zeros.
    vec4 kNext[PREFETCH], vNext[PREFETCH];
    for (uint u = 0u; u < PREFETCH; u++) {
        uint e = t + WG * u, j = e / D4;
        bool inside = e < TK * D4 && firstPosition + int(j) <= lastPosition;
        uint src = ((uint(firstPosition) + j) % pc.cacheRows) * rowStride + kvOffset + e % D4;
        kNext[u] = inside ? kCache[src] : vec4(0.0);
        vNext[u] = inside ? vCache[src] : vec4(0.0);
    }

    for (int c0 = firstPosition; c0 <= lastPosition; c0 += int(TK)) {
        vec4 vHere[PREFETCH];
        for (uint u = 0u; u < PREFETCH; u++) {
            uint e = t + WG * u;
            if (e < TK * D4) skv[(e / D4) * S4 + e % D4] = kNext[u];
            vHere[u] = vNext[u];
        }
        // Fetch the next chunk while this one is computed.
        int c1 = c0 + int(TK);
        for (uint u = 0u; u < PREFETCH; u++) {
            uint e = t + WG * u, j = e / D4;
            bool inside = e < TK * D4 && c1 + int(j) <= lastPosition;
            uint src = ((uint(c1) + j) % pc.cacheRows) * rowStride + kvOffset + e % D4;
            kNext[u] = inside ? kCache[src] : vec4(0.0);
            vNext[u] = inside ? vCache[src] : vec4(0.0);
        }
        barrier();  // keys (and, the first time, queries) in shared memory

        // SPLIT threads share each query·key dot product (vec4 x ≡ part mod SPLIT); the softmax
        // threads add the parts up.
        for (uint e = t; e < TQ * TK * SPLIT; e += WG) {
            uint pair = e / SPLIT, part = e % SPLIT, i = pair / TK, j = pair % TK;
            uint qa = i * S4, ka = j * S4;
            vec4 s4 = vec4(0.0);
            for (uint x = part; x < D4; x += SPLIT) s4 += sq[qa + x] * skv[ka + x];
            ss[e] = (s4.x + s4.y) + (s4.z + s4.w);
        }
        barrier();  // scores written; keys no longer needed

        for (uint u = 0u; u < PREFETCH; u++) {
            uint e = t + WG * u;
            if (e < TK * D4) skv[(e / D4) * S4 + e % D4] = vHere[u];
        }
        if (t < TQ) {
            uint count = uint(min(int(TK), lastPosition - c0 + 1));
            // Keys outside this query's span (or past the tile's) get weight 0.
            int lo = max(myFirst - c0, 0), hi = min(myPosition - c0 + 1, int(count));
            if (!myValid) hi = 0;
            // Only this thread reads its query's parts: the score goes to the first part's slot.
            float newMax = runningMax;
            for (int j = lo; j < hi; j++) {
                uint a = (t * TK + uint(j)) * SPLIT;
                float dp = 0.0;
                for (uint part = 0u; part < SPLIT; part++) dp += ss[a + part];
                float sc = score(dp);
                ss[a] = sc;
                newMax = max(newMax, sc);
            }
            float rescale = exp(runningMax - newMax);  // 0 from an empty start (LOWEST - finite)
            float add = 0.0;
            for (uint j = 0u; j < TK; j++) {
                int jj = int(j);
                float w = jj >= lo && jj < hi ? exp(ss[(t * TK + j) * SPLIT] - newMax) : 0.0;
                ss[W0 + t * TK + j] = w;  // W0 > 0 keeps the other queries' parts intact
                add += w;
            }
            sum = sum * rescale + add;
            runningMax = newMax;
            sRescale[t] = rescale;
        }
        barrier();  // weights, rescales and values in shared memory

        if (grp < groups) {
            for (uint k = 0u; k < QPT; k++) {
                uint i = grp + groups * k;
                if (i < TQ) {
                    vec4 a = acc[k] * sRescale[i];
                    uint wa = W0 + i * TK;
                    for (uint j = 0u; j < TK; j++) a += ss[wa + j] * skv[j * S4 + d];
                    acc[k] = a;
                }
            }
        }
        barrier();  // the next chunk overwrites keys, scores and rescales
    }

    if (t < TQ) sRescale[t] = sum;
    barrier();
    if (grp < groups) {
        for (uint k = 0u; k < QPT; k++) {
            uint i = grp + groups * k, gi = i0 + i, r = gi / G;
            if (i < TQ && r < n) {
                uint o = (r * pc.heads + kv * G + gi % G) * pc.headDim + 4u * d;
                vec4 v = acc[k] / sRescale[i];
                result[o] = v.x; result[o + 1u] = v.y; result[o + 2u] = v.z; result[o + 3u] = v.w;
            }
        }
    }
}

void main() {
    if (pc.tileQueries > 0u) tiled(); else perRow();
}
