#version 450
// variants: f32 f16 bf16 q4_0 q4_1 q5_0 q8_0 q4_K q6_K
#extension GL_GOOGLE_include_directive : require
// matvec over up to three weights that read the same x, or a gated pair: matvec.comp says how.
#define MATVEC_PARTS 1
#include "include/matvec.glsl"
