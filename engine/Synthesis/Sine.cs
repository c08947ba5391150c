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

    /// <summary>sin(2π·x), eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> OfCycles(Vector256<float> x) => OfCycles<Vector256<float>, Lanes256>(x);

    /// <summary>cos(2π·x) and sin(2π·x) for a wrapped phase x, eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Cos, Vector256<float> Sin) CosSinOfCycles(Vector256<float> x) => CosSinOfCycles<Vector256<float>, Lanes256>(x);

    /// <summary>Wraps a phase into [−½, ½] cycles, eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Wrap(Vector256<float> x) => Wrap<Vector256<float>, Lanes256>(x);

    // One body for every width: the same operations, so a lane's bits do not depend on the width.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector OfCycles<TVector, TLanes>(TVector x)
        where TVector : struct where TLanes : struct, ILanes<TVector>
    {
        TVector signBit = TLanes.Broadcast(-0f);
        TVector ax = TLanes.AndNot(x, signBit);
        // MinNative is one vminps; Min would add NaN and signed-zero fix-ups the folded phase never needs.
        TVector q = TLanes.MinNative(ax, TLanes.Subtract(TLanes.Broadcast(0.5f), ax));
        TVector z = TLanes.Multiply(q, TLanes.Broadcast(TwoPi));
        TVector z2 = TLanes.Multiply(z, z);
        TVector p = TLanes.Fma(z2, TLanes.Broadcast(C11), TLanes.Broadcast(C9));
        p = TLanes.Fma(z2, p, TLanes.Broadcast(C7));
        p = TLanes.Fma(z2, p, TLanes.Broadcast(C5));
        p = TLanes.Fma(z2, p, TLanes.Broadcast(C3));
        p = TLanes.Fma(z2, p, TLanes.Broadcast(1f));
        TVector s = TLanes.Multiply(z, p);
        return TLanes.Xor(s, TLanes.And(x, signBit));
    }

    /// <summary>cos(2π·x) and sin(2π·x) for a wrapped phase x (the cosine as the sine a quarter cycle on).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (TVector Cos, TVector Sin) CosSinOfCycles<TVector, TLanes>(TVector x)
        where TVector : struct where TLanes : struct, ILanes<TVector> =>
        (OfCycles<TVector, TLanes>(Wrap<TVector, TLanes>(TLanes.Add(x, TLanes.Broadcast(0.25f)))), OfCycles<TVector, TLanes>(x));

    /// <summary>Wraps a phase into [−½, ½] cycles (the oscillators' accumulated phase never drifts out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVector Wrap<TVector, TLanes>(TVector x)
        where TVector : struct where TLanes : struct, ILanes<TVector> => TLanes.Subtract(x, TLanes.Round(x));
}
