using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Losses.Engine.Synthesis;

/// <summary>
/// sin(2π·x) for a phase x in cycles, |x| ≤ 0.5, by an odd Taylor polynomial of degree 11 on a
/// quarter wave (error below 1e-7). The scalar twin (tests/Synthesis/ScalarSine.cs) does the same
/// operations in the same order, so a lane of the vector equals the scalar result bit for bit.
/// </summary>
public static class Sine
{
    internal const float TwoPi = 6.28318530717958647692f;
    internal const float C3 = -1f / 6f;
    internal const float C5 = 1f / 120f;
    internal const float C7 = -1f / 5040f;
    internal const float C9 = 1f / 362880f;
    internal const float C11 = -1f / 39916800f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> OfCycles(Vector256<float> x)
    {
        Vector256<float> signBit = Vector256.Create(-0f);
        Vector256<float> ax = Vector256.AndNot(x, signBit);
        // MinNative is one vminps; Min would add NaN and signed-zero fix-ups the folded phase never needs.
        Vector256<float> q = Vector256.MinNative(ax, Vector256.Create(0.5f) - ax);
        Vector256<float> z = q * Vector256.Create(TwoPi);
        Vector256<float> z2 = z * z;
        Vector256<float> p = Vector256.FusedMultiplyAdd(z2, Vector256.Create(C11), Vector256.Create(C9));
        p = Vector256.FusedMultiplyAdd(z2, p, Vector256.Create(C7));
        p = Vector256.FusedMultiplyAdd(z2, p, Vector256.Create(C5));
        p = Vector256.FusedMultiplyAdd(z2, p, Vector256.Create(C3));
        p = Vector256.FusedMultiplyAdd(z2, p, Vector256.Create(1f));
        Vector256<float> s = z * p;
        return s ^ (x & signBit);
    }

    /// <summary>cos(2π·x) and sin(2π·x) for a wrapped phase x (the cosine as the sine a quarter cycle on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Cos, Vector256<float> Sin) CosSinOfCycles(Vector256<float> x) =>
        (OfCycles(Wrap(x + Vector256.Create(0.25f))), OfCycles(x));

    /// <summary>Wraps a phase into [−½, ½] cycles (the oscillators' accumulated phase never drifts out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Wrap(Vector256<float> x) => x - Vector256.Round(x);

    // The same for 16 lanes: the same operations, so a lane's bits do not depend on the width.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> OfCycles(Vector512<float> x)
    {
        Vector512<float> signBit = Vector512.Create(-0f);
        Vector512<float> ax = Vector512.AndNot(x, signBit);
        // MinNative is one vminps; Min would add NaN and signed-zero fix-ups the folded phase never needs.
        Vector512<float> q = Vector512.MinNative(ax, Vector512.Create(0.5f) - ax);
        Vector512<float> z = q * Vector512.Create(TwoPi);
        Vector512<float> z2 = z * z;
        Vector512<float> p = Vector512.FusedMultiplyAdd(z2, Vector512.Create(C11), Vector512.Create(C9));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(C7));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(C5));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(C3));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(1f));
        Vector512<float> s = z * p;
        return s ^ (x & signBit);
    }

    /// <summary>cos(2π·x) and sin(2π·x) for a wrapped phase x (the cosine as the sine a quarter cycle on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Cos, Vector512<float> Sin) CosSinOfCycles(Vector512<float> x) =>
        (OfCycles(Wrap(x + Vector512.Create(0.25f))), OfCycles(x));

    /// <summary>Wraps a phase into [−½, ½] cycles (the oscillators' accumulated phase never drifts out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Wrap(Vector512<float> x) => x - Vector512.Round(x);
}
