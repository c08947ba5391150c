using System.Text.Json;
using Losses.Engine.Audio;

namespace Losses.Tests.Cli;

public class RenderCommandTests
{
    [Fact]
    public void Four_parts_yields_three_part_changes_four_cubic_targets_and_five_knots()
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "four.wav"), json = Path.Combine(dir, "four.json");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--summary-json", json);
        Assert.True(o.ExitCode == 0, o.Stderr);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = summary.RootElement;
        Assert.Equal(3, root.GetProperty("partChanges").GetInt32());
        Assert.Equal(4, root.GetProperty("cubicTargets").GetInt32());
        Assert.Equal(5, root.GetProperty("knotTargets").GetInt32());
        Assert.Equal(75, root.GetProperty("notes").GetInt32());
        Assert.True(root.GetProperty("gradientSteps").GetInt64() > 40);
        double duration = root.GetProperty("durationSeconds").GetDouble();
        Assert.InRange(duration, 38, 50);
        Assert.Equal([1, 2, 3, 4], root.GetProperty("partsVisited").EnumerateArray().Select(e => e.GetInt32()));

        WavData audio = WavData.Read(wav);
        Assert.Equal(48000, audio.SampleRate);
        Assert.Equal(2, audio.Channels);
        Assert.Equal(root.GetProperty("frames").GetInt64(), audio.Frames);
        Assert.Contains("4 cubic, 5 knot", o.Stdout);
    }

    [Fact]
    public void The_same_input_and_seed_give_a_byte_identical_wav_and_block_sizes_agree()
    {
        string dir = EngineCli.TempDir();
        string a = Path.Combine(dir, "a.wav"), b = Path.Combine(dir, "b.wav"), c = Path.Combine(dir, "c.wav"), d = Path.Combine(dir, "d.wav");
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", a, "--seed", "5").ExitCode);
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", b, "--seed", "5").ExitCode);
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", c, "--seed", "5", "--block", "256").ExitCode);
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", d, "--seed", "5", "--block", "32").ExitCode);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        WavData wa = WavData.Read(a);
        foreach (string other in new[] { c, d })
        {
            WavData wo = WavData.Read(other);
            Assert.Equal(wa.Frames, wo.Frames);
            for (int ch = 0; ch < 2; ch++)
                for (int i = 0; i < wa.Frames; i++)
                    if (Math.Abs(wa.Samples[ch][i] - wo.Samples[ch][i]) > 1e-6f)
                        Assert.Fail($"{Path.GetFileName(other)} differs at frame {i}");
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("truncated")]
    [InlineData("not-midi")]
    public void Bad_midi_input_gives_one_clear_line_a_failing_exit_and_no_output_file(string kind)
    {
        string dir = EngineCli.TempDir();
        string input = Path.Combine(dir, kind + ".mid");
        byte[] good = File.ReadAllBytes(TestFiles.FourParts);
        switch (kind)
        {
            case "empty": File.WriteAllBytes(input, []); break;
            case "truncated": File.WriteAllBytes(input, good.AsSpan(0, good.Length / 2).ToArray()); break;
            case "not-midi": File.WriteAllText(input, "RIFF this is not a MIDI file at all, just some text\n"); break;
        }
        string wav = Path.Combine(dir, "out.wav");
        EngineCli.Outcome o = EngineCli.Run("render", input, "-o", wav);
        AssertCleanFailure(o, dir, expectedWord: kind == "missing" ? "not found" : Path.GetFileName(input));
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--block", "0")]
    [InlineData("--block", "many")]
    [InlineData("--sample-rate", "1000")]
    [InlineData("--seed", "-1")]
    public void Unknown_or_bad_options_give_one_clear_line_and_exit_code_two(params string[] option)
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "out.wav");
        EngineCli.Outcome o = EngineCli.Run(["render", TestFiles.FourParts, "-o", wav, .. option]);
        Assert.Equal(2, o.ExitCode);
        AssertCleanFailure(o, dir, expectedWord: option[0]);
    }

    [Theory]
    [InlineData("""{ "learning": { "cubic": { "learningRat": 0.1 } } }""", "unknown key 'learning.cubic.learningRat'")]
    [InlineData("""{ "voice": { "partials": 0 } }""", "'voice.partials' = 0 is out of range")]
    [InlineData("""{ "detune": { "cubicMultiplier": "lots" } }""", "'detune.cubicMultiplier' must be a number")]
    [InlineData("""{ "learning": { "loss": "huber" } }""", "'learning.loss' must be one of")]
    [InlineData("""{ "piece": """, "not valid JSON")]
    public void A_bad_config_names_the_key_and_nothing_is_written(string json, string expectedWord)
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, json);
        string wav = Path.Combine(dir, "out.wav");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--config", config);
        AssertCleanFailure(o, dir, expectedWord, keep: "config.json");
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error()
    {
        EngineCli.Outcome o = EngineCli.Run("rendr");
        Assert.Equal(2, o.ExitCode);
        Assert.Contains("unknown command 'rendr'", o.Stderr);
    }

    /// <summary>Non-zero exit, exactly one line on stderr naming the problem, and nothing left in the folder.</summary>
    private static void AssertCleanFailure(EngineCli.Outcome o, string dir, string expectedWord, string? keep = null)
    {
        Assert.NotEqual(0, o.ExitCode);
        string[] lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{o.Stderr}");
        Assert.StartsWith("losses: ", lines[0]);
        Assert.Contains(expectedWord, lines[0]);
        string[] left = Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => f != keep && !f!.EndsWith(".mid")).ToArray()!;
        Assert.True(left.Length == 0, $"files left behind: {string.Join(", ", left)}");
    }
}
