using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Losses.Engine.Midi;
using Losses.Engine.Audio;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Live;
using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>
/// jalv (Debian's reference LV2 host) runs the bundle as a JACK client on the tests' own dummy
/// server; a second JACK client plays four-parts.mid into it and records what it sounds, a ring
/// reader follows its frames, and jalv's console reads its output ports.
/// </summary>
[Collection("jack")]
public partial class JalvTests(JackServer server, ITestOutputHelper output)
{
    private const int Rate = 48000, Period = 64;
    private readonly JackServer _server = server;

    [Fact]
    public void Jalv_plays_four_parts_identically_to_the_offline_render_frames_reach_the_ring_and_run_allocates_nothing()
    {
        Dictionary<string, float> monitors = PlayThroughJalv(new JalvSet(TestFiles.FourParts, Seed: 5, MinSeconds: 30));
        Assert.Equal(4f, monitors["current_part"]);
        Assert.Equal(0f, monitors["allocated_bytes"]);
    }

    /// <summary>A state folder (an LV2 preset as `losses plugin-preset` writes it) that jalv loads with -l before it activates the plugin.</summary>
    [Fact]
    public void Jalv_loads_a_saved_config_with_l_and_plays_as_the_render_with_that_config()
    {
        string bundle = Path.Combine(EngineCli.TempDir(), "losses-state.lv2");
        EngineCli.Outcome w = EngineCli.Run("plugin-preset", "state", "--config", StateTests.ConfigFile, "-o", bundle);
        Assert.True(w.ExitCode == 0, w.Stderr);
        Dictionary<string, float> monitors = PlayThroughJalv(new JalvSet(PlayedSet.File, PlayedSet.Seed, MinSeconds: 1, Config: StateTests.ConfigFile, Load: bundle));
        Assert.Equal(0f, monitors["allocated_bytes"]);
    }

    /// <summary>
    /// jalv's console applies a preset while the plugin runs; the plugin declares state:threadSafeRestore,
    /// so jalv restores on its own thread while JACK's calls run(): the new config takes over between blocks.
    /// </summary>
    [Fact]
    public void Jalv_applies_a_config_preset_while_running_and_plays_as_the_render_with_that_config_from_the_next_block()
    {
        string presets = Path.Combine(EngineCli.TempDir(), "presets");
        string bundle = Path.Combine(presets, "losses-stage.lv2");
        EngineCli.Outcome w = EngineCli.Run("plugin-preset", "stage", "--config", StateTests.ConfigFile, "-o", bundle);
        Assert.True(w.ExitCode == 0, w.Stderr);
        string uri = new Uri(Path.Combine(bundle, "state.ttl")).AbsoluteUri;
        // jalv 1.6's console reads a preset's file when "presets" lists them, not on "preset URI" alone.
        Dictionary<string, float> monitors = PlayThroughJalv(new JalvSet(PlayedSet.File, PlayedSet.Seed, MinSeconds: 1, Config: StateTests.ConfigFile,
            Lv2Path: presets, ConsoleBeforePlay: $"presets\npreset {uri}"));
        Assert.Equal(0f, monitors["allocated_bytes"]);
    }

    /// <summary>
    /// A performance for jalv: the MIDI file and seed; optionally a config the plugin gets from a
    /// state (<paramref name="Load"/>: jalv -l; <paramref name="ConsoleBeforePlay"/>: a console command
    /// once it runs, from presets under <paramref name="Lv2Path"/>) and the render compares with.
    /// </summary>
    private sealed record JalvSet(string Midi, ulong Seed, int MinSeconds, string? Config = null, string? Load = null, string? Lv2Path = null, string? ConsoleBeforePlay = null);

    /// <summary>
    /// Plays the set into jalv from a JACK client and records it; asserts that every message reached
    /// the plugin in order, that its output equals `./losses render` of what it heard (with the set's
    /// config) cycle for cycle, and that the ring carried the offline frames; returns jalv's monitors.
    /// </summary>
    private Dictionary<string, float> PlayThroughJalv(JalvSet set)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return PlayOnce(set); }
            catch (LostToXrunsException e) when (attempt < 3)
            {
                output.WriteLine($"{e.Message}: JACK drops or repeats the MIDI of a cycle a client missed, so the set is played again ({attempt} of 2)");
            }
        }
    }

    /// <summary>A message lost or repeated between the test's piano and the plugin in a set the JACK server reported xruns in.</summary>
    private sealed class LostToXrunsException(string message) : Exception(message);

    private Dictionary<string, float> PlayOnce(JalvSet set)
    {
        string dir = EngineCli.TempDir();
        string client = "losses-p" + Guid.NewGuid().ToString("N")[..6];
        int ringNumber = 2 + Environment.ProcessId % 60; // a ring of this run's own: one writer per ring
        string ring = $"losses-plugin-{ringNumber}";
        FrameRingWriter.Delete(ring);
        using var piano = new JackTestClient(client + "-piano");
        using var recorder = new JackTestClient(client + "-rec");
        piano.Start();
        recorder.Start();
        string mid = Path.Combine(dir, "heard.mid");
        using Process jalv = StartJalv(client, new() { ["LOSSES_PLUGIN_MIDI_LOG"] = mid }, set, $"ring={ringNumber}", $"seed={set.Seed}");
        // Room for the whole set at once (≈ 750 frames a second): a list growing by copies of 1 KB frames
        // under a loaded machine kept the follower away from the ring long enough to lose frames to a lap.
        var frames = new List<Frame>(capacity: (set.MinSeconds + 60) * 800);
        using var follow = new RingFollower(ring, frames);
        WaitForPort(piano, client);
        if (set.ConsoleBeforePlay is not null)
        {
            jalv.StandardInput.WriteLine(set.ConsoleBeforePlay);
            jalv.StandardInput.Flush();
            Thread.Sleep(500); // the restore, then the swap at the next block
        }
        piano.PlayInto(client);
        recorder.RecordFrom(client);
        Thread.Sleep(500);

        TimedMidiEvent[] events = MidiPerformance.Load(set.Midi, Rate).Events;
        uint baseFrame = (piano.Now() + Rate / 2) / Period * Period;
        var schedule = events.Select(e => (Frame: baseFrame + (uint)e.SampleTime, e.Status, e.Data1, e.Data2)).ToList();
        uint recordFrom = baseFrame - Period * 10;
        int recordFrames = (int)(events[^1].SampleTime + 6 * Rate);
        recorder.Record(recordFrom, recordFrames);
        int xrunsBefore = piano.Xruns; // activation makes a few: only the set's own count
        piano.Play(schedule);
        var clock = Stopwatch.StartNew();
        while ((long)piano.Now() - recordFrom < recordFrames + Rate / 4)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(recordFrames / Rate + 30), "the JACK clock stopped");
            Thread.Sleep(100);
        }
        Assert.True(piano.Done, "every message was sent");
        Dictionary<string, float> monitors = Quit(jalv);
        follow.Stop();
        // A state restored while running starts the piece from the top in the same ring: the ring's
        // positions go on, the frames' sample clock starts again from 0.
        int restart = 0;
        for (int i = 1; i < frames.Count; i++)
            if (frames[i].SampleTime < frames[i - 1].SampleTime) restart = i;
        frames.RemoveRange(0, restart);
        long firstIndex = frames.Count > 0 ? frames[0].Index : 0;

        // Where the plugin's clock stood against JACK's: every key press it trained on is in the
        // ring with its sample; the one it heard at the JACK frame it was sent for gives the offset.
        var sentPresses = schedule.Where(m => (m.Status & 0xF0) == 0x90 && m.Data2 > 0).ToList();
        var heard = frames.SelectMany(f => Enumerable.Range(0, f.NoteOnCount).Select(i => (f.NoteOns[i].SampleTime, Note: (int)f.NoteOns[i].Note))).ToList();
        var pressOffsets = new List<(uint Frame, long Offset)>();
        int h = 0;
        foreach (var s in sentPresses)
        {
            int at = heard.FindIndex(h, p => p.Note == s.Data1);
            if (at < 0) continue;
            pressOffsets.Add((s.Frame, s.Frame - heard[at].SampleTime));
            h = at + 1;
        }
        output.WriteLine($"key presses: {sentPresses.Count} sent, {heard.Count} in the ring, {pressOffsets.Count} matched; plugin clock offsets (JACK frame − plugin sample): {string.Join(", ", pressOffsets.Select(p => p.Offset).Distinct())}");
        string counts = $"{sentPresses.Count} key presses sent, {heard.Count} in the ring ({follow.Lost} frames lost to the reader, {restart} dropped before a restart, {piano.Xruns - xrunsBefore} xruns during the set)";
        var heardMidi = MidiPerformance.Load(mid, Rate).Events;
        // Under xruns JACK may drop a late client's MIDI, or hand the plugin a cycle's message twice
        // (seen: 157 messages heard of 156 sent, a note-on repeated with no note-off between): what the
        // plugin heard then differs from the set, upstream of it, and the set is played again.
        if (sentPresses.Count != heard.Count && piano.Xruns > xrunsBefore && heardMidi.Length != schedule.Count)
            throw new LostToXrunsException(counts + $"; the plugin heard {heardMidi.Length} of {schedule.Count} messages");
        Assert.True(sentPresses.Count == heard.Count, counts);
        Assert.Equal(sentPresses.Count, pressOffsets.Count);

        // The offline reference: what the plugin heard, at its own samples (LOSSES_PLUGIN_MIDI_LOG). A
        // host slip moves the plugin's clock against JACK's by whole periods: the messages after it
        // land that many samples away from where they were sent, and the render has them there too.
        var sent = schedule.Select(m => (m.Status, m.Data1, m.Data2)).ToList();
        if (sent.Count != heardMidi.Length && piano.Xruns > xrunsBefore) throw new LostToXrunsException($"{sent.Count} messages sent, {heardMidi.Length} heard, {piano.Xruns - xrunsBefore} xruns during the set");
        Assert.Equal(sent, heardMidi.Select(m => (m.Status, m.Data1, m.Data2)).ToList());
        int atTheirOffset = heardMidi.Where((m, i) => schedule[i].Frame - m.SampleTime == pressOffsets[0].Offset).Count();
        output.WriteLine($"MIDI: all {heardMidi.Length} messages reached the plugin in order, {atTheirOffset} at the frame they were sent for (against the first press's offset)");
        string wav = Path.Combine(dir, "heard.wav"), log = Path.Combine(dir, "heard.frames");
        string[] config = set.Config is null ? [] : ["--config", set.Config];
        EngineCli.Outcome r = EngineCli.Run(["render", mid, "-o", wav, "--seed", set.Seed.ToString(CultureInfo.InvariantCulture), "--frames", log, .. config]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        WavData offline = WavData.Read(wav);
        if (set.Config is not null)
        {
            // The config is heard: the same MIDI with the defaults sounds otherwise.
            string plain = Path.Combine(dir, "heard-defaults.wav");
            r = EngineCli.Run("render", mid, "-o", plain, "--seed", set.Seed.ToString(CultureInfo.InvariantCulture));
            Assert.True(r.ExitCode == 0, r.Stderr);
            WavData defaults = WavData.Read(plain);
            int differing = StateTests.Differing(offline, defaults.Samples[0], defaults.Samples[1]);
            output.WriteLine($"the config's render and the defaults' differ in {differing} of {offline.Frames} samples");
            Assert.True(differing > offline.Frames / 2, "the config does not change the sound");
        }

        // Audio, cycle by cycle: the recorder's cycle at JACK frame F holds plugin samples F − offset,
        // where the offset is what the messages around F say (a driver skip between two messages moves
        // it by whole periods: those are searched too, on the cycles' grid). Only cycles the recorder
        // saw exactly once count.
        var offsets = heardMidi.Select((m, i) => (Frame: (long)schedule[i].Frame, Offset: schedule[i].Frame - m.SampleTime)).ToArray();
        int exact = 0, slipped = 0, unmatched = 0, unrecorded = 0;
        long previous = offsets[0].Offset;
        // JACK's cycles start on one grid of frames (a driver skip drops whole periods), and the plugin's
        // clock moves by whole periods: the offsets between them lie on the grid of the recorder's cycles.
        long grid = recorder.CycleStarts[0] % Period;
        int next = 0;
        for (long at = 0; at + Period <= recorder.Left.Length; at += Period)
        {
            long jackFrame = at + recordFrom;
            while (next < offsets.Length && offsets[next].Frame <= jackFrame) next++;
            long before = offsets[Math.Max(next - 1, 0)].Offset, after = offsets[Math.Min(next, offsets.Length - 1)].Offset;
            if (jackFrame - before < 0 || jackFrame - before + Period > offline.Frames) continue;
            if (recorder.Writes.AsSpan((int)at, Period).ContainsAnyExcept((byte)1)) { unrecorded++; continue; }
            long? found = null;
            foreach (long candidate in new[] { previous, before, after })
                if (found is null && Matches(jackFrame - candidate)) found = candidate;
            // Several skips between two messages: any offset on JACK's cycle grid between theirs (and a
            // little beyond). A message the piano sent late went out at the start of a later cycle than
            // scheduled, so its offset can lie off that grid (seen: half a period under heavy load).
            long low = Math.Min(previous, Math.Min(before, after)) - 4 * Period, high = Math.Max(previous, Math.Max(before, after)) + 4 * Period;
            for (long candidate = low - Mod(low - grid, Period); candidate <= high && found is null; candidate += Period)
                if (Matches(jackFrame - candidate)) found = candidate;
            if (found is not long k) { unmatched++; continue; }
            previous = k;
            if (k == before) exact++; else slipped++;

            bool Matches(long m)
            {
                if (m < 0 || m + Period > offline.Frames) return false;
                for (int i = 0; i < Period; i++)
                    if (Math.Abs(offline.Samples[0][m + i] - recorder.Left[at + i]) > 1e-6f || Math.Abs(offline.Samples[1][m + i] - recorder.Right[at + i]) > 1e-6f)
                        return false;
                return true;
            }
        }
        int total = exact + slipped + unmatched;
        output.WriteLine($"cycles: {exact} sample for sample where the MIDI puts them, {slipped} a whole number of periods from there (a driver skip between messages), {unmatched} unmatched, of {total} ({unrecorded} the recorder missed or saw twice)");
        Assert.True(total > set.MinSeconds * Rate / Period, $"compared only {total} cycles");
        Assert.True(unmatched <= total / 500, $"{unmatched} of {total} cycles of jalv's output match nothing in the offline render");

        // The ring: every frame the reader saw is the offline render's frame of that index, byte for byte.
        using FrameLogReader expected = FrameLogReader.Open(log);
        int same = 0, differ = 0;
        foreach (Frame f in frames)
        {
            if (f.Index - firstIndex >= expected.Count) continue;
            Frame e = expected.Read(f.Index - firstIndex);
            e.Index = f.Index;
            if (MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in f)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in e)))) same++;
            else differ++;
        }
        output.WriteLine($"ring: {frames.Count} frames read ({follow.Lost} lost to the reader), {same} equal to the offline frame log's, {differ} not, of {expected.Count} offline");
        Assert.True(same > expected.Count * 9 / 10, $"only {same} of {expected.Count} offline frames were seen equal in the ring");
        Assert.True(differ == 0, $"{differ} ring frames differ from the offline frame log"); // frames follow the plugin's clock, not JACK's

        output.WriteLine($"jalv's monitors at the end: {string.Join(", ", monitors.Select(m => $"{m.Key} = {m.Value}"))}");
        return monitors;
    }

    private static long Mod(long a, long m) => ((a % m) + m) % m;

    [Fact]
    public void The_allocation_meter_sees_an_allocation_in_run()
    {
        string client = "losses-p" + Guid.NewGuid().ToString("N")[..6];
        using var piano = new JackTestClient(client + "-probe");
        using Process jalv = StartJalv(client, new() { ["LOSSES_PLUGIN_TEST_ALLOCATE"] = "1" }, null, "ring=0");
        WaitForPort(piano, client);
        Thread.Sleep(1000);
        Dictionary<string, float> monitors = Quit(jalv);
        output.WriteLine($"allocated_bytes after about a second with one 40-byte array per run(): {monitors["allocated_bytes"]}");
        Assert.True(monitors["allocated_bytes"] >= 64 * 100, $"the meter saw {monitors["allocated_bytes"]} bytes");
    }

    private static Process StartJalv(string client, Dictionary<string, string> env, JalvSet? set, params string[] controls)
    {
        var info = new ProcessStartInfo("jalv") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-x", "-n", client }) info.ArgumentList.Add(a);
        foreach (string c in controls) { info.ArgumentList.Add("-c"); info.ArgumentList.Add(c); }
        // -l: the state names the plugin.
        if (set?.Load is not null) { info.ArgumentList.Add("-l"); info.ArgumentList.Add(set.Load); }
        else info.ArgumentList.Add(PluginBundle.Uri);
        info.Environment["LV2_PATH"] = set?.Lv2Path is null ? PluginBundle.Lv2Path : $"{PluginBundle.Lv2Path}:{set.Lv2Path}";
        foreach (var (k, v) in env) info.Environment[k] = v;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start jalv (apt-get install jalv)");
    }

    /// <summary>Asks jalv's console for the output ports, then closes its input (jalv deactivates and exits).</summary>
    private static Dictionary<string, float> Quit(Process jalv)
    {
        Task<string> stdout = jalv.StandardOutput.ReadToEndAsync(), stderr = jalv.StandardError.ReadToEndAsync();
        jalv.StandardInput.WriteLine("monitors");
        jalv.StandardInput.Flush();
        Thread.Sleep(500);
        jalv.StandardInput.Close();
        if (!jalv.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            jalv.Kill(entireProcessTree: true);
            throw new TimeoutException("jalv did not exit when its input closed");
        }
        string text = stdout.Result;
        // A crash as the host unloads the plugin (exit 139) loses jalv's buffered output: say so, not "no monitors".
        Assert.True(jalv.ExitCode == 0, $"jalv exited with {jalv.ExitCode} (139: a segfault)\n{text}\n{stderr.Result}");
        Assert.DoesNotContain("losses:", stderr.Result);
        var values = new Dictionary<string, float>();
        foreach (Match m in Monitor().Matches(text)) values[m.Groups[1].Value] = float.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(values.ContainsKey("allocated_bytes"), $"jalv printed no monitors:\n{text}\n{stderr.Result}");
        return values;
    }

    [GeneratedRegex(@"(loss|current_part|allocated_bytes) = ([-0-9.e+]+)")]
    private static partial Regex Monitor();

    private static void WaitForPort(JackTestClient piano, string client)
    {
        var clock = Stopwatch.StartNew();
        while (!piano.HasPort($"{client}:midi_in"))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("jalv's ports did not appear");
            Thread.Sleep(50);
        }
    }

    /// <summary>Reads the plugin's ring from its first frame on a thread of its own.</summary>
    private sealed class RingFollower : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public RingFollower(string ring, List<Frame> frames)
        {
            _thread = new Thread(() =>
            {
                using FrameRingReader reader = FrameRingReader.Open(ring, RingJoin.FromStart);
                while (true)
                {
                    bool any = false;
                    while (reader.TryRead(out Frame f)) { frames.Add(f); any = true; }
                    Lost = reader.Lost;
                    if (!any)
                    {
                        if (_stop) break;
                        Thread.Sleep(1);
                    }
                }
            }) { IsBackground = true, Name = "plugin ring" };
            _thread.Start();
        }

        public long Lost { get; private set; }

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose() => Stop();
    }
}
