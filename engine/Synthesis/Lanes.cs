using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Engine.Synthesis;

/// <summary>
/// The vector operations the voice bank's render kernel needs, as static members of a struct, so
/// the one kernel compiles once per width (TensorPrimitives' operator pattern): <see cref="Lanes256"/>
/// (AVX2, 8 voices a vector) and <see cref="Lanes512"/> (AVX-512, 16 voices). Every operation is
/// element-wise IEEE arithmetic, so a lane computes the same bits at either width.
/// </summary>
internal interface ILanes<TVector> where TVector : struct
{
    static abstract int Count { get; }
    static abstract TVector Load(ref float at);
    static abstract void Store(TVector value, ref float at);
    static abstract TVector Broadcast(float value);
    static abstract TVector Add(TVector a, TVector b);
    static abstract TVector Subtract(TVector a, TVector b);
    static abstract TVector Multiply(TVector a, TVector b);
    /// <summary>a·b + c, one rounding.</summary>
    static abstract TVector Fma(TVector a, TVector b, TVector c);
    /// <summary>a·b − c, one rounding.</summary>
    static abstract TVector Fms(TVector a, TVector b, TVector c);
    /// <summary>Clamps to [0, 1] (one vminps, one vmaxps: the envelope never holds NaN).</summary>
    static abstract TVector ClampUnit(TVector value);
    static abstract TVector Divide(TVector a, TVector b);
    static abstract TVector And(TVector a, TVector b);
    static abstract TVector Xor(TVector a, TVector b);
    /// <summary>a AND NOT b.</summary>
    static abstract TVector AndNot(TVector a, TVector b);
    /// <summary>IEEE minimum (NaN and −0 handled).</summary>
    static abstract TVector Min(TVector a, TVector b);
    /// <summary>One vminps: for values that are never NaN and whose zeros' signs do not matter.</summary>
    static abstract TVector MinNative(TVector a, TVector b);
    /// <summary>Rounds to the nearest integer, ties to even.</summary>
    static abstract TVector Round(TVector value);
    static abstract TVector Abs(TVector value);
    /// <summary>All bits set in the lanes where a &lt; b.</summary>
    static abstract TVector LessThan(TVector a, TVector b);
    /// <summary>All bits set in the lanes where a &gt; b.</summary>
    static abstract TVector GreaterThan(TVector a, TVector b);
    /// <summary>a where the mask is set, else b (bitwise).</summary>
    static abstract TVector Select(TVector mask, TVector a, TVector b);
}

internal readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ref float at) => Vector256.LoadUnsafe(ref at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, ref float at) => value.StoreUnsafe(ref at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fms(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplySubtract(a, b, c) : Vector256.FusedMultiplyAdd(a, b, -c); // one vfmsub, not a negation and an FMA
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ClampUnit(Vector256<float> value) =>
        Vector256.MaxNative(Vector256.MinNative(value, Vector256<float>.One), Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MinNative(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> value) => Vector256.Round(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Abs(Vector256<float> value) => Vector256.Abs(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
}

internal readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ref float at) => Vector512.LoadUnsafe(ref at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> value, ref float at) => value.StoreUnsafe(ref at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fms(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplySubtract(a, b, c) : Vector512.FusedMultiplyAdd(a, b, -c); // one vfmsub, not a negation and an FMA
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ClampUnit(Vector512<float> value) =>
        Vector512.MaxNative(Vector512.MinNative(value, Vector512<float>.One), Vector512<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Xor(Vector512<float> a, Vector512<float> b) => a ^ b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MinNative(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> value) => Vector512.Round(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Abs(Vector512<float> value) => Vector512.Abs(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);
}

/// <summary>Which render kernel the voice bank runs: 8 voices a vector (AVX2) or 16 (AVX-512).</summary>
public enum VectorWidth
{
    Narrow256 = 256,
    Wide512 = 512,
}

/// <summary>
/// The vector width, chosen once per process: Vector512 where the CPU accelerates it, else
/// Vector256; the environment variable <c>LOSSES_VECTOR</c> = <c>256</c> forces the narrow path
/// (<c>512</c> forces the wide one, emulated where the CPU lacks AVX-512; <c>auto</c> or unset
/// chooses). Both paths give the same bits (VoiceBankPathTests).
/// </summary>
public static class VectorPath
{
    public const string Variable = "LOSSES_VECTOR";

    /// <summary>The width every voice bank of this process uses unless told otherwise.</summary>
    public static VectorWidth Chosen { get; } = Choose(Environment.GetEnvironmentVariable(Variable)) ?? Widest;

    /// <summary>The widest path this CPU runs in hardware.</summary>
    public static VectorWidth Widest => Vector512.IsHardwareAccelerated ? VectorWidth.Wide512 : VectorWidth.Narrow256;

    /// <summary>Null when the variable's value is not one of 256, 512, auto (or unset).</summary>
    public static VectorWidth? Choose(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => Widest,
        "256" => VectorWidth.Narrow256,
        "512" => VectorWidth.Wide512,
        _ => null,
    };

    /// <summary>One line for a bad <c>LOSSES_VECTOR</c>, else null.</summary>
    public static string? Problem()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        return Choose(value) is null ? $"{Variable}='{value}' is not a vector width: use 256 (the AVX2 path), 512 (AVX-512) or auto" : null;
    }

    /// <summary>How the chosen path reads in a benchmark's header or a log.</summary>
    public static string Describe(VectorWidth width) => width == VectorWidth.Wide512
        ? (Vector512.IsHardwareAccelerated ? "Vector512 (AVX-512)" : "Vector512 (emulated: this CPU has no AVX-512)")
        : "Vector256 (AVX2)";
}
