using BenchmarkDotNet.Attributes;
using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Bench.Micro;

/// <summary>One gradient step of each model at the piece's defaults.</summary>
public class LearningBenchmarks
{
    private readonly CubicModel _cubic = new(points: 100);
    private readonly KnotModel _knot = new(batchSize: 64);
    private Rng _rng = new(7);

    [GlobalSetup]
    public void Setup()
    {
        _cubic.NewTarget(ref _rng);
        _knot.NewTarget(ref _rng);
    }

    public const string CubicName = "cubic step (100 points)", KnotName = "knot step (batch 64)";

    [Benchmark(Description = CubicName)]
    public float CubicStep() => _cubic.Step(ref _rng);

    [Benchmark(Description = KnotName)]
    public float KnotStep() => _knot.Step(ref _rng);

    /// <summary>A new knot target: the draws and the per-target sin/cos table of the step.</summary>
    [Benchmark(Description = "knot new target (table of 1001 points)")]
    public void KnotNewTarget() => _knot.NewTarget(ref _rng);
}
