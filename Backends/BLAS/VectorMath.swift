/// Vectorised exp, SiLU and tanh-GELU over buffers of floats, accurate to a couple of ulps: the
/// activations of a 512-token prefill are tens of millions of exps, too many for scalar libm.
enum VectorMath {
    typealias V = SIMD8<Float>

    /// e^x: x = k·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 Taylor polynomial, 2^k by exponent
    /// bits. Rounding and the integer k come from adding 1.5·2²³ (no per-lane library calls).
    @inline(__always) static func exp(_ x: V) -> V {
        let clamped = pointwiseMin(pointwiseMax(x, V(repeating: -87.3)), V(repeating: 88.7))
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let k = shifted - 12_582_912
        let integerK = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let r = clamped - k * 0.693_145_75 - k * 1.428_606_8e-6
        var p = V(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        return p * unsafeBitCast((integerK &+ 127) &<< 23, to: V.self)
    }

    @inline(__always) static func silu(_ x: V) -> V { x / (1 + exp(-x)) }

    /// GELU, tanh form: 0.5·x·(1 + tanh(y)) with y = √(2/π)(x + 0.044715x³), computed as
    /// x / (1 + e^(−2y)), which is the same value without the cancellation of 1 + tanh(y) for x ≪ 0.
    @inline(__always) static func gelu(_ x: V) -> V {
        let y = 0.797_884_56 * (x + 0.044_715 * x * x * x)
        return x / (1 + exp(-2 * y))
    }

    /// Applies `f` to `count` floats (vectorised, with a scalar tail through a padded vector).
    @inline(__always) static func map(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: V.self)
            i += 8
        }
        if i < count {
            var v = V(repeating: 0)
            for j in 0..<(count - i) { v[j] = src[i + j] }
            let r = f(v)
            for j in 0..<(count - i) { dst[i + j] = r[j] }
        }
    }

    /// Applies `f(a, b)` elementwise.
    @inline(__always) static func zip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int, _ f: (V, V) -> V) {
        var i = 0
        while i + 8 <= count {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: V.self), vb = UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(va, vb), as: V.self)
            i += 8
        }
        if i < count {
            var va = V(repeating: 0), vb = V(repeating: 0)
            for j in 0..<(count - i) { va[j] = a[i + j]; vb[j] = b[i + j] }
            let r = f(va, vb)
            for j in 0..<(count - i) { dst[i + j] = r[j] }
        }
    }

    /// Replaces x[i] by e^(x[i] − max x) and returns max x and the sum of the new values (a
    /// softmax, but for the division).
    @inline(__always) static func softmaxNumerators(_ x: UnsafeMutablePointer<Float>, _ count: Int) -> (maximum: Float, total: Float) {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, x[i]) }
        map(x, x, count) { exp($0 - maxValue) }
        var total: Float = 0
        for i in 0..<count { total += x[i] }
        return (maxValue, total)
    }

    /// y += a·x.
    @inline(__always) static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: V.self).addingProduct(a, UnsafeRawPointer(x + i).loadUnaligned(as: V.self))
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: V.self)
            i += 8
        }
        while i < count { y[i] += a * x[i]; i += 1 }
    }

    /// Σ a[i]·b[i] in Float, eight lanes.
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        // Two accumulators, fused multiply-adds.
        var acc0 = V(repeating: 0), acc1 = V(repeating: 0)
        var i = 0
        while i + 16 <= count {
            acc0 = acc0.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: V.self), UnsafeRawPointer(b + i).loadUnaligned(as: V.self))
            acc1 = acc1.addingProduct(UnsafeRawPointer(a + i + 8).loadUnaligned(as: V.self), UnsafeRawPointer(b + i + 8).loadUnaligned(as: V.self))
            i += 16
        }
        if i + 8 <= count {
            acc0 = acc0.addingProduct(UnsafeRawPointer(a + i).loadUnaligned(as: V.self), UnsafeRawPointer(b + i).loadUnaligned(as: V.self))
            i += 8
        }
        var sum = (acc0 + acc1).sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }
}
