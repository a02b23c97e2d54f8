#version 450
// variants: f32 f16 bf16 q4_0 q4_1 q5_0 q8_0 q4_K q6_K
#extension GL_GOOGLE_include_directive : require

// matmul for few tokens (decode): out[t, firstRow + r] = sum_k x[t, k] * w[r, k] for the rows r of
// one weight chunk, f32 accumulation. Every weight byte is read once per 4 tokens, so this is the
// bandwidth-bound path; it is correct for any n (tokens are taken 4 at a time).
//
// matvec_parts.comp (the same code with MATVEC_PARTS) takes up to three weights that read the
// same x (parts). (Merging a layer's q, k and v this way measured 2% slower on an H200 than three
// dispatches running side by side, so only the gated pair below uses it.) Part p multiplies x by rows [first_p, first_p +
// rows_p) of weight p (binding 2 + p) into columns first_p + r of out_p (binding 5 + p, m_p
// columns). Workgroups [0, groups0) take part 0, [groups0, groups0 + groups1) part 1, the rest
// part 2, so the buffer a workgroup reads is uniform over it. Unused parts have no rows (their
// bindings repeat part 0's). Gated (pc.gated = 1: SiLU, 2: GELU): weights 0 and 1 are the gate
// and up products of the same rows, every invocation keeps both sums, and out_0 = act(gate) · up
// (gated.comp's arithmetic on the same sums): a feed-forward's first half in one dispatch.
//
// A workgroup of 128 invocations handles 128 / tpr rows; the tpr = 2^tprLog2 invocations of a row
// stride over its units (block formats: parts of 8 elements, 4 to a group of 32; F32: elements;
// F16/BF16: words of two elements), several loads in flight per step, then reduce their partial
// sums in shared memory. Block formats decode parts as small integers and multiply by the block
// scale once per part (rawPart). The host picks tprLog2 (MatmulKernel.threadsPerRowLog2).
// Dispatch: W = sum over parts of ceil(rows_p / (128 >> tprLog2)) workgroups as
// (min(W, 65535), ceil(W / 65535), 1).

#include "include/matvec.glsl"
