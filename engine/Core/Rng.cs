using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Losses.Engine.Core;

/// <summary>
/// Seeded, allocation-free random numbers (PCG32, O'Neill 2014). A value type so each
/// consumer owns an independent, reproducible stream; the same seed gives the same piece.
/// </summary>
public struct Rng
{
    private ulong _state;
    private readonly ulong _increment;

    public Rng(ulong seed, ulong stream = 0)
    {
        _state = 0;
        _increment = (stream << 1) | 1UL;
        NextUInt();
        _state += seed;
        NextUInt();
    }

    private const ulong Multiplier = 6364136223846793005UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint NextUInt()
    {
        ulong old = _state;
        _state = unchecked(old * Multiplier + _increment);
        return Output(old);
    }

    /// <summary>PCG's output of four states (the draws in the low 32 bits of each lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Output(Vector256<ulong> old)
    {
        var low = Vector256.Create(0xFFFF_FFFFUL);
        Vector256<ulong> xorShifted = (((old >> 18) ^ old) >> 27) & low;
        Vector256<ulong> rot = old >> 59;
        Vector256<ulong> left = (Vector256<ulong>.Zero - rot) & Vector256.Create(31UL);
        return (Avx2.ShiftRightLogicalVariable(xorShifted, rot) | Avx2.ShiftLeftLogicalVariable(xorShifted, left)) & low;
    }

    /// <summary>x·a + c mod 2⁶⁴ per lane, from 32-bit multiplies (AVX2 has no 64-bit one): lo·lo + (hi·lo + lo·hi)·2³².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> MultiplyAdd(Vector256<ulong> x, ulong a, ulong c)
    {
        var aLow = Vector256.Create(a).AsUInt32();
        var aHigh = Vector256.Create(a >> 32).AsUInt32();
        Vector256<ulong> lowLow = Avx2.Multiply(x.AsUInt32(), aLow);
        Vector256<ulong> cross = Avx2.Multiply((x >> 32).AsUInt32(), aLow) + Avx2.Multiply(x.AsUInt32(), aHigh);
        return lowLow + (cross << 32) + Vector256.Create(c);
    }

    /// <summary>
    /// r mod count for four draws r &lt; 2³², in double: r and q·count are exact, r/count rounds by
    /// at most 2⁻²⁰, so ⌊r·(1/count)⌋ is the quotient or one off it, and one correction each way
    /// makes the remainder exact — the same value as <see cref="IntRange.Of"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ModOf(Vector256<ulong> r, Vector256<double> counts, Vector256<double> inverse)
    {
        // r into a double exactly: its bits under 2⁵²'s exponent, minus 2⁵².
        var twoTo52 = Vector256.Create(4503599627370496.0);
        Vector256<double> d = (r | twoTo52.AsUInt64()).AsDouble() - twoTo52;
        Vector256<double> rem = d - Vector256.Floor(d * inverse) * counts;
        rem += Vector256.LessThan(rem, Vector256<double>.Zero) & counts;
        rem -= Vector256.GreaterThanOrEqual(rem, counts) & counts;
        return Avx.ConvertToVector128Int32WithTruncation(rem);
    }

    /// <summary>PCG's output: an xorshift of the old state, rotated by its top bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Output(ulong old)
    {
        uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorShifted >> rot) | (xorShifted << ((-rot) & 31));
    }

    /// <summary>Uniform in [0, 1) with 24 bits, exact in float.</summary>
    public float NextFloat() => (NextUInt() >> 8) * (1f / 16777216f);

    /// <summary>Uniform in [lo, hi).</summary>
    public float Uniform(float lo, float hi) => lo + (hi - lo) * NextFloat();

    /// <summary>Uniform integer in [lo, hi] (inclusive), unbiased by rejection.</summary>
    public int NextInt(int lo, int hi)
    {
        uint range = (uint)(hi - lo) + 1;
        uint limit = uint.MaxValue - uint.MaxValue % range;
        uint r;
        do { r = NextUInt(); } while (r >= limit);
        return lo + (int)(r % range);
    }

    /// <summary>
    /// Fills <paramref name="values"/> with draws from [0, range.Count): the same numbers, and the
    /// same state after, as <c>NextInt(0, range.Count − 1)</c> called once per value. Four draws at
    /// a time from four interleaved chains of the generator (state k+4 = A⁴·state k + c·(A+1)(A²+1)),
    /// so a draw waits on the multiply four draws back instead of the one before; with AVX2 the
    /// chains are the lanes of one vector and the modulo is exact double arithmetic, else they are
    /// scalar and the modulo a multiply (Lemire's fastmod). Never a divide.
    /// </summary>
    // Compiled once, fully, and never inlined: under tiered PGO the inlined loop ran 1.5× slower.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public void NextInts(Span<int> values, in IntRange range)
    {
        const ulong a2 = unchecked(Multiplier * Multiplier), a4 = unchecked(a2 * a2);
        ulong c = _increment, c2 = unchecked(c * (Multiplier + 1)), c4 = unchecked(c2 * (a2 + 1));
        // Locals, not the struct's fields: the loop then keeps everything in registers.
        uint limit = range.Limit, count = range.Count;
        ulong magic = range.Magic;
        int filled = 0, length = values.Length;
        ref int first = ref MemoryMarshal.GetReference(values);
        if (Avx2.IsSupported && length >= 4)
        {
            // The four chains as the lanes of one vector; the modulo in double (exact, see ModOf).
            var x = Vector256.Create(_state, unchecked(_state * Multiplier + c), unchecked(_state * a2 + c2), unchecked((_state * Multiplier + c) * a2 + c2));
            var limits = Vector256.Create((long)limit);
            var counts = Vector256.Create((double)count);
            var inverse = Vector256.Create(1.0 / count);
            while (filled + 4 <= length)
            {
                Vector256<ulong> r = Output(x);
                x = MultiplyAdd(x, a4, c4);
                if (Vector256.LessThanAll(r.AsInt64(), limits))
                {
                    ModOf(r, counts, inverse).StoreUnsafe(ref first, (nuint)filled);
                    filled += 4;
                }
                else
                {
                    // A rejected draw (rare): the group's draws in order, skipping it. At most three are
                    // kept, so the group never overshoots, and NextInt would have drawn all four too.
                    for (int k = 0; k < 4; k++)
                    {
                        uint rk = (uint)r.GetElement(k);
                        if (rk < limit) values[filled++] = IntRange.Of(rk, magic, count);
                    }
                }
            }
            _state = x.GetElement(0); // the state of the next draw
        }
        else if (length >= 4)
        {
            ulong x0 = _state, x1 = unchecked(x0 * Multiplier + c), x2 = unchecked(x0 * a2 + c2), x3 = unchecked(x1 * a2 + c2);
            while (filled + 4 <= length)
            {
                uint r0 = Output(x0), r1 = Output(x1), r2 = Output(x2), r3 = Output(x3);
                x0 = unchecked(x0 * a4 + c4);
                x1 = unchecked(x1 * a4 + c4);
                x2 = unchecked(x2 * a4 + c4);
                x3 = unchecked(x3 * a4 + c4);
                if ((r0 < limit) & (r1 < limit) & (r2 < limit) & (r3 < limit))
                {
                    ref int at = ref Unsafe.Add(ref first, filled);
                    at = IntRange.Of(r0, magic, count);
                    Unsafe.Add(ref at, 1) = IntRange.Of(r1, magic, count);
                    Unsafe.Add(ref at, 2) = IntRange.Of(r2, magic, count);
                    Unsafe.Add(ref at, 3) = IntRange.Of(r3, magic, count);
                    filled += 4;
                }
                else
                {
                    // A rejected draw (rare): the group's draws in order, skipping it. At most three are
                    // kept, so the group never overshoots, and NextInt would have drawn all four too.
                    if (r0 < limit) values[filled++] = IntRange.Of(r0, magic, count);
                    if (r1 < limit) values[filled++] = IntRange.Of(r1, magic, count);
                    if (r2 < limit) values[filled++] = IntRange.Of(r2, magic, count);
                    if (r3 < limit) values[filled++] = IntRange.Of(r3, magic, count);
                }
            }
            _state = x0; // the state of the next draw
        }
        for (; filled < length; filled++)
        {
            uint r;
            do { r = NextUInt(); } while (r >= limit);
            values[filled] = IntRange.Of(r, magic, count);
        }
    }
}

/// <summary>Draws in [0, Count), prepared once for <see cref="Rng.NextInts"/>: NextInt's rejection bound and the fastmod multiplier ⌈2⁶⁴ / Count⌉.</summary>
public readonly struct IntRange
{
    public IntRange(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = (uint)count;
        Limit = uint.MaxValue - uint.MaxValue % Count;
        Magic = ulong.MaxValue / Count + 1;
    }

    public uint Count { get; }
    internal uint Limit { get; }
    internal ulong Magic { get; }

    /// <summary>r mod count without a divide (Lemire, Kaser and Kurz 2019): the high half of (magic·r mod 2⁶⁴)·count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Of(uint r, ulong magic, uint count) =>
        Bmi2.X64.IsSupported ? (int)Bmi2.X64.MultiplyNoFlags(unchecked(magic * r), count) : (int)Math.BigMul(unchecked(magic * r), count, out _);
}
