using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Losses.Engine.Core;

namespace Losses.Engine.Learning;

/// <summary>The knot's evaluation kernels: the SinCos path and the per-target table of rows, each as a Vector256 kernel and its scalar twin.</summary>
public sealed partial class KnotModel : Model
{
    /// <summary>
    /// The per-target table: row i holds sin and cos of n·tᵢ for the three axes, from the grid's
    /// sin/cos tᵢ by the double Chebyshev recurrence (n ≤ a few dozen steps, error ~1e-15), then
    /// rounded to float. Allocation-free; about 20 µs for the default 1001 points (bench micro).
    /// </summary>
    private void Tabulate()
    {
        ReadOnlySpan<float> target = Target;
        for (int j = 0; j < Axes; j++) (_sinTarget[j], _cosTarget[j]) = Math.SinCos(target[j]);
        if (_rows == null) return;
        double[] sinT = _gridSin!, cosT = _gridCos!;
        float[] rows = _rows;
        for (int j = 0; j < Axes; j++)
        {
            int n = _n[j];
            for (int i = 0; i <= _maxIndex; i++)
            {
                // sin((k+1)t) = 2cos t·sin kt − sin((k−1)t), and the same for cos.
                double c = cosT[i], c2 = 2 * c;
                double sPrev = 0, s = sinT[i], cPrev = 1, ck = c;
                for (int k = 1; k < n; k++)
                {
                    double sNext = c2 * s - sPrev, cNext = c2 * ck - cPrev;
                    sPrev = s; s = sNext;
                    cPrev = ck; ck = cNext;
                }
                rows[i * RowWidth + 2 * j] = (float)s;
                rows[i * RowWidth + 2 * j + 1] = (float)ck;
            }
        }
    }

    // ---- The SinCos path: any t, one sin/cos of n·t per point and axis. ----

    /// <summary>Per-axis constants: cos θ, sin θ, cos θ − cos a, sin θ − sin a (differences in double).</summary>
    private void Coefficients(int j, out float cosT, out float sinT, out float dCos, out float dSin)
    {
        (double st, double ct) = Math.SinCos(Theta[j]);
        (double sa, double ca) = Math.SinCos(Target[j]);
        cosT = (float)ct;
        sinT = (float)st;
        dCos = (float)(ct - ca);
        dSin = (float)(st - sa);
    }

    private float SinCosScalar<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        float[] ts = _batch;
        int count = BatchSize;
        float l = 0f;
        for (int j = 0; j < Axes; j++)
        {
            Coefficients(j, out float cosT, out float sinT, out float dCos, out float dSin);
            float nj = _n[j];
            float gj = 0f;
            for (int i = 0; i < count; i++)
            {
                (float s, float c) = MathF.SinCos(nj * ts[i]);
                float r = c * dCos - s * dSin;
                float dm = -(s * cosT + c * sinT);
                l += TLoss.Term(r, out float w);
                gj += w * dm;
            }
            gradient[j] = gj;
        }
        return Finish<TLoss>(count, l, gradient);
    }

    private float SinCosVector<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        int count = BatchSize;
        var countV = Vector256.Create(count);
        ref float t0 = ref MemoryMarshal.GetArrayDataReference(_batch);

        Coefficients(0, out float cx, out float sx, out float dcx, out float dsx);
        Coefficients(1, out float cy, out float sy, out float dcy, out float dsy);
        Coefficients(2, out float cz, out float sz, out float dcz, out float dsz);
        var nx = Vector256.Create((float)_n[0]);
        var ny = Vector256.Create((float)_n[1]);
        var nz = Vector256.Create((float)_n[2]);
        var cxV = Vector256.Create(cx); var sxV = Vector256.Create(sx);
        var cyV = Vector256.Create(cy); var syV = Vector256.Create(sy);
        var czV = Vector256.Create(cz); var szV = Vector256.Create(sz);
        var dcxV = Vector256.Create(dcx); var dsxV = Vector256.Create(dsx);
        var dcyV = Vector256.Create(dcy); var dsyV = Vector256.Create(dsy);
        var dczV = Vector256.Create(dcz); var dszV = Vector256.Create(dsz);

        Vector256<float> l = default, gx = default, gy = default, gz = default;
        // The batch is padded to a multiple of 16 ≥ count: every load is in bounds; lanes ≥ count are masked.
        for (int i = 0; i < count; i += Vector256<float>.Count)
        {
            var t = Vector256.LoadUnsafe(ref t0, (nuint)i);
            var mask = i + Vector256<float>.Count > count
                ? Vector256.LessThan(Vector256.Create(i) + Vector256<int>.Indices, countV).AsSingle()
                : Vector256<float>.AllBitsSet;
            Axis<TLoss>(nx * t, cxV, sxV, dcxV, dsxV, mask, ref l, ref gx);
            Axis<TLoss>(ny * t, cyV, syV, dcyV, dsyV, mask, ref l, ref gy);
            Axis<TLoss>(nz * t, czV, szV, dczV, dszV, mask, ref l, ref gz);
        }
        gradient[0] = Vector256.Sum(gx);
        gradient[1] = Vector256.Sum(gy);
        gradient[2] = Vector256.Sum(gz);
        return Finish<TLoss>(count, Vector256.Sum(l), gradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axis<TLoss>(Vector256<float> u, Vector256<float> cosT, Vector256<float> sinT,
        Vector256<float> dCos, Vector256<float> dSin, Vector256<float> mask, ref Vector256<float> l, ref Vector256<float> g)
        where TLoss : struct, ILoss
    {
        (Vector256<float> s, Vector256<float> c) = Vector256.SinCos(u);
        var r = (c * dCos - s * dSin) & mask;
        var dm = -(s * cosT + c * sinT);
        l += TLoss.Term(r, out var w);
        g += w * dm;
    }

    // ---- The table path, half MSE: the minibatch's sums of squares and cross products. ----

    /// <summary>Per row lane: Σv² over the minibatch (8 lanes), then Σv·v_pair-swapped (8 lanes).</summary>
    private SumsOfRows SumsScalar()
    {
        SumsOfRows sums = default;
        float[] table = _rows!;
        for (int lane = 0; lane < RowWidth; lane++)
        {
            float squares = 0f, crosses = 0f;
            for (int i = 0; i < BatchSize; i++)
            {
                int at = _indices[i] * RowWidth;
                float v = table[at + lane];
                squares = MathF.FusedMultiplyAdd(v, v, squares);
                crosses = MathF.FusedMultiplyAdd(v, table[at + (lane ^ 1)], crosses);
            }
            sums[lane] = squares;
            sums[RowWidth + lane] = crosses;
        }
        return sums;
    }

    /// <summary>The same sums, a row per point; four accumulators keep the loop-carried adds from bounding the loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SumsOfRows SumsVector()
    {
        ref float table = ref MemoryMarshal.GetArrayDataReference(_rows!);
        ref int first = ref MemoryMarshal.GetArrayDataReference(_indices);
        int count = BatchSize;
        Vector256<float> sq0 = default, sq1 = default, sq2 = default, sq3 = default;
        Vector256<float> cr0 = default, cr1 = default, cr2 = default, cr3 = default;
        int k = 0;
        for (; k + 4 <= count; k += 4)
        {
            Accumulate(ref table, Unsafe.Add(ref first, k), ref sq0, ref cr0);
            Accumulate(ref table, Unsafe.Add(ref first, k + 1), ref sq1, ref cr1);
            Accumulate(ref table, Unsafe.Add(ref first, k + 2), ref sq2, ref cr2);
            Accumulate(ref table, Unsafe.Add(ref first, k + 3), ref sq3, ref cr3);
        }
        for (; k < count; k++) Accumulate(ref table, Unsafe.Add(ref first, k), ref sq0, ref cr0);
        SumsOfRows sums = default;
        ((sq0 + sq1) + (sq2 + sq3)).CopyTo(sums);
        ((cr0 + cr1) + (cr2 + cr3)).CopyTo(((Span<float>)sums)[RowWidth..]);
        return sums;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref float table, int index, ref Vector256<float> squares, ref Vector256<float> crosses)
    {
        var v = Vector256.LoadUnsafe(ref table, (nuint)index * RowWidth);
        squares = Vector256.FusedMultiplyAdd(v, v, squares);
        crosses = Vector256.FusedMultiplyAdd(v, SwapPairs(v), crosses);
    }

    /// <summary>
    /// Half MSE from the minibatch's sums per axis — Σsin², Σcos² (lanes 2j, 2j+1 of the squares)
    /// and Σsin·cos (lane 2j of the crosses): with dC = cos θ − cos a, dS = sin θ − sin a,
    /// Σr² = dC²·Σc² + dS²·Σs² − 2·dC·dS·Σsc and Σr·∂model/∂θ = −(dC·sin θ·Σc² − dS·cos θ·Σs²
    /// + (dC·cos θ − dS·sin θ)·Σsc). Both are positive semi-definite forms of (dC, dS) on a
    /// well-conditioned 2×2 matrix of sums, so nothing large cancels as θ → a; the combination
    /// runs in double.
    /// </summary>
    private float FromSums(SumsOfRows sums, Span<float> gradient)
    {
        ReadOnlySpan<float> all = sums;
        (Vector256<double> sinTheta, Vector256<double> cosTheta) = SinCosOfTheta();
        double l = 0;
        double inv = 1.0 / (BatchSize * AxisDivisor);
        for (int j = 0; j < Axes; j++)
        {
            double st = sinTheta.GetElement(j), ct = cosTheta.GetElement(j);
            double dC = ct - _cosTarget[j], dS = st - _sinTarget[j];
            double ss = all[2 * j], cc = all[2 * j + 1], sc = all[RowWidth + 2 * j];
            l += dC * dC * cc + dS * dS * ss - 2 * dC * dS * sc;
            gradient[j] = (float)(-(dC * st * cc - dS * ct * ss + (dC * ct - dS * st) * sc) * inv);
        }
        return (float)(0.5 * Math.Max(0, l) * inv);
    }

    // ---- The table path, any other loss: residual and gradient term per row. ----

    /// <summary>
    /// Row constants: R = ⟨−(sin θ − sin a), cos θ − cos a⟩ and D = ⟨−cos θ, −sin θ⟩ per axis
    /// pair, so with a row v: r = v₀R₀ + v₁R₁ and ∂model/∂θ = v₀D₀ + v₁D₁ (the pad lanes are 0).
    /// </summary>
    private SumsOfRows RowCoefficients()
    {
        SumsOfRows coefficients = default;
        (Vector256<double> sinTheta, Vector256<double> cosTheta) = SinCosOfTheta();
        for (int j = 0; j < Axes; j++)
        {
            double st = sinTheta.GetElement(j), ct = cosTheta.GetElement(j);
            coefficients[2 * j] = -(float)(st - _sinTarget[j]);
            coefficients[2 * j + 1] = (float)(ct - _cosTarget[j]);
            coefficients[RowWidth + 2 * j] = -(float)ct;
            coefficients[RowWidth + 2 * j + 1] = -(float)st;
        }
        return coefficients;
    }

    private float RowsScalar<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        SumsOfRows coefficients = RowCoefficients();
        float[] rows = _rows!;
        float l = 0f;
        for (int j = 0; j < Axes; j++)
        {
            float r0 = coefficients[2 * j], r1 = coefficients[2 * j + 1];
            float d0 = coefficients[RowWidth + 2 * j], d1 = coefficients[RowWidth + 2 * j + 1];
            float gj = 0f;
            for (int i = 0; i < BatchSize; i++)
            {
                int at = _indices[i] * RowWidth + 2 * j;
                float s = rows[at], c = rows[at + 1];
                // The vector path's products and sums, in the same order per element.
                float r = s * r0 + c * r1;
                float dm = s * d0 + c * d1;
                l += TLoss.Term(r, out float w);
                gj += w * dm;
            }
            gradient[j] = gj;
        }
        return Finish<TLoss>(BatchSize, l, gradient);
    }

    /// <summary>
    /// One row per point: both lanes of an axis pair end up holding that axis's r and ∂model/∂θ
    /// (a product, then a sum with the pair-swapped product), so lanes 0, 2, 4 carry the sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float RowsVector<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        SumsOfRows coefficients = RowCoefficients();
        ReadOnlySpan<float> all = coefficients;
        var rc = Vector256.Create<float>(all[..RowWidth]);
        var dc = Vector256.Create<float>(all[RowWidth..]);
        ref float rows = ref MemoryMarshal.GetArrayDataReference(_rows!);
        ref int index0 = ref MemoryMarshal.GetArrayDataReference(_indices);
        int count = BatchSize;

        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
        int i = 0;
        for (; i + 4 <= count; i += 4)
        {
            l0 += Row<TLoss>(ref rows, Unsafe.Add(ref index0, i), rc, dc, out var w0);
            l1 += Row<TLoss>(ref rows, Unsafe.Add(ref index0, i + 1), rc, dc, out var w1);
            l2 += Row<TLoss>(ref rows, Unsafe.Add(ref index0, i + 2), rc, dc, out var w2);
            l3 += Row<TLoss>(ref rows, Unsafe.Add(ref index0, i + 3), rc, dc, out var w3);
            g0 += w0; g1 += w1; g2 += w2; g3 += w3;
        }
        for (; i < count; i++)
        {
            l0 += Row<TLoss>(ref rows, Unsafe.Add(ref index0, i), rc, dc, out var w0);
            g0 += w0;
        }
        var l = (l0 + l1) + (l2 + l3);
        var g = (g0 + g1) + (g2 + g3);
        gradient[0] = g.GetElement(0);
        gradient[1] = g.GetElement(2);
        gradient[2] = g.GetElement(4);
        return Finish<TLoss>(count, l.GetElement(0) + l.GetElement(2) + l.GetElement(4), gradient);
    }

    /// <summary>The loss terms of one row; gives the weighted ∂model/∂θ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row<TLoss>(ref float rows, int index, Vector256<float> rc, Vector256<float> dc,
        out Vector256<float> gradientTerm) where TLoss : struct, ILoss
    {
        var v = Vector256.LoadUnsafe(ref rows, (nuint)index * RowWidth);
        var p = v * rc;
        var q = v * dc;
        var term = TLoss.Term(p + SwapPairs(p), out var w);
        gradientTerm = w * (q + SwapPairs(q));
        return term;
    }

    /// <summary>sin and cos of the three θ in one vector call (≈ 40 ns; three Math.SinCos cost 60–120 ns here).</summary>
    private (Vector256<double> Sin, Vector256<double> Cos) SinCosOfTheta()
    {
        ReadOnlySpan<float> theta = Theta;
        return Vector256.SinCos(Vector256.Create(theta[0], theta[1], theta[2], 0.0));
    }

    /// <summary>⟨v₁, v₀, v₃, v₂, …⟩: one in-lane permute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SwapPairs(Vector256<float> v) =>
        Avx.IsSupported ? Avx.Permute(v, 0b10_11_00_01) : Vector256.Shuffle(v, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6));

    /// <summary>Turns sums into means over count × 3 elements; the gradient span holds the raw sums.</summary>
    private float Finish<TLoss>(int count, float l, Span<float> gradient) where TLoss : struct, ILoss
    {
        float inv = 1f / (count * AxisDivisor);
        for (int j = 0; j < Axes; j++) gradient[j] *= inv;
        return TLoss.Mean(l, inv);
    }

    /// <summary>Two rows' worth of floats on the stack: sums of squares and crosses, or the row constants R and D.</summary>
    [InlineArray(2 * RowWidth)]
    private struct SumsOfRows { private float _element; }
}
