using System.Diagnostics;
using System.Text.Json;
using Losses.Tests.Visualiser;

namespace Losses.Tests.Cli;

/// <summary>
/// The one command-line convention of the engine, the visualiser and the bench (platform/Cli):
/// help on every command, the same exit code for the same mistake, option values never taken from
/// options, JSON for scripts.
/// </summary>
public partial class CommandLineConventionTests
{
    public static TheoryData<string, string[]> Commands => new()
    {
        { "engine", ["demo"] }, { "engine", ["render"] }, { "engine", ["frames"] }, { "engine", ["watch"] }, { "engine", ["osc"] },
        { "engine", ["live"] }, { "engine", ["recover"] }, { "engine", ["devices"] }, { "engine", ["config"] }, { "engine", ["example"] },
        { "visualiser", [] },
        { "bench", ["voices"] }, { "bench", ["micro"] }, { "bench", ["ring"] }, { "bench", ["dsp"] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_prints_its_help_on_stdout_and_exits_0(string program, string[] command)
    {
        foreach (string help in new[] { "--help", "-h" })
        {
            EngineCli.Outcome o = Run(program, [.. command, help]);
            Assert.True(o.ExitCode == 0, $"{program} {string.Join(' ', command)} {help}: exit {o.ExitCode}: {o.Stderr}");
            Assert.Equal("", o.Stderr);
            string name = program switch { "visualiser" => "visualise", "bench" => "bench " + command[0], _ => command[0] };
            Assert.StartsWith($"usage: losses {name}", o.Stdout);
            Assert.Contains("-h, --help", o.Stdout);
        }
        // `help COMMAND` says the same as `COMMAND --help`.
        if (program != "visualiser")
            Assert.Equal(Run(program, [.. command, "--help"]).Stdout, Run(program, ["help", command[0]]).Stdout);
    }

    [Theory]
    [InlineData("engine", "render", "live", "osc", "recover")]
    [InlineData("bench", "voices", "micro", "ring", "dsp")]
    public void No_arguments_print_every_command_and_exit_0(string program, params string[] commands)
    {
        EngineCli.Outcome o = Run(program, []);
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal("", o.Stderr);
        Assert.StartsWith("usage: losses", o.Stdout);
        foreach (string c in commands) Assert.Matches($@"(?m)^  (bench )?{c}\b", o.Stdout);
        Assert.DoesNotContain("ring-reader", o.Stdout); // the bench's child process entry is not for people
    }

    [Fact]
    public async Task The_launcher_alone_prints_the_engine_help_and_exits_0()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestFiles.RepositoryRoot, "losses"));
        using Process launcher = Process.Start(start)!;
        Task<string> stdout = launcher.StandardOutput.ReadToEndAsync(), stderr = launcher.StandardError.ReadToEndAsync();
        Assert.True(launcher.WaitForExit(TimeSpan.FromMinutes(3)), "./losses did not finish");
        string said = await stdout;
        Assert.True(launcher.ExitCode == 0, await stderr);
        Assert.StartsWith("usage: losses <command>", said);
        Assert.Contains("run by the launcher", said);
    }

    [Fact]
    public void A_bad_LOSSES_AOT_is_one_line_and_exit_2_before_anything_is_built()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestFiles.RepositoryRoot, "losses"));
        start.ArgumentList.Add("render");
        start.ArgumentList.Add("--help");
        start.Environment["LOSSES_AOT"] = "yes";
        string line = AssertUsageError(EngineCli.Wait(start, "LOSSES_AOT=yes losses render --help"));
        Assert.Equal("losses: LOSSES_AOT='yes' is not 0 or 1: LOSSES_AOT=1 runs render and live on the NativeAOT engine", line);
    }

    [Theory]
    [InlineData("engine", "render", "--bogus")]
    [InlineData("engine", "live", "--bogus")]
    [InlineData("engine", "config", "--bogus")]
    [InlineData("visualiser", "--bogus")]
    [InlineData("bench", "voices", "--bogus")]
    [InlineData("bench", "dsp", "--bogus")]
    public void An_unknown_option_is_one_line_and_exit_2_in_every_program(string program, params string[] args)
    {
        string line = AssertUsageError(Run(program, args));
        Assert.Contains("unknown option '--bogus' (try: losses ", line);
        Assert.EndsWith(" --help)", line);
    }

    [Theory]
    [InlineData("engine", "rendr")]
    [InlineData("bench", "voice")]
    public void An_unknown_command_is_one_line_and_exit_2(string program, string command) =>
        Assert.Contains($"unknown command '{command}'", AssertUsageError(Run(program, [command])));

    [Theory]
    [InlineData("engine", "watch", "--ring", "a/b")]
    [InlineData("engine", "osc", "--to", "127.0.0.1:9000", "--ring", "a/b")]
    [InlineData("engine", "live", "--ring", "a/b")]
    [InlineData("visualiser", "--ring", "a/b")]
    public void A_bad_ring_name_is_exit_2_in_every_program(string program, params string[] args) =>
        Assert.Contains("--ring 'a/b' is not a valid ring name", AssertUsageError(Run(program, args)));

    [Theory]
    [InlineData("engine", "render: -o needs a value", "render", "IN", "-o", "--seed", "1")]
    [InlineData("engine", "render: -o needs a value", "render", "IN", "-o", "-h")]
    [InlineData("engine", "live: --record needs a value", "live", "--record", "--no-connect")]
    [InlineData("engine", "watch: --count needs a value", "watch", "--count")]
    [InlineData("visualiser", "visualise: --frames needs a value", "--frames", "--hud", "-o", "x.mp4")]
    [InlineData("bench", "bench voices: --json needs a value", "voices", "--json", "--quick")]
    [InlineData("engine", "frames: one frame log at a time ('a.frames' and 'b.frames' given)", "frames", "a.frames", "b.frames")]
    [InlineData("bench", "bench ring: --frames must be a whole number in 1..2147483647, not 'many'", "ring", "--frames", "many")]
    public void An_option_value_is_never_another_option_and_a_bad_value_is_exit_2(string program, string message, params string[] args)
    {
        string[] resolved = args.Select(a => a == "IN" ? TestFiles.FourParts : a).ToArray();
        Assert.Equal("losses: " + message, AssertUsageError(Run(program, resolved)));
    }

    [Fact]
    public void Bench_ring_json_holds_what_the_reader_measured()
    {
        string dir = EngineCli.TempDir();
        string json = Path.Combine(dir, "ring.json");
        EngineCli.Outcome o = EngineCli.RunBench("ring", "--frames", "500", "--interval-us", "200", "--json", json);
        Assert.True(o.ExitCode == 0, o.Stderr);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement r = doc.RootElement;
        Assert.Equal(500, r.GetProperty("frames").GetInt32());
        Assert.Equal(0, r.GetProperty("lost").GetInt64()); // paced at 200 µs a frame, 500 frames never lap a 4096-slot ring
        double median = r.GetProperty("medianUs").GetDouble(), p99 = r.GetProperty("p99Us").GetDouble(), max = r.GetProperty("maxUs").GetDouble();
        Assert.True(median > 0 && median <= p99 && p99 <= max, $"median {median}, p99 {p99}, max {max}");
        // The line for people says the same numbers.
        Assert.Contains(FormattableString.Invariant($"median {median:0.00} µs, p99 {p99:0.00} µs, max {max:0.00} µs over 500 frames (0 lost)"), o.Stdout);
    }

    [Fact]
    public void Bench_micro_json_has_a_row_per_benchmark_run_and_the_ratio_to_its_floor()
    {
        string json = Path.Combine(EngineCli.TempDir(), "micro.json");
        EngineCli.Outcome o = EngineCli.RunBench("micro", "RingBenchmarks", "--json", json);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(new[] { "frame publish", "frame publish + read", "plain 1048-byte copy" }.Order(StringComparer.Ordinal),
            rows.Select(r => r.GetProperty("benchmark").GetString()).Order(StringComparer.Ordinal));
        foreach (JsonElement r in rows)
        {
            Assert.True(r.GetProperty("meanNs").GetDouble() > 0, $"{r}");
            Assert.Equal(0, r.GetProperty("allocatedBytes").GetInt64()); // publishing a frame allocates nothing
        }
        double Median(string name) => rows.Single(r => r.GetProperty("benchmark").GetString() == name).GetProperty("medianNs").GetDouble();
        // The publish against its floor, from the same run's medians; only the floors whose two benchmarks ran.
        JsonElement ratio = doc.RootElement.GetProperty("ratios").EnumerateArray().Single();
        Assert.Equal("frame publish / plain copy", ratio.GetProperty("name").GetString());
        Assert.Equal(Median("frame publish") / Median("plain 1048-byte copy"), ratio.GetProperty("value").GetDouble(), 9);
        Assert.Equal(1.5, ratio.GetProperty("limit").GetDouble());
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"frame publish / plain copy: {ratio.GetProperty("value").GetDouble():0.00} (at most 1.5: "), o.Stdout);
    }

    [Fact]
    public void Bench_dsp_json_has_a_row_per_period_and_voice_count_from_the_live_engines_own_summary()
    {
        string dir = EngineCli.TempDir();
        string json = Path.Combine(dir, "dsp.json");
        EngineCli.Outcome o = EngineCli.RunBench("dsp", "--seconds", "3", "--json", json);
        Assert.True(o.ExitCode == 0, o.Stdout + o.Stderr);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal([(64, 16), (64, 64), (64, 256), (256, 16), (256, 64), (256, 256)],
            rows.Select(r => (r.GetProperty("period").GetInt32(), r.GetProperty("voices").GetInt32())));
        foreach (JsonElement r in rows)
        {
            Assert.Equal(JsonValueKind.Null, r.GetProperty("failure").ValueKind);
            int period = r.GetProperty("period").GetInt32(), voices = r.GetProperty("voices").GetInt32();
            float median = r.GetProperty("dspMedian").GetSingle(), p99 = r.GetProperty("dspP99").GetSingle(), max = r.GetProperty("dspMax").GetSingle();
            Assert.True(median > 0 && median <= p99 && p99 <= max, $"{r}");
            // An xrun is a late period: 3 s at 48 kHz hold 48000·3/period of them at most.
            long xruns = r.GetProperty("xruns").GetInt64();
            Assert.InRange(xruns, 0, 3 * 48000 / period);
            // The table for people says the same numbers.
            Assert.Contains(FormattableString.Invariant($"| {period,6} | {voices,6} | {median * 100,8:0.00}% | {p99 * 100,8:0.00}% | {max * 100,8:0.00}% | {xruns,5} |"), o.Stdout);
        }
    }

    private static EngineCli.Outcome Run(string program, string[] args) => program switch
    {
        "engine" => EngineCli.Run(args),
        "visualiser" => VisualiserKit.Run(args),
        "bench" => EngineCli.RunBench(args),
        _ => throw new ArgumentException(program),
    };

    /// <summary>One `losses:` line on stderr, nothing on stdout, exit 2; returns the line.</summary>
    private static string AssertUsageError(EngineCli.Outcome o)
    {
        string[] lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got (exit {o.ExitCode}):\n{o.Stderr}");
        Assert.StartsWith("losses: ", lines[0]);
        Assert.True(o.ExitCode == 2, $"exit {o.ExitCode}: {lines[0]}");
        Assert.Equal("", o.Stdout);
        return lines[0];
    }
}
