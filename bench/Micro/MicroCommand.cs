using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Losses.Platform.Cli;

namespace Losses.Bench.Micro;

/// <summary>
/// <c>bench micro [filter] [--json FILE]</c>: the BenchmarkDotNet suite of the engine's hot paths, run in
/// process (no generated project to build), with the memory diagnoser so an allocation on the
/// audio path shows. The filter matches benchmark names, e.g. <c>micro Cubic</c>.
/// </summary>
internal static class MicroCommand
{
    public static Command Command()
    {
        string? filter = null, json = null;
        return new Command("bench micro", "[FILTER]", "the BenchmarkDotNet suite of the hot paths (FILTER matches benchmark names, e.g. Cubic)",
            () => Run(filter, json))
        {
            { "FILTER", null, "run only the benchmarks whose names contain this", r => filter = filter is null ? r.Value() : throw r.Error("one filter at most") },
            { "--json", "FILE", "also write one row per benchmark as JSON (for scripts)", r => json = r.Path() },
        };
    }

    /// <summary>One benchmark's result: times in nanoseconds per operation, allocation in bytes per operation.</summary>
    public sealed record Row(string Benchmark, string Parameters, double? MeanNs, double? MedianNs, long? AllocatedBytes);

    /// <summary>A hot path against its floor, both medians of the same run: the ratio and the most it should be.</summary>
    public sealed record Ratio(string Name, string Numerator, string Denominator, double? Value, double Limit)
    {
        public bool? Within => Value is double v ? v <= Limit : null;
    }

    /// <summary>What the JSON holds: every benchmark, then the ratios (those whose two benchmarks ran).</summary>
    public sealed record Report(Row[] Rows, Ratio[] Ratios);

    /// <summary>The hot paths' floors (docs/benchmarks.md): a publish against a plain copy of the frame, the knot's step against the cubic's.</summary>
    private static readonly (string Name, string Numerator, string Denominator, double Limit)[] Floors =
    [
        ("frame publish / plain copy", RingBenchmarks.PublishName, RingBenchmarks.FloorName, 1.5),
        ("knot step / cubic step", LearningBenchmarks.KnotName, LearningBenchmarks.CubicName, 2.5),
    ];

    private static int Run(string? filter, string? json)
    {
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "losses-bench-artifacts"));
        string[] args = filter is null ? ["--filter", "*"] : ["--filter", $"*{filter}*"];
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(args, config).ToArray();
        Row[] rows = summaries.SelectMany(s => s.Reports).Select(r => new Row(
            r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''), r.BenchmarkCase.Parameters.DisplayInfo,
            r.ResultStatistics?.Mean, r.ResultStatistics?.Median, r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase))).ToArray();
        Ratio[] ratios = Ratios(rows);
        foreach (Ratio ratio in ratios)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ratio.Name}: {ratio.Value:0.00} (at most {ratio.Limit:0.0}: {(ratio.Within == true ? "within" : "OVER")})"));
        if (json is not null) BenchJson.Write(json, new Report(rows, ratios));
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }

    /// <summary>The floors whose two benchmarks both ran (one parameter set each), by their medians.</summary>
    internal static Ratio[] Ratios(IReadOnlyList<Row> rows)
    {
        double? Median(string name) => rows.Where(r => r.Benchmark == name).Select(r => r.MedianNs).SingleOrDefault();
        return Floors
            .Where(f => rows.Any(r => r.Benchmark == f.Numerator) && rows.Any(r => r.Benchmark == f.Denominator))
            .Select(f => new Ratio(f.Name, f.Numerator, f.Denominator, Median(f.Numerator) / Median(f.Denominator), f.Limit))
            .ToArray();
    }
}
