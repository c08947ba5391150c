using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Losses.Bench.Voices;

/// <summary>
/// The machine's own tail: eight independent chains of fused multiply-adds in registers — no memory,
/// no branches but the loop's, the same instructions every time — timed in chunks as long as a
/// block. Whatever spread its chunk times have comes from the machine (other jobs, the hypervisor,
/// the clock), not from the code, so its p99 over its median is the floor a block's can be held to.
/// </summary>
internal static class MachineTail
{
    /// <summary>The median over <paramref name="repeats"/> trials of the p99 chunk time over the median one, for chunks of about <paramref name="chunkNs"/>.</summary>
    public static double P99OverMedian(double chunkNs, double seconds, int repeats)
    {
        long iterations = Calibrate(chunkNs);
        int warmup = 20, measured = Math.Max(50, (int)(seconds * 1e9 / chunkNs));
        var ratios = new List<double>();
        var times = new long[measured];
        for (int r = 0; r < repeats; r++)
        {
            for (int b = -warmup; b < measured; b++)
            {
                long start = Stopwatch.GetTimestamp();
                Sink = Spin(iterations);
                long elapsed = Stopwatch.GetTimestamp() - start;
                if (b >= 0) times[b] = elapsed;
            }
            Array.Sort(times);
            ratios.Add((double)times[(int)Math.Ceiling(0.99 * measured) - 1] / times[measured / 2]);
        }
        ratios.Sort();
        return ratios[ratios.Count / 2];
    }

    /// <summary>Keeps the chains' result alive, so the loop is not optimised away.</summary>
    public static float Sink { get; private set; }

    /// <summary>Iterations of <see cref="Spin"/> that take about <paramref name="chunkNs"/>: the fastest of a few timings, scaled.</summary>
    private static long Calibrate(double chunkNs)
    {
        const long probe = 20_000;
        long best = long.MaxValue;
        for (int i = 0; i < 10; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Sink = Spin(probe);
            best = Math.Min(best, Stopwatch.GetTimestamp() - start);
        }
        double nsPerIteration = best * 1e9 / Stopwatch.Frequency / probe;
        return Math.Max(1, (long)(chunkNs / nsPerIteration));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Spin(long iterations)
    {
        // x ← x·m + c converges to c / (1 − m) = 1: no overflow, no denormals, however long it runs.
        Vector256<float> m = Vector256.Create(0.9999999f), c = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(1.0f), a1 = Vector256.Create(1.1f), a2 = Vector256.Create(1.2f), a3 = Vector256.Create(1.3f);
        Vector256<float> a4 = Vector256.Create(1.4f), a5 = Vector256.Create(1.5f), a6 = Vector256.Create(1.6f), a7 = Vector256.Create(1.7f);
        for (long k = 0; k < iterations; k++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
        }
        return Vector256.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
    }
}
