using System.Diagnostics;
using System.Globalization;
using Losses.Engine.Midi;
using Losses.Protocol;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Osc;

/// <summary>`losses osc` beside a real-time render, received by liblo's oscdump and checked against the render's frame log.</summary>
public class OscCommandTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    /// <summary>A short performance (≈ 4.5 s): part 1 with a bass note and presses (three in one instant), then a held chord in part 2.</summary>
    internal static string WritePerformance(string dir)
    {
        static long T(double seconds) => (long)Math.Round(seconds * 960); // 480 ppq at 120 bpm
        var events = new List<TickedMidiEvent>
        {
            TickedMidiEvent.NoteOn(T(0.2), 36, 90), TickedMidiEvent.NoteOff(T(0.4), 36),
        };
        double at = 0.6;
        foreach (int note in new[] { 60, 64, 67, 69 })
        {
            events.Add(TickedMidiEvent.NoteOn(T(at), note, 70 + note % 20));
            events.Add(TickedMidiEvent.NoteOff(T(at + 0.2), note));
            at += 0.3;
        }
        foreach (int note in new[] { 72, 76, 79 }) { events.Add(TickedMidiEvent.NoteOn(T(1.9), note, 100)); events.Add(TickedMidiEvent.NoteOff(T(2.1), note)); }
        events.Add(TickedMidiEvent.Control(T(2.3), 67, 127));
        events.Add(TickedMidiEvent.Control(T(2.35), 67, 0));
        foreach (int note in new[] { 48, 52, 55 }) { events.Add(TickedMidiEvent.NoteOn(T(2.6), note, 80)); events.Add(TickedMidiEvent.NoteOff(T(3.8), note)); }
        events.Add(TickedMidiEvent.NoteOn(T(3.0), 74, 99));
        events.Add(TickedMidiEvent.NoteOff(T(3.3), 74));
        string path = Path.Combine(dir, "short.mid");
        File.WriteAllBytes(path, new StandardMidiFileWriter(480, 500_000).AddTrack(events.OrderBy(e => e.Tick), "osc test", T(4.3)).ToArray(1));
        return path;
    }

    internal static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    /// <summary>Waits until a process's stderr shows a line containing <paramref name="text"/>; returns what it printed so far.</summary>
    internal static void WaitForStderr(Process p, string text, List<string> lines)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            string? line = p.StandardError.ReadLine();
            if (line is null) Assert.Fail($"the process ended before printing '{text}': {string.Join(" | ", lines)}");
            lines.Add(line);
            if (line.Contains(text, StringComparison.Ordinal)) return;
        }
        Assert.Fail($"no '{text}' within 30 s");
    }

    private sealed record Bundle(string Tag, List<(string Address, string[] Values)> Messages)
    {
        public double Seconds => Convert.ToUInt32(Tag[..8], 16) + Convert.ToUInt32(Tag[9..], 16) / 4294967296.0;
        public string[]? Find(string address) => Messages.FirstOrDefault(m => m.Address == address).Values;
        public string[] Get(string address) => Find(address) ?? throw new Xunit.Sdk.XunitException($"bundle {Tag} has no {address}");
    }

    /// <summary>
    /// oscdump's lines ("TAG ADDRESS TYPES VALUES…") grouped into bundles, in arrival order: oscdump does not
    /// mark bundles, so one ends where the time tag changes or after /losses/held (always a bundle's last message).
    /// </summary>
    private static List<Bundle> Bundles(IEnumerable<string> lines)
    {
        var bundles = new List<Bundle>();
        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            if (parts.Length < 2 || !parts[1].StartsWith("/losses/", StringComparison.Ordinal)) continue;
            if (bundles.Count == 0 || bundles[^1].Tag != parts[0] || bundles[^1].Messages[^1].Address == "/losses/held") bundles.Add(new Bundle(parts[0], []));
            bundles[^1].Messages.Add((parts[1], parts.Length > 3 ? parts[3..] : []));
        }
        return bundles;
    }

    // As C's printf("%f") prints it: the float widened to double, correctly rounded to 6 decimals.
    private static string F(float value) => ((double)value).ToString("F6", CultureInfo.InvariantCulture);

    [Fact]
    public void Every_key_press_and_step_of_a_realtime_render_reaches_oscdump_with_the_frame_logs_values()
    {
        string dir = EngineCli.TempDir();
        string midi = WritePerformance(dir);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        string log = Path.Combine(dir, "x.frames");
        using var dump = new OscDump(OscPeers.FreeUdpPort());

        using Process osc = Start("osc", "--ring", ring, "--to", $"127.0.0.1:{dump.Port}", "--rate", "30", "--once", "--timeout", "20");
        var oscLines = new List<string>();
        WaitForStderr(osc, "waiting for the engine", oscLines);
        EngineCli.Outcome render = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "x.wav"), "--ring", ring, "--realtime", "--frames", log);
        Assert.True(render.ExitCode == 0, render.Stderr);
        Assert.True(osc.WaitForExit(30_000), "osc stopped after its timeout");
        oscLines.AddRange(osc.StandardError.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        output.WriteLine(string.Join('\n', oscLines));
        Assert.Equal(0, osc.ExitCode);
        Assert.Contains(oscLines, l => l.Contains(", 0 lost;", StringComparison.Ordinal));

        List<Bundle> bundles = Bundles(dump.Drain(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20)));
        using FrameLogReader reader = FrameLogReader.Open(log);
        Frame[] frames = reader.ReadAll().ToArray();

        // Key presses: every one, in order, with its velocity.
        var expectedNotes = frames.SelectMany(f => Enumerable.Range(0, f.NoteOnCount).Select(i => $"{f.NoteOns[i].Note} {f.NoteOns[i].Velocity}")).ToList();
        var sentNotes = bundles.SelectMany(b => b.Messages.Where(m => m.Address == "/losses/note").Select(m => string.Join(' ', m.Values))).ToList();
        Assert.Equal(12, expectedNotes.Count); // bass, four presses, three at once, the chord of three, one over it
        Assert.Equal(expectedNotes, sentNotes);

        // Steps: every one, with the counts and the loss, detune and θ of the frame that made it.
        Frame[] stepped = frames.Where(f => (f.Flags & FrameFlags.Stepped) != 0).ToArray();
        Bundle[] stepBundles = bundles.Where(b => b.Find("/losses/step") is not null).ToArray();
        Assert.True(stepped.Length > 40, $"the held chord trains at the step rate ({stepped.Length} steps)");
        Assert.Equal(stepped.Length, stepBundles.Length);
        for (int i = 0; i < stepped.Length; i++)
        {
            Frame f = stepped[i];
            Bundle b = stepBundles[i];
            Assert.Equal([f.TargetSteps.ToString(CultureInfo.InvariantCulture), f.TotalSteps.ToString(CultureInfo.InvariantCulture)], b.Get("/losses/step"));
            Assert.Equal([F(f.Loss)], b.Get("/losses/loss"));
            Assert.Equal([F(f.Detune)], b.Get("/losses/detune"));
            Assert.Equal([f.Part.ToString(CultureInfo.InvariantCulture)], b.Get("/losses/part"));
            string model = f.Model == FrameModel.Knot ? "\"knot\"" : "\"cubic\"";
            Assert.Equal([model], b.Get("/losses/model"));
            int n = f.Model == FrameModel.Knot ? 3 : 4;
            Assert.Equal(Enumerable.Range(0, n).Select(k => F(f.Theta[k])), b.Get("/losses/theta"));
            Assert.Equal(Enumerable.Range(0, n).Select(k => F(f.Gradient[k])), b.Get("/losses/gradient"));
            Assert.Equal(Enumerable.Range(0, n).Select(k => F(f.Target[k])), b.Get("/losses/target"));
        }

        // Time tags are the frames' sample clock: two bundles apart by exactly their samples.
        double tagSpan = stepBundles[^1].Seconds - stepBundles[0].Seconds;
        double sampleSpan = (stepped[^1].SampleTime - stepped[0].SampleTime) / (double)Rate;
        Assert.Equal(sampleSpan, tagSpan, 5);

        // Thinned: the continuous values of frames without events went out at most 30 times a second.
        int withoutEvents = bundles.Count(b => b.Find("/losses/step") is null && b.Find("/losses/note") is null && b.Find("/losses/newtarget") is null && b.Find("/losses/loss") is not null);
        double seconds = frames[^1].SampleTime / (double)Rate;
        output.WriteLine($"{frames.Length} frames, {bundles.Count} bundles, {withoutEvents} of them thinned continuous values over {seconds:0.00} s");
        Assert.InRange(withoutEvents, 1, (int)(seconds * 30) + 2);
        Assert.True(frames.Length > 10 * bundles.Count / 2, "the thinning sent far fewer bundles than frames");
    }

    [Fact]
    public void It_follows_an_engine_that_stops_and_starts_again_and_misses_none_of_its_presses()
    {
        string dir = EngineCli.TempDir();
        string midi = WritePerformance(dir);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        using var dump = new OscDump(OscPeers.FreeUdpPort());
        using Process osc = Start("osc", "--ring", ring, "--to", $"127.0.0.1:{dump.Port}", "--timeout", "20");
        var lines = new List<string>();
        WaitForStderr(osc, "waiting for the engine", lines);
        for (int run = 0; run < 2; run++)
        {
            EngineCli.Outcome render = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "x.wav"), "--ring", ring, "--realtime", "--seed", (run + 1).ToString(CultureInfo.InvariantCulture));
            Assert.True(render.ExitCode == 0, render.Stderr);
        }
        WaitForStderr(osc, "engine restarted", lines);
        List<string> notes = dump.Drain(TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(20)).Where(l => l.Contains(" /losses/note ", StringComparison.Ordinal)).ToList();
        osc.Kill();
        output.WriteLine(string.Join('\n', lines));
        Assert.Equal(24, notes.Count); // twelve presses in each run
        Assert.Equal(2, notes.Count(l => l.EndsWith(" 36 90", StringComparison.Ordinal)));
    }
}
