using System.Diagnostics;
using System.Globalization;
using Losses.Protocol;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Osc;

/// <summary>`losses osc --ldd`: the original system's messages, received by oscdump on the original's two programs' ports.</summary>
public class LddMessagesTests(ITestOutputHelper output)
{
    private static string F(double value) => value.ToString("F6", CultureInfo.InvariantCulture);

    [Fact]
    public void The_original_programs_get_noteon_noteoff_the_pedal_and_detune_as_the_original_sent_them()
    {
        string dir = EngineCli.TempDir();
        string midi = OscCommandTests.WritePerformance(dir);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        string log = Path.Combine(dir, "x.frames");
        using var sclang = new OscDump(OscPeers.FreeUdpPort());
        using var app = new OscDump(OscPeers.FreeUdpPort());

        using Process osc = OscCommandTests.Start("osc", "--ring", ring, "--ldd", "--ldd-sc", $"127.0.0.1:{sclang.Port}", "--ldd-of", $"127.0.0.1:{app.Port}", "--once", "--timeout", "20");
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(osc, "waiting for the engine", lines);
        EngineCli.Outcome render = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "x.wav"), "--ring", ring, "--realtime", "--frames", log);
        Assert.True(render.ExitCode == 0, render.Stderr);
        Assert.True(osc.WaitForExit(30_000));
        output.WriteLine(osc.StandardError.ReadToEnd());

        using FrameLogReader reader = FrameLogReader.Open(log);
        Frame[] frames = reader.ReadAll().ToArray();
        string[] Values(string line) => line.Split(' ')[3..];

        // openFrameworks: presses and releases in order, and the soft pedal that changed the part.
        List<string> appLines = app.Drain(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20)).Select(l => string.Join(' ', l.Split(' ')[1..])).ToList();
        var expected = new List<string>();
        var held = new byte[128];
        foreach (Frame f in frames)
        {
            for (int note = 0; note < 128; note++)
            {
                bool again = Enumerable.Range(0, f.NoteOnCount).Any(i => f.NoteOns[i].Note == note);
                if (held[note] != 0 && (f.Velocities[note] == 0 || again)) expected.Add($"/noteoff ii {note} 0");
                held[note] = f.Velocities[note];
            }
            if ((f.Flags & FrameFlags.PartChanged) != 0) expected.AddRange(["/ccEvent iii 67 127 0", "/ccEvent iii 67 0 0"]);
            for (int i = 0; i < f.NoteOnCount; i++) expected.Add($"/noteon ii {f.NoteOns[i].Note} {f.NoteOns[i].Velocity}");
        }
        Assert.Equal(12, expected.Count(e => e.StartsWith("/noteon", StringComparison.Ordinal)));
        Assert.Equal(12, expected.Count(e => e.StartsWith("/noteoff", StringComparison.Ordinal)));
        Assert.Equal(expected, appLines);

        // sclang: /detune for each held upper note of the cubic on every press, d = the frame's detune (the engine's).
        List<string> scLines = sclang.Drain(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));
        var detunes = scLines.Where(l => l.Contains(" /detune ", StringComparison.Ordinal)).Select(l => (Tag: l.Split(' ')[0], Note: int.Parse(Values(l)[0], CultureInfo.InvariantCulture), D: Values(l)[1])).ToList();
        int checkedPresses = 0;
        foreach (Frame f in frames.Where(f => f.Model == FrameModel.Cubic && f.NoteOnCount > 0))
        {
            for (int i = 0; i < f.NoteOnCount; i++)
            {
                int note = f.NoteOns[i].Note;
                if (note < 48) continue;
                double d = f.Detune;
                Assert.Contains(detunes, m => m.Note == note && Math.Abs(double.Parse(m.D, CultureInfo.InvariantCulture) - d) < 2e-6);
                checkedPresses++;
            }
        }
        Assert.Equal(7, checkedPresses);
        Assert.All(detunes, m => Assert.InRange(m.Note, 48, 127));

        // The knot part: /detuneChord with the held bass notes while the chord is held.
        var chords = scLines.Where(l => l.Contains(" /detuneChord ", StringComparison.Ordinal)).Select(Values).ToList();
        output.WriteLine($"{detunes.Count} /detune, {chords.Count} /detuneChord");
        Assert.True(chords.Count > 20, $"{chords.Count} /detuneChord messages");
        Assert.Contains(chords, c => c[1..].SequenceEqual(["48", "52", "55"]));
        // The chord's keys arrive one by one (one frame each), so its first frames hold a part of it; −1 pads.
        string[][] allowed = [["48", "52", "55"], ["48", "52", "-1"], ["48", "-1", "-1"], ["-1", "-1", "-1"]];
        Assert.All(chords, c => Assert.Contains(allowed, a => a.SequenceEqual(c[1..])));
    }
}
