using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Losses.Engine.Synthesis;
using Losses.Platform;
using Losses.Platform.Cli;

namespace Losses.Bench.Summary;

/// <summary>
/// <c>bench summary</c>: the project's headline figures in one go — a whole-process render against real
/// time, the voice count against scsynth on both vector paths, the hot paths against their floors, and
/// the native visualiser at 1080p — each by running the command the docs name, then one Markdown table
/// with the machine it ran on. Run it on a quiet machine; it prints the load average before and after.
/// </summary>
internal static class SummaryCommand
{
    /// <summary>The parts of the summary, in the order they run.</summary>
    public static readonly string[] Parts = ["render", "aot", "voices", "micro", "visuals"];

    public static Command Command()
    {
        string? output = null, midi = null;
        bool quick = false;
        var only = new List<string>();
        return new Command("bench summary", "", "the headline figures in one go, as one Markdown table with the machine (docs/benchmarks.md)",
            () => Run(output, midi, quick, only.Count == 0 ? Parts : [.. only]))
        {
            { "-o", "FILE.md", "also write the table to this file", r => output = r.Path() },
            { "--midi", "FILE.mid", "the render's performance (default: tests/performances/four-parts.mid)", r => midi = r.Path() },
            { "--only", "render,aot,voices,micro,visuals", "run only these parts (aot: the render on the NativeAOT engine)", r => only.AddRange(PartList(r)) },
            { "--quick", "shorter runs (a smoke test of the summary, not figures)", () => quick = true },
        };
    }

    private static IEnumerable<string> PartList(OptionReader r)
    {
        string value = r.Value();
        foreach (string part in value.Split(','))
            yield return Array.IndexOf(Parts, part) >= 0 ? part : throw r.Error($"--only '{value}': each part must be one of {string.Join(", ", Parts)}");
    }

    /// <summary>One row of the table: what, the figure, the target, and the command that measures it.</summary>
    private sealed record Row(string What, string Figure, string Target, string Command);

    private static int Run(string? output, string? midi, bool quick, string[] parts)
    {
        string root = Root();
        string scratch = Directory.CreateTempSubdirectory("losses-summary-").FullName;
        try
        {
            string load = LoadAverage();
            var rows = new List<Row>();
            foreach (string part in parts)
            {
                Console.Error.WriteLine($"bench summary: {part} …");
                rows.AddRange(part switch
                {
                    "render" or "aot" => Render(root, midi ?? Path.Combine(root, "tests", "performances", "four-parts.mid"), quick ? 3 : 5, scratch, aot: part == "aot"),
                    "voices" => Voices(root, quick, scratch),
                    "micro" => Micro(root, scratch),
                    _ => Visuals(root, quick),
                });
            }
            string table = Table(rows, load, LoadAverage());
            Console.WriteLine(table);
            if (output is not null) PendingFile.WriteAllText(output, table);
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The checkout the bench runs from (bench/bin/Release/net10.0 is four folders down).</summary>
    private static string Root()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Losses.sln"))) return d.FullName;
        throw new InvalidOperationException("bench summary runs from a checkout (Losses.sln above the bench): run it as ./losses bench summary");
    }

    private static string Dll(string root, string project, string name)
    {
        string path = Path.Combine(root, project, "bin", "Release", "net10.0", name);
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is not built: run it as ./losses bench summary, which builds it");
    }

    /// <summary>Runs dotnet with <paramref name="args"/>; its output, or one line naming the command that failed.</summary>
    private static string DotNet(IDictionary<string, string>? environment, params string[] args) => Run(environment, "dotnet", args);

    private static string Run(IDictionary<string, string>? environment, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        if (environment is not null) foreach (var (k, v) in environment) start.Environment[k] = v;
        using Process p = Process.Start(start)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"bench summary: '{Path.GetFileName(program)} {string.Join(' ', args.Select(Path.GetFileName))}' failed (exit {p.ExitCode}): {error.Result.Trim().Split('\n')[^1]}");
        return text;
    }

    /// <summary>`./losses render` timed from start to exit, on the JIT engine or with LOSSES_AOT=1 on the NativeAOT one (a first run builds what is stale and warms the page cache).</summary>
    private static IEnumerable<Row> Render(string root, string midi, int runs, string scratch, bool aot)
    {
        string wav = Path.Combine(scratch, "render.wav"), launcher = Path.Combine(root, "losses");
        var environment = new Dictionary<string, string> { ["LOSSES_AOT"] = aot ? "1" : "0" };
        Run(environment, launcher, "render", midi, "-o", wav);
        var seconds = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            Run(environment, launcher, "render", midi, "-o", wav);
            seconds[i] = clock.Elapsed.TotalSeconds;
        }
        double audio = WavSeconds(wav);
        double median = Median(seconds);
        yield return new Row($"render {Path.GetFileName(midi)} ({audio:0.0} s of audio), whole process, {(aot ? "NativeAOT engine" : "JIT engine")}",
            string.Create(CultureInfo.InvariantCulture, $"{median:0.000} s, **{audio / median:0}×** real time (median of {runs}; {seconds.Min():0.000}–{seconds.Max():0.000} s)"),
            "≥ 300×", $"`{(aot ? "LOSSES_AOT=1 " : "")}./losses render {Path.GetFileName(midi)}`, timed");
    }

    private static IEnumerable<Row> Voices(string root, bool quick, string scratch)
    {
        string bench = Dll(root, "bench", "losses-bench.dll");
        // The widest path this CPU runs, then Vector256 forced; on a CPU without AVX-512 the widest is
        // Vector256 already, and it is measured once, against Vector256's target.
        var paths = VectorPath.Widest == VectorWidth.Wide512
            ? new[] { ("Vector512 (the machine's widest)", (string?)null, "≥ 30×"), ("Vector256 (forced)", "256", "≥ 25×") }
            : new[] { ("Vector256 (the machine's widest: no AVX-512)", (string?)null, "≥ 25×") };
        foreach ((string path, string? vector, string target) in paths)
        {
            string json = Path.Combine(scratch, $"voices-{vector ?? "wide"}.json");
            var args = new List<string> { bench, "voices", "--block", "64", "--against", "scsynth", "--json", json };
            if (quick) args.Add("--quick");
            DotNet(vector is null ? null : new Dictionary<string, string> { ["LOSSES_VECTOR"] = vector }, [.. args]);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement row = doc.RootElement[0];
            yield return new Row($"voices per core at 64 frames, {path}", string.Create(CultureInfo.InvariantCulture,
                $"{row.GetProperty("voices").GetInt32():N0} against scsynth's {row.GetProperty("scsynthVoices").GetInt32():N0}: **{row.GetProperty("scsynthRatio").GetDouble():0.0}×** (p99 block {row.GetProperty("p99OverMedian").GetDouble():0.00}× the median; at the median {row.GetProperty("voicesByMedian").GetInt32():N0} voices)"),
                target, $"`{(vector is null ? "" : "LOSSES_VECTOR=256 ")}./losses bench voices --block 64 --against scsynth{(quick ? " --quick" : "")}`");
        }
    }

    private static IEnumerable<Row> Micro(string root, string scratch)
    {
        string bench = Dll(root, "bench", "losses-bench.dll");
        foreach (string filter in new[] { "Ring", "Step" })
        {
            string json = Path.Combine(scratch, $"micro-{filter}.json");
            DotNet(null, bench, "micro", filter, "--json", json);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            Dictionary<string, double> medians = doc.RootElement.GetProperty("rows").EnumerateArray()
                .Where(r => r.GetProperty("medianNs").ValueKind == JsonValueKind.Number)
                .ToDictionary(r => r.GetProperty("benchmark").GetString()!, r => r.GetProperty("medianNs").GetDouble());
            foreach (JsonElement ratio in doc.RootElement.GetProperty("ratios").EnumerateArray())
            {
                string numerator = ratio.GetProperty("numerator").GetString()!, denominator = ratio.GetProperty("denominator").GetString()!;
                yield return new Row(ratio.GetProperty("name").GetString()!, string.Create(CultureInfo.InvariantCulture,
                    $"{medians[numerator]:0.0} ns / {medians[denominator]:0.0} ns = **{ratio.GetProperty("value").GetDouble():0.00}**"),
                    string.Create(CultureInfo.InvariantCulture, $"≤ {ratio.GetProperty("limit").GetDouble():0.0}"), $"`./losses bench micro {filter}`");
            }
        }
    }

    private static IEnumerable<Row> Visuals(string root, bool quick)
    {
        string visualiser = Dll(root, "visualiser", "losses-visualiser.dll");
        string text = DotNet(null, visualiser, "--bench", "--size", "1920x1080", "--feed", "1280x720", "--count", quick ? "30" : "300");
        // The visualiser's table: | part | what is drawn | median ms | p99 ms | fps (1/median) | …
        foreach (string line in text.Split('\n'))
        {
            string[] cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 6 || !int.TryParse(cells[1], out int part)) continue;
            yield return new Row($"visualiser 1920×1080, camera 1280×720 at 30 fps, part {part} ({cells[2]})",
                $"{cells[3]} ms median, **{cells[5]} fps**", "≥ 60 fps", "`./losses visualise --bench --size 1920x1080 --feed 1280x720`");
        }
    }

    private static double WavSeconds(string path)
    {
        using var file = File.OpenRead(path);
        var header = new byte[44];
        file.ReadExactly(header);
        int channels = BitConverter.ToInt16(header, 22), rate = BitConverter.ToInt32(header, 24), bits = BitConverter.ToInt16(header, 34);
        return (file.Length - 44) / (double)(rate * channels * bits / 8);
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Table(List<Row> rows, string loadBefore, string loadAfter)
    {
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine()}; .NET {Environment.Version}; load average {loadBefore} before, {loadAfter} after.");
        b.AppendLine();
        b.AppendLine("| figure | measured | target | command |");
        b.AppendLine("|---|---|---|---|");
        foreach (Row r in rows) b.AppendLine(CultureInfo.InvariantCulture, $"| {r.What} | {r.Figure} | {r.Target} | {r.Command} |");
        return b.ToString();
    }

    /// <summary>The CPU as /proc/cpuinfo names it, its cores, and the vector flags the engine's paths use.</summary>
    private static string Machine()
    {
        if (!File.Exists("/proc/cpuinfo")) return $"{Environment.ProcessorCount} cores";
        string[] lines = File.ReadAllLines("/proc/cpuinfo");
        string Field(string key) => lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        string[] flags = Field("flags").Split(' ');
        string[] shown = [.. new[] { "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq" }.Where(f => flags.Contains(f))];
        return $"{Field("model name")} (family {Field("cpu family")}, model {Field("model\t")}), {Environment.ProcessorCount} cores, {string.Join(" ", shown)}";
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
