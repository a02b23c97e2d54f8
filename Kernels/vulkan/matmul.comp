#version 450
// variants: f32 f16 bf16 q4_0 q4_1 q5_0 q8_0 q4_K q6_K
#extension GL_GOOGLE_include_directive : require

// matmul for many tokens (prefill): out[t, firstRow + r] = sum_k x[t, k] * w[r, k] over the rows r
// of one weight chunk. A workgroup of 256 invocations computes a tile of 64 tokens x 64 rows, each
// invocation a 4 x 4 register tile in f32. Over k in steps of 32, the x tile and the dequantized
// weight tile are staged in shared memory, k-major, so the inner loop reads one vec4 of tokens
// and one vec4 of rows per k.
// Dispatch: R = ceil(chunkRows / 64) row tiles as (min(R, 65535), ceil(n / 64), ceil(R / 65535)).

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) readonly buffer PassBuffer { uint pass_words[]; };
#if defined(WEIGHT_F32) || defined(WEIGHT_F16) || defined(WEIGHT_BF16)
layout(std430, set = 0, binding = 1) readonly buffer X { float x[]; };
// The same bindings seen in 16-byte units, for k a multiple of 8 (rows then start 16-byte aligned).
layout(std430, set = 0, binding = 1) readonly buffer X4 { vec4 x4[]; };
layout(std430, set = 0, binding = 2) readonly buffer Weights16 { uvec4 w_quads[]; };
#else
// Block formats have k a multiple of 32, so every row of x is vec4-aligned.
layout(std430, set = 0, binding = 1) readonly buffer X { vec4 x4[]; };
#endif
layout(std430, set = 0, binding = 2) readonly buffer Weights { uint w_words[]; };
layout(std430, set = 0, binding = 3) writeonly buffer Out { float y[]; };

layout(push_constant) uniform Push {
    uint n;          // tokens (rows of x and out)
    uint k;          // elements per weight row
    uint m;          // columns of out (all rows of the weight, every chunk)
    uint firstRow;   // first weight row of this chunk
    uint chunkRows;  // rows in this chunk
} pc;

#include "include/weights.glsl"

const uint BM = 64u;  // tokens per tile
const uint BN = 64u;  // weight rows per tile
const uint BK = 32u;  // k per step (one block group)

// xs[kk * 16 + i] holds tokens 4i..4i+3 at k step offset kk; ws likewise rows. 8 KiB each.
shared vec4 xs[BK * BM / 4u];
shared vec4 ws[BK * BN / 4u];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint rowTiles = (pc.chunkRows + BN - 1u) / BN;
    uint rowTile = gl_WorkGroupID.z * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (rowTile >= rowTiles) return;  // whole workgroup
    uint r0 = rowTile * BN;
    uint t0 = gl_WorkGroupID.y * BM;
    uint k = pc.k;

    // Loading: invocation (lr, lq) fetches token / row lr of the tile, k offsets 8lq..8lq+7 of the
    // step. Consecutive invocations take consecutive tokens / rows, so their shared-memory stores
    // fall in distinct banks.
    uint lr = tid & 63u, lq = tid >> 6;
    uint tok = t0 + lr;
    bool tokOk = tok < pc.n;
    uint wrow = r0 + lr;
    bool rowOk = wrow < pc.chunkRows;
    uint rowByte = wrow * weightRowBytes(k);
    uint sIdx = lr >> 2, sComp = lr & 3u;

    // Compute: invocation (tx, ty) owns tokens 4ty..4ty+3 and rows 4tx..4tx+3 of the tile.
    uint tx = tid & 15u, ty = tid >> 4;
    vec4 acc[4] = vec4[4](vec4(0.0), vec4(0.0), vec4(0.0), vec4(0.0));

    for (uint k0 = 0u; k0 < k; k0 += BK) {
        float xv[8];
        float wv[8];
#ifdef WEIGHT_PLAIN
        uint e0 = k0 + 8u * lq;
        if (k % 8u == 0u) {
            // Whole runs of 8: two vec4 of x and 16 or 32 bytes of weights.
            bool inK = e0 < k;
            vec4 xa = vec4(0.0), xb = vec4(0.0), wa = vec4(0.0), wb = vec4(0.0);
            if (tokOk && inK) {
                xa = x4[(tok * k + e0) >> 2];
                xb = x4[((tok * k + e0) >> 2) + 1u];
            }
            if (rowOk && inK) {
#if defined(WEIGHT_F32)
                uint q = (rowByte + 4u * e0) >> 4;
                wa = uintBitsToFloat(w_quads[q]);
                wb = uintBitsToFloat(w_quads[q + 1u]);
#else
                uvec4 h = w_quads[(rowByte + 2u * e0) >> 4];
#if defined(WEIGHT_F16)
                wa = vec4(unpackHalf2x16(h.x), unpackHalf2x16(h.y));
                wb = vec4(unpackHalf2x16(h.z), unpackHalf2x16(h.w));
#else
                wa = uintBitsToFloat(uvec4(h.x << 16, h.x & 0xFFFF0000u, h.y << 16, h.y & 0xFFFF0000u));
                wb = uintBitsToFloat(uvec4(h.z << 16, h.z & 0xFFFF0000u, h.w << 16, h.w & 0xFFFF0000u));
#endif
#endif
            }
            for (uint i = 0u; i < 4u; i++) {
                xv[i] = xa[i]; xv[i + 4u] = xb[i];
                wv[i] = wa[i]; wv[i + 4u] = wb[i];
            }
        } else {
            for (uint i = 0u; i < 8u; i++) {
                uint e = e0 + i;
                xv[i] = (tokOk && e < k) ? x[tok * k + e] : 0.0;
                wv[i] = (rowOk && e < k) ? wPlain(rowByte, e) : 0.0;
            }
        }
        for (uint i = 0u; i < 8u; i++) {
            xs[(8u * lq + i) * 16u + sIdx][sComp] = xv[i];
            ws[(8u * lq + i) * 16u + sIdx][sComp] = wv[i];
        }
#else
        // x elements: the same 8 positions of the group that dequantPart(lq) yields.
        vec4 xa = vec4(0.0), xb = vec4(0.0);
        if (tokOk) {
            uint base = (tok * k + k0) >> 2;
            xa = x4[base + partVec4(lq, 0u)];
            xb = x4[base + partVec4(lq, 1u)];
        }
        if (rowOk) {
            dequantPart(rowByte, k0 >> 5, lq, wv);
        } else {
            for (uint i = 0u; i < 8u; i++) wv[i] = 0.0;
        }
        for (uint i = 0u; i < 8u; i++) {
            uint kk = partElement(lq, i);
            xs[kk * 16u + sIdx][sComp] = i < 4u ? xa[i] : xb[i - 4u];
            ws[kk * 16u + sIdx][sComp] = wv[i];
        }
#endif
        barrier();
        for (uint kk = 0u; kk < BK; kk++) {
            vec4 a = xs[kk * 16u + ty];
            vec4 b = ws[kk * 16u + tx];
            acc[0] = fma(vec4(a.x), b, acc[0]);
            acc[1] = fma(vec4(a.y), b, acc[1]);
            acc[2] = fma(vec4(a.z), b, acc[2]);
            acc[3] = fma(vec4(a.w), b, acc[3]);
        }
        barrier();
    }

    for (uint i = 0u; i < 4u; i++) {
        uint t = t0 + 4u * ty + i;
        if (t >= pc.n) break;
        for (uint j = 0u; j < 4u; j++) {
            uint r = r0 + 4u * tx + j;
            if (r < pc.chunkRows) y[t * pc.m + pc.firstRow + r] = acc[i][j];
        }
    }
}
