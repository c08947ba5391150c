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

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public uint NextUInt()
    {
        ulong old = _state;
        _state = unchecked(old * 6364136223846793005UL + _increment);
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
}
