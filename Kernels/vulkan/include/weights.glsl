// Dequantization of GGUF weight rows, one format per compilation, chosen by WEIGHT_F32, WEIGHT_F16,
// WEIGHT_BF16, WEIGHT_Q4_0, WEIGHT_Q4_1, WEIGHT_Q5_0, WEIGHT_Q8_0, WEIGHT_Q4_K or WEIGHT_Q6_K.
//
// The including shader declares the weight bytes, before the #include, as
//     layout(std430, set = 0, binding = N) readonly buffer Weights { uint w_words[]; };
// (little-endian bytes in words; a row of k elements starts at byte `rowByte`, any multiple of the
// format's row size), or defines W_WORD(i), word i of the weight, to read from several buffers.
//
// Values are bit-identical to Sources/Switchyard/Quantization (ggml's dequantize_row_*): the same
// products and sums in the same order, each rounded to f32; `precise` forbids fusing q*d + m into
// an FMA where the Swift code rounds the product first.
//
// Exposed:
//   GROUP                 elements decoded together: 1 (F32, F16, BF16) or 32 (every block format;
//                         a Q4_K / Q6_K super-block of 256 is 8 groups)
//   dequantGroup(rowByte, g, v)      group g of the row into float v[GROUP]
//   weightRowBytes(k)     bytes of a row of k elements
// Block formats only, for kernels that spread a group over 4 invocations:
//   PART = 8; dequantPart(rowByte, g, p, v)  part p (0..3) of group g into float v[8], where
//   v[4h + i] is element 4 * partVec4(p, h) + i of the group (h = 0, 1; i = 0..3), so a part
//   meets the activations as two aligned vec4s.
//   rawPart(rowByte, g, p, qa, qb, a, b)   the same part as integers (exact floats) qa, qb and the
//                         block's scale a and offset b: element = a * q + b up to rounding; b = 0
//                         for Q4_0, Q5_0, Q8_0, Q6_K. For dot products that factor the scale out.
// Plain formats only:
//   wPlain(rowByte, e)    element e of the row

#ifndef W_WORD
#define W_WORD(i) w_words[i]
#endif

#if defined(WEIGHT_F32)
#define WEIGHT_PLAIN 1
const uint BLOCK_ELEMS = 1u, BLOCK_BYTES = 4u;
#elif defined(WEIGHT_F16) || defined(WEIGHT_BF16)
#define WEIGHT_PLAIN 1
const uint BLOCK_ELEMS = 1u, BLOCK_BYTES = 2u;
#elif defined(WEIGHT_Q4_0)
const uint BLOCK_ELEMS = 32u, BLOCK_BYTES = 18u;
#elif defined(WEIGHT_Q4_1)
const uint BLOCK_ELEMS = 32u, BLOCK_BYTES = 20u;
#elif defined(WEIGHT_Q5_0)
const uint BLOCK_ELEMS = 32u, BLOCK_BYTES = 22u;
#elif defined(WEIGHT_Q8_0)
const uint BLOCK_ELEMS = 32u, BLOCK_BYTES = 34u;
#elif defined(WEIGHT_Q4_K)
const uint BLOCK_ELEMS = 256u, BLOCK_BYTES = 144u;
#elif defined(WEIGHT_Q6_K)
const uint BLOCK_ELEMS = 256u, BLOCK_BYTES = 210u;
#else
#error "weights.glsl: define one WEIGHT_* format"
#endif

#ifdef WEIGHT_PLAIN
const uint GROUP = 1u;
#else
const uint GROUP = 32u;
const uint PART = 8u;
#endif

uint weightRowBytes(uint k) { return (k / BLOCK_ELEMS) * BLOCK_BYTES; }

// ---- Raw reads. Every block size is even and every 16-bit field sits at an even offset of its
// block, so 16- and 32-bit reads below only ever start at even byte offsets.

uint wByte(uint b) { return bitfieldExtract(W_WORD(b >> 2), int((b & 3u) << 3), 8); }

int wInt8(uint b) { return bitfieldExtract(int(W_WORD(b >> 2)), int((b & 3u) << 3), 8); }

// 16 bits at even byte offset b.
uint wU16(uint b) { return bitfieldExtract(W_WORD(b >> 2), int((b & 2u) << 3), 16); }

// The f16 at even byte offset b (exact: every f16, subnormals included, is a normal f32).
float wHalf(uint b) { return unpackHalf2x16(wU16(b)).x; }

// 32 bits at even byte offset b. The second word is read only when b is not word-aligned (its
// index then stays inside the field), so a field that ends a buffer is never read past.
uint wU32(uint b) {
    uint i = b >> 2;
    uint odd = (b >> 1) & 1u;
    uint lo = W_WORD(i);
    uint hi = W_WORD(i + odd);
    return odd != 0u ? (lo >> 16) | (hi << 16) : lo;
}

#ifdef WEIGHT_PLAIN

float wPlain(uint rowByte, uint e) {
#if defined(WEIGHT_F32)
    return uintBitsToFloat(W_WORD((rowByte >> 2) + e));
#elif defined(WEIGHT_F16)
    return wHalf(rowByte + 2u * e);
#else
    return uintBitsToFloat(wU16(rowByte + 2u * e) << 16);
#endif
}

void dequantGroup(uint rowByte, uint g, out float v[GROUP]) { v[0] = wPlain(rowByte, g); }

#else

#if defined(WEIGHT_Q4_0) || defined(WEIGHT_Q4_1) || defined(WEIGHT_Q5_0)
// Byte j of these formats holds elements j (low nibble) and j + 16 (high nibble): part p takes
// bytes 4p..4p+3, i.e. elements 4p..4p+3 and 16+4p..16+4p+3.
uint partVec4(uint p, uint h) { return h * 4u + p; }
#else
// Q8_0, Q4_K, Q6_K: part p is elements 8p..8p+7.
uint partVec4(uint p, uint h) { return 2u * p + h; }
#endif

uint partElement(uint p, uint i) { return 4u * partVec4(p, i >> 2) + (i & 3u); }

#if defined(WEIGHT_Q4_K)
// Sub-block j's scale d · scale_j and minimum dmin · min_j, of the super-block at word blk (f16 d,
// f16 dmin, then 12 bytes of 6-bit scales and mins packed as Sources/Switchyard/Quantization/Q4KBlock.swift says).
void q4kScaleMin(uint blk, uint j, out float scale, out float minimum) {
    vec2 dd = unpackHalf2x16(W_WORD(blk));
    uint s0 = W_WORD(blk + 1u), s1 = W_WORD(blk + 2u), s2 = W_WORD(blk + 3u);
    uint sh = 8u * (j & 3u);
    uint sc, mn;
    if (j < 4u) {
        sc = (s0 >> sh) & 63u;
        mn = (s1 >> sh) & 63u;
    } else {
        uint b = s2 >> sh;
        sc = (b & 15u) | (((s0 >> (sh + 6u)) & 3u) << 4);
        mn = ((b >> 4) & 15u) | (((s1 >> (sh + 6u)) & 3u) << 4);
    }
    scale = dd.x * float(sc);
    minimum = dd.y * float(mn);
}
#endif

void dequantPart(uint rowByte, uint g, uint p, out float v[8]) {
#if defined(WEIGHT_Q4_0)
    // f16 d, 16 bytes of nibbles; x = (q - 8) * d.
    uint blk = rowByte + g * 18u;
    float d = wHalf(blk);
    uint q = wU32(blk + 2u + 4u * p);
    for (uint i = 0u; i < 4u; i++) {
        uint byte = (q >> (8u * i)) & 0xFFu;
        v[i] = float(int(byte & 15u) - 8) * d;
        v[i + 4u] = float(int(byte >> 4) - 8) * d;
    }
#elif defined(WEIGHT_Q4_1)
    // f16 d, f16 m, 16 bytes of nibbles; x = q * d + m. Blocks are 20 bytes, so word-aligned.
    uint blk = (rowByte + g * 20u) >> 2;
    vec2 dm = unpackHalf2x16(W_WORD(blk));
    uint q = W_WORD(blk + 1u + p);
    for (uint i = 0u; i < 4u; i++) {
        uint byte = (q >> (8u * i)) & 0xFFu;
        precise float lo = float(byte & 15u) * dm.x + dm.y;
        precise float hi = float(byte >> 4) * dm.x + dm.y;
        v[i] = lo;
        v[i + 4u] = hi;
    }
#elif defined(WEIGHT_Q5_0)
    // f16 d, u32 of fifth bits, 16 bytes of nibbles; x = (q - 16) * d.
    uint blk = rowByte + g * 22u;
    float d = wHalf(blk);
    uint qh = wU32(blk + 2u);
    uint q = wU32(blk + 6u + 4u * p);
    for (uint i = 0u; i < 4u; i++) {
        uint byte = (q >> (8u * i)) & 0xFFu;
        uint j = 4u * p + i;
        uint q0 = (byte & 15u) | (((qh >> j) & 1u) << 4);
        uint q1 = (byte >> 4) | (((qh >> (j + 16u)) & 1u) << 4);
        v[i] = float(int(q0) - 16) * d;
        v[i + 4u] = float(int(q1) - 16) * d;
    }
#elif defined(WEIGHT_Q8_0)
    // f16 d, 32 int8; x = q * d.
    uint blk = rowByte + g * 34u;
    float d = wHalf(blk);
    int q0 = int(wU32(blk + 2u + 8u * p));
    int q1 = int(wU32(blk + 6u + 8u * p));
    for (uint i = 0u; i < 4u; i++) {
        v[i] = float(bitfieldExtract(q0, int(8u * i), 8)) * d;
        v[i + 4u] = float(bitfieldExtract(q1, int(8u * i), 8)) * d;
    }
#elif defined(WEIGHT_Q4_K)
    // Sub-block j of a 144-byte super-block (word-aligned): f16 d, f16 dmin, 12 bytes of packed
    // 6-bit scales and mins, 128 bytes of nibbles (sub-blocks 2i and 2i+1 share bytes 32i..32i+31).
    // x = (d * scale) * q - (dmin * min).
    uint j = g & 7u;
    uint blk = ((rowByte >> 2) + (g >> 3) * 36u);
    float d1, m1;
    q4kScaleMin(blk, j, d1, m1);
    uint qw = blk + 4u + 8u * (j >> 1) + 2u * p;
    uint nib = 4u * (j & 1u);
    uint q0 = W_WORD(qw) >> nib, q1 = W_WORD(qw + 1u) >> nib;
    for (uint i = 0u; i < 4u; i++) {
        precise float a = d1 * float((q0 >> (8u * i)) & 15u) - m1;
        precise float b = d1 * float((q1 >> (8u * i)) & 15u) - m1;
        v[i] = a;
        v[i + 4u] = b;
    }
#elif defined(WEIGHT_Q6_K)
    // Group j of a 210-byte super-block (halves h = j / 4 of 128 elements; quarter c = j % 4 of
    // a half): low nibbles from ql[64h + 32(c & 1) + l] (high nibble when c >= 2), high 2 bits from
    // qh[32h + l] >> 2c, int8 scale scales[8h + 2c + l / 16], f16 d at 208. x = (d * scale) * (q - 32).
    uint j = g & 7u, h = j >> 2, c = j & 3u;
    uint blk = rowByte + (g >> 3) * 210u;
    float d = wHalf(blk + 208u);
    float ds = d * float(wInt8(blk + 192u + 8u * h + 2u * c + (p >> 1)));
    uint lo = blk + 64u * h + 32u * (c & 1u) + 8u * p;
    uint hi = blk + 128u + 32u * h + 8u * p;
    uint ln = 4u * (c >> 1), hn = 2u * c;
    uint l0 = wU32(lo) >> ln, l1 = wU32(lo + 4u) >> ln;
    uint h0 = wU32(hi) >> hn, h1 = wU32(hi + 4u) >> hn;
    for (uint i = 0u; i < 4u; i++) {
        uint s = 8u * i;
        uint qa = ((l0 >> s) & 15u) | (((h0 >> s) & 3u) << 4);
        uint qb = ((l1 >> s) & 15u) | (((h1 >> s) & 3u) << 4);
        v[i] = ds * float(int(qa) - 32);
        v[i + 4u] = ds * float(int(qb) - 32);
    }
#endif
}

// The four bytes of m (each < 256) as floats, minus bias: 2^23 + byte is exact in the mantissa, so
// an OR and a subtraction replace a (slow) integer-to-float conversion.
vec4 bytesMinus(uint m, float bias) {
    uvec4 b = (uvec4(m) >> uvec4(0u, 8u, 16u, 24u)) & 0xFFu;
    return uintBitsToFloat(b | 0x4B000000u) - (8388608.0 + bias);
}

// Spreads bits 0..3 of x to bit 0 of bytes 0..3.
uint bitsToBytes(uint x) { return (x & 1u) | ((x & 2u) << 7) | ((x & 4u) << 14) | ((x & 8u) << 21); }

#if defined(WEIGHT_Q4_1) || defined(WEIGHT_Q4_K)
const bool RAW_OFFSET = true;
#else
const bool RAW_OFFSET = false;
#endif

void rawPart(uint rowByte, uint g, uint p, out vec4 qa, out vec4 qb, out float a, out float b) {
    b = 0.0;
#if defined(WEIGHT_Q4_0)
    uint blk = rowByte + g * 18u;
    a = wHalf(blk);
    uint q = wU32(blk + 2u + 4u * p);
    qa = bytesMinus(q & 0x0F0F0F0Fu, 8.0);
    qb = bytesMinus((q >> 4) & 0x0F0F0F0Fu, 8.0);
#elif defined(WEIGHT_Q4_1)
    uint blk = (rowByte + g * 20u) >> 2;
    vec2 dm = unpackHalf2x16(W_WORD(blk));
    uint q = W_WORD(blk + 1u + p);
    a = dm.x; b = dm.y;
    qa = bytesMinus(q & 0x0F0F0F0Fu, 0.0);
    qb = bytesMinus((q >> 4) & 0x0F0F0F0Fu, 0.0);
#elif defined(WEIGHT_Q5_0)
    uint blk = rowByte + g * 22u;
    a = wHalf(blk);
    uint qh = wU32(blk + 2u);
    uint q = wU32(blk + 6u + 4u * p);
    qa = bytesMinus((q & 0x0F0F0F0Fu) | (bitsToBytes((qh >> (4u * p)) & 15u) << 4), 16.0);
    qb = bytesMinus(((q >> 4) & 0x0F0F0F0Fu) | (bitsToBytes((qh >> (16u + 4u * p)) & 15u) << 4), 16.0);
#elif defined(WEIGHT_Q8_0)
    // Flipping the sign bit of each int8 gives q + 128 as an unsigned byte.
    uint blk = rowByte + g * 34u;
    a = wHalf(blk);
    qa = bytesMinus(wU32(blk + 2u + 8u * p) ^ 0x80808080u, 128.0);
    qb = bytesMinus(wU32(blk + 6u + 8u * p) ^ 0x80808080u, 128.0);
#elif defined(WEIGHT_Q4_K)
    uint j = g & 7u;
    uint blk = ((rowByte >> 2) + (g >> 3) * 36u);
    float minimum;
    q4kScaleMin(blk, j, a, minimum);
    b = -minimum;
    uint qw = blk + 4u + 8u * (j >> 1) + 2u * p;
    uint nib = 4u * (j & 1u);
    qa = bytesMinus((W_WORD(qw) >> nib) & 0x0F0F0F0Fu, 0.0);
    qb = bytesMinus((W_WORD(qw + 1u) >> nib) & 0x0F0F0F0Fu, 0.0);
#elif defined(WEIGHT_Q6_K)
    uint j = g & 7u, h = j >> 2, c = j & 3u;
    uint blk = rowByte + (g >> 3) * 210u;
    a = wHalf(blk + 208u) * float(wInt8(blk + 192u + 8u * h + 2u * c + (p >> 1)));
    uint lo = blk + 64u * h + 32u * (c & 1u) + 8u * p;
    uint hi = blk + 128u + 32u * h + 8u * p;
    uint ln = 4u * (c >> 1), hn = 2u * c;
    qa = bytesMinus(((wU32(lo) >> ln) & 0x0F0F0F0Fu) | (((wU32(hi) >> hn) & 0x03030303u) << 4), 32.0);
    qb = bytesMinus(((wU32(lo + 4u) >> ln) & 0x0F0F0F0Fu) | (((wU32(hi + 4u) >> hn) & 0x03030303u) << 4), 32.0);
#endif
}

void dequantGroup(uint rowByte, uint g, out float v[GROUP]) {
    for (uint p = 0u; p < 4u; p++) {
        float part[8];
        dequantPart(rowByte, g, p, part);
        for (uint i = 0u; i < 8u; i++) v[partElement(p, i)] = part[i];
    }
}

#endif
