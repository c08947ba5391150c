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

    private static int Run(string? filter, string? json)
    {
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "losses-bench-artifacts"));
        string[] args = filter is null ? ["--filter", "*"] : ["--filter", $"*{filter}*"];
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(args, config).ToArray();
        if (json is not null)
        {
            Row[] rows = summaries.SelectMany(s => s.Reports).Select(r => new Row(
                r.BenchmarkCase.Descriptor.DisplayInfo, r.BenchmarkCase.Parameters.DisplayInfo,
                r.ResultStatistics?.Mean, r.ResultStatistics?.Median, r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase))).ToArray();
            BenchJson.Write(json, rows);
        }
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
