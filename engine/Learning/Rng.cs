using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Losses.Engine.Learning;

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
    /// so a draw waits on the multiply four draws back instead of the one before, and the modulo is
    /// a multiply (Lemire's fastmod, exact for every 32-bit draw) instead of a divide.
    /// </summary>
    public void NextInts(Span<int> values, in IntRange range)
    {
        const ulong a2 = unchecked(Multiplier * Multiplier), a4 = unchecked(a2 * a2);
        ulong c = _increment, c2 = unchecked(c * (Multiplier + 1)), c4 = unchecked(c2 * (a2 + 1));
        // Locals, not the struct's fields: the loop then keeps everything in registers.
        uint limit = range.Limit, count = range.Count;
        ulong magic = range.Magic;
        int filled = 0, length = values.Length;
        ref int first = ref MemoryMarshal.GetReference(values);
        if (length >= 4)
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
