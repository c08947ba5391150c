using System.Diagnostics;
using Losses.Bench.Voices;
using Losses.Tests.Cli;

namespace Losses.Tests.Bench;

/// <summary>
/// <c>bench voices --against scsynth</c>: the real scsynth (Debian supercollider-server, the SynthDef
/// compiled by the real sclang) renders the reference voice from the score the benchmark writes, and
/// the option's bad values end in one line; and the count's own report of its tail.
/// </summary>
public class ScsynthPeerTests
{
    private const int Rate = 48000;

    [Fact]
    public void Scsynth_renders_the_reference_voice_at_the_asked_length_level_and_pitch()
    {
        const int voices = 3;
        const double seconds = 1.0;
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "scsynth.wav");
        using (Scsynth scsynth = Scsynth.Prepare())
            scsynth.Render(voices, seconds, block: 64, wav);
        WavData audio = WavData.Read(wav);

        Assert.Equal(Rate, audio.SampleRate);
        Assert.Equal(2, audio.Channels);
        Assert.Equal((int)(seconds * Rate), audio.Frames);

        // Expected from the synth's own definition, not from scsynth: Env.perc(0.1, rel, amp, −4),
        // Splay's 1/√5 level and equal-power pans at −1, −½, 0, ½, 1 (Σ gain² = 2.5 per side), voices
        // at unrelated pitches adding in power, sines averaging to ½ their peak squared.
        int from = (int)(0.2 * Rate), to = (int)(0.9 * Rate);
        double meanEnvSquared = 0, weightedEnv = 0, weights = 0;
        for (int i = from; i < to; i++)
        {
            double e = Envelope(i / (double)Rate);
            meanEnvSquared += e * e / (to - from);
            double hann = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (i - from) / (to - from));
            weightedEnv += hann * e;
            weights += hann;
        }
        double expectedRms = Scsynth.Amplitude / Math.Sqrt(5) * Math.Sqrt(voices * 2.5 / 2 * meanEnvSquared);
        for (int c = 0; c < 2; c++)
        {
            double sum = 0;
            for (int i = from; i < to; i++) sum += (double)audio.Samples[c][i] * audio.Samples[c][i];
            double rms = Math.Sqrt(sum / (to - from));
            double db = 20 * Math.Log10(rms / expectedRms);
            Assert.True(Math.Abs(db) < 0.5, $"channel {c}: RMS {rms:0.0000}, expected {expectedRms:0.0000} ({db:+0.00;-0.00} dB)");
        }

        // Voice 0's fundamental (note 36, never detuned) sits hard left at its full partial level.
        double f0 = 440 * Math.Pow(2, (LoadShape.Note(0) - 69) / 12.0);
        double re = 0, im = 0;
        for (int i = from; i < to; i++)
        {
            double hann = 0.5 - 0.5 * Math.Cos(2 * Math.PI * (i - from) / (to - from));
            double phase = 2 * Math.PI * f0 * i / Rate;
            re += hann * audio.Samples[0][i] * Math.Cos(phase);
            im += hann * audio.Samples[0][i] * Math.Sin(phase);
        }
        double amplitude = 2 * Math.Sqrt(re * re + im * im) / weights;
        double expected = Scsynth.Amplitude / Math.Sqrt(5) * weightedEnv / weights;
        double fundamentalDb = 20 * Math.Log10(amplitude / expected);
        Assert.True(Math.Abs(fundamentalDb) < 0.5, $"fundamental {f0:0.00} Hz on the left: {amplitude:0.0000}, expected {expected:0.0000} ({fundamentalDb:+0.00;-0.00} dB)");
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>SuperCollider's Env.perc(0.1, 8, 1, −4): curved segments 1 − (1 − e^(c·x)) / (1 − e^c) of their span.</summary>
    private static double Envelope(double t)
    {
        static double Curve(double x, double c) => (1 - Math.Exp(c * x)) / (1 - Math.Exp(c));
        const double attack = 0.1;
        return t < attack ? Curve(t / attack, -4) : 1 - Curve((t - attack) / Scsynth.ReleaseSeconds, -4);
    }

    [Theory]
    [InlineData("--against", "supernova")]
    [InlineData("--against")]
    [InlineData("--against", "")]
    [InlineData("--against", "scsynth", "--partials", "3")]
    public void A_bad_against_value_is_one_line_and_exit_2(params string[] options)
    {
        BenchRun r = BenchRun.Run(null, ["voices", .. options]);
        Assert.Equal(2, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("losses: bench voices: ", line);
        Assert.Contains("--against", line);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Without_scsynth_on_the_path_it_is_one_line_and_exit_1_before_any_trial()
    {
        string empty = EngineCli.TempDir();
        var watch = Stopwatch.StartNew();
        BenchRun r = BenchRun.Run(empty, ["voices", "--quick", "--against", "scsynth"]);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("losses: bench voices: --against scsynth needs scsynth and sclang", line);
        Assert.Contains("supercollider-server", line);
        Assert.Equal("", r.Stdout);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed.TotalSeconds:0} s: it benchmarked before looking for scsynth");
        Directory.Delete(empty);
    }

    [Fact]
    public void The_voice_count_reports_how_far_its_p99_block_stands_above_the_median_one_and_the_machines_own()
    {
        string dir = EngineCli.TempDir();
        string json = Path.Combine(dir, "voices.json");
        BenchRun r = BenchRun.Run(null, ["voices", "--quick", "--block", "64", "--json", json]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        System.Text.Json.JsonElement row = doc.RootElement[0];
        int voices = row.GetProperty("voices").GetInt32();
        double tail = row.GetProperty("p99OverMedian").GetDouble();
        int byMedian = row.GetProperty("voicesByMedian").GetInt32();
        double machine = row.GetProperty("machineP99OverMedian").GetDouble();
        Assert.True(voices > 0, r.Stdout);
        // One trial a point in --quick: its p99 block is at least its median one, and the budget that
        // holds the p99 at the count found holds the median there too.
        Assert.True(tail >= 1.0, $"p99/median {tail}");
        Assert.True(machine >= 1.0, $"the FMA loop's p99/median {machine}");
        Assert.True(byMedian >= voices, $"{byMedian} voices by the median, fewer than the {voices} found");
        Assert.Contains($"block 64: at {voices} voices the p99 block takes {tail:0.00}x the median one (an FMA loop in registers, as long as a block, on this machine: {machine:0.00}x); "
            + $"every block at the median's time would fit {byMedian} voices.", r.Stdout);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>The bench program, built beside the tests in the same configuration, as a process.</summary>
    private sealed record BenchRun(int ExitCode, string Stdout, string Stderr)
    {
        public static BenchRun Run(string? path, string[] args)
        {
            // bin/CONFIG/net10.0 of the tests names the configuration the bench was built in.
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string dll = Path.Combine(TestFiles.RepositoryRoot, "bench", "bin", output.Parent!.Name, output.Name, "losses-bench.dll");
            Assert.True(File.Exists(dll), $"{dll} not built");
            var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (path is not null) start.Environment["PATH"] = path;
            start.ArgumentList.Add(dll);
            foreach (string a in args) start.ArgumentList.Add(a);
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"bench {string.Join(' ', args)} did not finish");
            }
            return new BenchRun(process.ExitCode, stdout.Result, stderr.Result);
        }
    }
}
