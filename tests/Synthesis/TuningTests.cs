using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Midi;
using Losses.Engine.Synthesis;
using Losses.Tests.Cli;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Synthesis;

/// <summary>Tunings heard at the right pitches: each note's fundamental measured in the rendered audio.</summary>
public class TuningTests
{
    private const int Rate = 48000;

    /// <summary>The fundamental of <paramref name="note"/> played alone (a pure sine: one partial) in this tuning.</summary>
    private static double Sounding(TuningSettings tuning, int note, double expectedHz)
    {
        var config = EngineConfig.Default with { Tuning = tuning, Voice = new VoiceSettings { Partials = 1 } };
        Result r = Run([new TimedMidiEvent(0, 0x90, (byte)note, 100)], Rate, config: config);
        double search = expectedHz * (Math.Pow(2, 60 / 1200.0) - 1); // ±60 cents around the expected pitch; the note sounds alone
        return PeakFrequency(r.Left.AsSpan(Rate / 4, Rate / 2), Rate, expectedHz, search);
    }

    /// <summary>
    /// SuperCollider's named tunings from A4 = 440 Hz, at a key whose degree tells them apart (ratios
    /// from SCClassLibrary's Tuning.all, written out here): degree 6 of the 12-note ones, degree 7 of
    /// perret (19 notes), degree 9 of catler (24), and the octave 19 and 24 keys up.
    /// </summary>
    [Theory]
    [InlineData("equal", 75, 440 * 1.4142135623730951)]
    [InlineData("et12", 75, 440 * 1.4142135623730951)]
    [InlineData("just", 75, 440 * 45.0 / 32)]
    [InlineData("pythagorean", 75, 440 * 729.0 / 512)]
    [InlineData("lu", 75, 440 * 729.0 / 612)]
    [InlineData("wcHarm", 75, 440 * 11.0 / 8)]
    [InlineData("reinhard", 75, 440 * 13.0 / 9)]
    [InlineData("perret", 76, 440 * 21.0 / 16)]
    [InlineData("perret", 88, 880.0)]
    [InlineData("catler", 78, 440 * 5.0 / 4)]
    [InlineData("catler", 93, 880.0)]
    [InlineData("just", 68, 440 * 15.0 / 16)]
    public void A_named_tuning_sounds_each_key_at_its_ratio_from_the_reference(string name, int note, double expectedHz)
    {
        double hz = Sounding(new TuningSettings { Scale = name }, note, expectedHz);
        Assert.True(Math.Abs(hz - expectedHz) < 0.3, $"{name} note {note}: {hz:0.000} Hz, expected {expectedHz:0.000}");
    }

    [Fact]
    public void A_Scala_file_with_cents_ratios_and_comments_sounds_at_its_pitches_from_its_reference_note()
    {
        string dir = EngineCli.TempDir();
        string scl = Path.Combine(dir, "test.scl");
        File.WriteAllText(scl, """
            ! test.scl
            !
            A five-note test scale
             5
            !
             200.0
             5/4
             3/2 with text after the value
             1800.000
             2
            """);
        var tuning = new TuningSettings { Scale = scl, ReferenceNote = 60, ReferenceHz = 200 };
        foreach ((int note, double hz) in new[] { (60, 200.0), (61, 200 * Math.Pow(2, 200 / 1200.0)), (62, 250.0), (63, 300.0), (64, 200 * Math.Sqrt(8)), (65, 400.0), (59, 100 * Math.Sqrt(8)) })
        {
            double measured = Sounding(tuning, note, hz);
            Assert.True(Math.Abs(measured - hz) < 0.3, $"note {note}: {measured:0.000} Hz, expected {hz:0.000}");
        }
    }

    [Fact]
    public void The_detune_rides_on_the_tuned_partials()
    {
        // Just intonation from C4 = 261.6256 Hz: E4 is 5/4 of it; the first press detunes its overtones by 50 cents
        // (under Newton's descent, whose first press is the same 50 cents for every target).
        var config = EngineConfig.Default with
        {
            Tuning = new TuningSettings { Scale = "just", ReferenceNote = 60, ReferenceHz = 261.6256 },
            Learning = EngineConfig.Default.Learning with { Cubic = new CubicSettings { Descent = CubicDescent.Newton } },
        };
        Result r = Run([On(0.1, 36), On(0.5, 64)], 2 * Rate, config: config);
        double f0 = 261.6256 * 5 / 4;
        ReadOnlySpan<float> window = r.Left.AsSpan((int)(0.8 * Rate), Rate);
        Assert.True(Math.Abs(PeakFrequency(window, Rate, f0, 3) - f0) < 0.3, "the fundamental sits on the tuning");
        double second = 2 * f0 * Math.Pow(2, 50 / 1200.0);
        Assert.True(Math.Abs(PeakFrequency(window, Rate, second, 3) - second) < 0.3, "the second partial sits 50 cents above 2·f0");
    }

    [Theory]
    [InlineData("A scale\n 3\n 100.0\n seven\n 2/1\n", "line 4: 'seven' is not a pitch")]
    [InlineData("A scale\n 4\n 100.0\n 2/1\n", "4 pitches announced, 2 found")]
    [InlineData("A scale\n many\n", "line 2: the pitch count must be a whole number")]
    [InlineData("A scale\n 2\n 3/0\n 2/1\n", "line 3: '3/0' is not a pitch")]
    public void A_bad_Scala_file_is_one_line_naming_the_file_and_what_is_wrong(string text, string expected)
    {
        string dir = EngineCli.TempDir();
        File.WriteAllText(Path.Combine(dir, "bad.scl"), text);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{ "tuning": { "scale": "bad.scl" } }""");
        string wav = Path.Combine(dir, "out.wav");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--config", Path.Combine(dir, "config.json"));
        Assert.Equal(1, o.ExitCode);
        string line = Assert.Single(o.Stderr.Trim().Split('\n'));
        Assert.StartsWith("losses: ", line);
        Assert.Contains("bad.scl: " + expected, line);
        Assert.False(File.Exists(wav));
    }

    [Fact]
    public void An_unknown_tuning_name_is_one_line_listing_the_names()
    {
        var e = Assert.Throws<ConfigException>(() => EngineConfig.Parse("""{ "tuning": { "scale": "meantone" } }""", "c.json"));
        Assert.Contains("c.json: 'tuning.scale' = \"meantone\": use one of equal, et12, just", e.Message);
    }
}
