using BenchmarkDotNet.Attributes;
using Losses.Engine.Audio;
using Losses.Reference;

namespace Losses.Bench.Micro;

/// <summary>
/// The render's loudness meter (K-weighted energy and the 4× true-peak interpolator) over 10 s of
/// stereo at 48 kHz fed in 64-sample blocks, as the offline renderer feeds it: the engine's block
/// meter against its scalar reference (tests/Reference/ScalarLoudnessMeter.cs, the same bits).
/// The signal swells from quiet to its loudest and back, as a piece does, so the groups of points
/// the meter passes over (those that cannot raise the peak) are a piece's share, not all or none.
/// </summary>
public class LoudnessBenchmarks
{
    private const int Rate = 48000, Block = 64;
    private readonly float[] _left = new float[10 * Rate], _right = new float[10 * Rate];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (int i = 0; i < _left.Length; i++)
        {
            double swell = 0.05 + 0.6 * Math.Pow(Math.Sin(Math.PI * i / _left.Length), 4);
            _left[i] = (float)(swell * (0.6 * Math.Sin(i * 0.037) + 0.3 * Math.Sin(i * 0.21) + 0.1 * (random.NextDouble() - 0.5)));
            _right[i] = (float)(swell * (0.5 * Math.Sin(i * 0.029 + 1) + 0.4 * Math.Sin(i * 0.33)));
        }
    }

    [Benchmark(Baseline = true, Description = "LoudnessMeter, 10 s stereo in 64-sample blocks")]
    public double Meter()
    {
        var meter = new LoudnessMeter(Rate);
        for (int at = 0; at < _left.Length; at += Block) meter.Add(_left.AsSpan(at, Block), _right.AsSpan(at, Block));
        return meter.TruePeakDbtp + (meter.IntegratedLufs ?? 0);
    }

    [Benchmark(Description = "ScalarLoudnessMeter (reference), the same")]
    public double Scalar()
    {
        var meter = new ScalarLoudnessMeter(Rate);
        for (int at = 0; at < _left.Length; at += Block) meter.Add(_left.AsSpan(at, Block), _right.AsSpan(at, Block));
        return meter.TruePeakDbtp + (meter.IntegratedLufs ?? 0);
    }
}
