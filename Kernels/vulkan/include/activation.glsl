// Activation functions in f32, written to keep close to the reference's Double results:
// no cancellation near zero, no overflow into NaN for large |x|.

// tanh: a series near zero (where 1 - e^(-2|x|) would cancel), e^(-2|x|) elsewhere (it only
// underflows to 0 for large |x|, giving ±1). GLSL's tanh may be a low-precision approximation.
float stable_tanh(float x) {
    float a = abs(x);
    float r;
    if (a < 0.25) {
        // x - x³/3 + 2x⁵/15 - 17x⁷/315 + 62x⁹/2835; the next term is < 1e-8 relative here.
        float s = a * a;
        r = a * (1.0 + s * (-1.0 / 3.0 + s * (2.0 / 15.0 + s * (-17.0 / 315.0 + s * (62.0 / 2835.0)))));
    } else {
        float e = exp(-2.0 * a);
        r = (1.0 - e) / (1.0 + e);
    }
    return x < 0.0 ? -r : r;
}

// x · sigmoid(x); for very negative x, exp(-x) overflows to +inf and the result is -0.
float silu(float x) {
    return x / (1.0 + exp(-x));
}

// GELU, tanh form: 0.5·x·(1 + tanh(u)) = x · sigmoid(2u), u = sqrt(2/π)·(x + 0.044715·x³).
// The sigmoid form has no 1 + tanh(u) cancellation for negative x.
float gelu(float x) {
    const float SQRT_2_OVER_PI = 0.7978845608028654;
    float u = SQRT_2_OVER_PI * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
}
