using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Losses.Protocol.Cli;

namespace Losses.Bench.Micro;

/// <summary>
/// <c>bench micro [filter]</c>: the BenchmarkDotNet suite of the engine's hot paths, run in
/// process (no generated project to build), with the memory diagnoser so an allocation on the
/// audio path shows. The filter matches benchmark names, e.g. <c>micro Cubic</c>.
/// </summary>
internal static class MicroCommand
{
    public static Command Command()
    {
        string? filter = null;
        return new Command("bench micro", "[FILTER]", "the BenchmarkDotNet suite of the hot paths (FILTER matches benchmark names, e.g. Cubic)",
            () => Run(filter))
        {
            { "FILTER", null, "run only the benchmarks whose names contain this", r => filter = filter is null ? r.Value() : throw r.Error("one filter at most") },
        };
    }

    private static int Run(string? filter)
    {
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "losses-bench-artifacts"));
        string[] args = filter is null ? ["--filter", "*"] : ["--filter", $"*{filter}*"];
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(MicroCommand).Assembly).Run(args, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
