using System.Diagnostics;

namespace Losses.Engine.Live;

/// <summary>
/// Callback time as a fraction of the period, for every cycle, in a preallocated ring: the audio
/// thread stores one number per cycle; the statistics are computed off it, at the end.
/// </summary>
public sealed class DspMeter(int cycles = 1 << 20)
{
    private readonly float[] _loads = new float[cycles];
    private long _count;

    public long Cycles => Volatile.Read(ref _count);
    public float Last { get; private set; }

    /// <summary>Audio thread: records one cycle's callback time.</summary>
    public void Record(long startTimestamp, long endTimestamp, double periodSeconds)
    {
        float load = (float)((endTimestamp - startTimestamp) / (double)Stopwatch.Frequency / periodSeconds);
        _loads[_count % _loads.Length] = load;
        Last = load;
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>Median, 99th percentile and maximum of the cycles from <paramref name="fromCycle"/> to <paramref name="toCycle"/> (allocates: call off the audio thread).</summary>
    public (float Median, float P99, float Max, long Cycles) Summary(long fromCycle = 0, long toCycle = long.MaxValue)
    {
        long end = Math.Min(Cycles, toCycle);
        long start = Math.Max(fromCycle, end - _loads.Length);
        if (end <= start) return (0, 0, 0, 0);
        var values = new float[end - start];
        for (long i = start; i < end; i++) values[i - start] = _loads[i % _loads.Length];
        Array.Sort(values);
        return (values[values.Length / 2], values[Math.Min(values.Length - 1, (int)(values.Length * 0.99))], values[^1], values.Length);
    }

    /// <summary>How many of the cycles before <paramref name="toCycle"/> took longer than their period (the callback itself overran: an xrun of its own making).</summary>
    public long Overruns(long toCycle)
    {
        long end = Math.Min(Cycles, toCycle), over = 0;
        for (long i = Math.Max(0, end - _loads.Length); i < end; i++) if (_loads[i % _loads.Length] > 1f) over++;
        return over;
    }
}
