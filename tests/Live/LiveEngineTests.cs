using System.Diagnostics;
using System.Text.Json;
using Losses.Engine.Audio;
using Losses.Tests.Audio;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Live;

/// <summary>The live engine as a separate process on a real JACK server, played and recorded by a second JACK client.</summary>
[Collection("jack")]
public class LiveEngineTests(JackServer server, ITestOutputHelper output)
{
    private const int Rate = 48000;
    private readonly JackServer _server = server;

    [Fact]
    public void Notes_sound_at_their_exact_frame_with_the_right_pitch_and_the_recording_re_renders_sample_for_sample()
    {
        string dir = EngineCli.TempDir();
        string client = "losses-t" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + client); // StartEngine's ring
        // Under load on purpose: late cycles and clock slips are part of what this test must survive.
        using var hog = new CpuHog();
        using var piano = new JackTestClient(client + "-piano");
        using var recorder = new JackTestClient(client + "-rec");
        piano.Start();
        recorder.Start();
        using Process engine = StartEngine(client, dir, seconds: 17, seed: 3);
        WaitForPort(piano, client);
        piano.PlayInto(client);
        recorder.RecordFrom(client);
        Thread.Sleep(500); // every client's callback has run (and been compiled) before the first note

        uint baseFrame = (piano.Now() + Rate / 2) / 64 * 64;
        uint At(double seconds, uint offset) => baseFrame + (uint)Math.Round(seconds * Rate) / 64 * 64 + offset;
        var schedule = new List<(uint, byte, byte, byte)>();
        // A: four lone notes at chosen offsets within their cycles, silence between them.
        (int Note, double At, uint Offset)[] lone = [(60, 0.0, 0), (64, 1.5, 1), (67, 3.0, 37), (72, 4.5, 63)];
        foreach (var (note, t, off) in lone)
        {
            schedule.Add((At(t, off), 0x90, (byte)note, 100));
            schedule.Add((At(t + 0.3, 0), 0x80, (byte)note, 0));
        }
        // B: a bass note makes a cubic target; each upper note is a step whose loss detunes it.
        schedule.Add((At(6.0, 5), 0x90, 36, 90)); schedule.Add((At(6.3, 0), 0x80, 36, 0));
        for (int i = 0; i < 4; i++) { schedule.Add((At(6.5 + 0.5 * i, 11), 0x90, 69, 100)); schedule.Add((At(6.9 + 0.5 * i, 0), 0x80, 69, 0)); }
        // C: soft pedal to part 2, a held chord trains a knot at the step rate.
        schedule.Add((At(9.0, 0), 0xB0, 67, 127)); schedule.Add((At(9.05, 0), 0xB0, 67, 0));
        foreach (byte n in new byte[] { 48, 52, 55 }) { schedule.Add((At(9.5, 17), 0x90, n, 80)); schedule.Add((At(11.0, 0), 0x80, n, 0)); }
        schedule.Add((At(10.0, 3), 0x90, 72, 100)); schedule.Add((At(10.5, 0), 0x80, 72, 0));

        uint recordFrom = baseFrame - 64 * 10;
        recorder.Record(recordFrom, 13 * Rate);
        piano.Play(schedule);
        string summary = Finish(engine);
        Assert.True(piano.Done, "every message was sent");

        // JACK's clock against the engine's: where the machine made a client miss a deadline, a
        // cycle lands late and later cycles slip by whole periods. The alignment comes from every
        // received message, not the first one: a message JACK never handed the engine (the first
        // note in one CI run) must not shift the whole comparison.
        using JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "session.json")));
        var perf = Losses.Engine.Midi.MidiPerformance.Load(Path.Combine(dir, "performance.mid"), Rate);
        int slips = session.RootElement.GetProperty("jackSkips").GetArrayLength();
        output.WriteLine($"JACK and the engine slipped {slips} times; {session.RootElement.GetProperty("xruns").GetInt64()} xruns");
        output.WriteLine($"the piano's cycles that repeated or skipped a frame time: {string.Join(", ", piano.IrregularCycles(64))}");
        var received = perf.Events.Select(e => (e.SampleTime, e.Status, e.Data1, e.Data2)).ToArray();
        // The recording holds only what was sent, in order, each message once (a message the
        // engine played is never invented or doubled); what JACK lost under load is counted.
        Assert.True(IsInOrderSubsequence(schedule.OrderBy(m => m.Item1).Select(m => (m.Item2, m.Item3, m.Item4)).ToList(),
            received.Select(m => (m.Status, m.Data1, m.Data2)).ToList()), "the recording is not the sent messages in order");
        var (offset, inPhase) = Align(schedule, received, 64);
        output.WriteLine($"engine slips (JACK frame, frames): {session.RootElement.GetProperty("jackSkips")}");
        foreach (var m in Lost(schedule, received)) output.WriteLine($"lost: {m.S:X2} {m.D1} {m.D2} sent for JACK frame {m.Frame}");
        output.WriteLine($"MIDI: {received.Length} of {schedule.Count} messages reached the engine, {inPhase} at their exact offset in their cycle");
        Assert.True(received.Length >= schedule.Count - 3, $"only {received.Length} of {schedule.Count} messages reached the engine");
        Assert.True(inPhase > received.Length / 2, $"only {inPhase} of {received.Length} messages sit at their offset within their cycle");

        string replay = Path.Combine(dir, "replay.wav");
        EngineCli.Outcome r = EngineCli.Run("render", Path.Combine(dir, "performance.mid"), "-o", replay,
            "--config", Path.Combine(dir, "config.json"), "--seed", "3", "--sample-rate", "48000");
        Assert.True(r.ExitCode == 0, r.Stderr);
        WavData wav = WavData.Read(replay);

        // Offline ≡ live, cycle by cycle: each recorded cycle must equal the offline render at its
        // aligned position (or, after a slip, a whole number of periods away) sample for sample.
        // Only cycles the recorder itself saw exactly once count: under load JACK also skips or
        // repeats the recorder's cycles, and what it holds there says nothing about the engine.
        // A cycle may sit as many periods away as the slips add up to; the search starts from the
        // previous cycle's shift (slips are rare, so the next cycle almost always shares it).
        int exact = 0, slipped = 0, unmatched = 0, unrecorded = 0;
        var shiftOfCycle = new Dictionary<long, int>(); // recorded cycle → whole periods from the run's alignment
        int maxShift = 2 + (int)(session.RootElement.GetProperty("jackSkips").EnumerateArray().Sum(k => Math.Abs(k[1].GetInt64())) / 64);
        int lastShift = 0;
        for (long at = 0; at + 64 <= recorder.Left.Length; at += 64)
        {
            long n = at + recordFrom - offset;
            if (n < 0 || n + 64 > wav.Frames) continue;
            if (recorder.Writes.AsSpan((int)at, 64).ContainsAnyExcept((byte)1)) { unrecorded++; continue; }
            int? shift = Matches(n + 64L * lastShift) ? lastShift : null;
            for (int j = 1; j <= 2 * maxShift && shift is null; j++)
            {
                if (Math.Abs(lastShift + j) <= maxShift && Matches(n + 64L * (lastShift + j))) shift = lastShift + j;
                else if (Math.Abs(lastShift - j) <= maxShift && Matches(n + 64L * (lastShift - j))) shift = lastShift - j;
            }
            if (shift is not int k) { unmatched++; continue; }
            shiftOfCycle[at / 64] = k;
            lastShift = k;
            if (k == 0) exact++; else slipped++;

            bool Matches(long m)
            {
                if (m < 0 || m + 64 > wav.Frames) return false;
                for (int i = 0; i < 64; i++)
                    if (Math.Abs(wav.Samples[0][m + i] - recorder.Left[at + i]) > 1e-6f || Math.Abs(wav.Samples[1][m + i] - recorder.Right[at + i]) > 1e-6f)
                        return false;
                return true;
            }
        }
        int total = exact + slipped + unmatched;
        output.WriteLine($"cycles: {exact} at their exact position, {slipped} a whole number of periods away, {unmatched} unmatched, of {total} ({unrecorded} the recorder missed or saw twice)");
        Assert.True(total > 8 * Rate / 64, $"compared only {total} cycles ({unrecorded} the recorder missed or saw twice)");
        Assert.True(unmatched <= total / 500, $"{unmatched} of {total} live cycles match nothing in the offline render");

        // Exact onsets where the note's cycle (and the one before) sat where the note's own arrival
        // puts them (a slip elsewhere in the run moves other cycles, not these), and the pitch where
        // the measured quarter second did.
        int onsets = 0, pitches = 0;
        foreach (var (note, t, off) in lone)
        {
            long f = At(t, off) - recordFrom;
            int arrival = Array.FindIndex(received, m => m.Status == 0x90 && m.Data1 == note);
            if (arrival < 0) continue; // JACK lost it (reported above)
            long local = At(t, off) - received[arrival].SampleTime;
            if ((offset - local) % 64 != 0) continue; // it arrived late, at the start of a later cycle
            int shift = (int)((offset - local) / 64);
            bool Exact(long from, long frames) => Enumerable.Range(0, (int)((frames + 63) / 64) + 1)
                .All(c => shiftOfCycle.TryGetValue(from / 64 + c, out int k) && k == shift);
            if (Exact(f - 1, 2))
            {
                Assert.True(recorder.Left[f - 1] == 0 && recorder.Right[f - 1] == 0, $"note {note}: sound before its frame (offset {off})");
                Assert.True(recorder.Left[f] != 0 && recorder.Right[f] != 0, $"note {note}: silent at its frame (offset {off})");
                onsets++;
            }
            if (Exact(f + Rate / 10, Rate / 4))
            {
                double f0 = 440 * Math.Pow(2, (note - 69) / 12.0);
                double measured = Rendering.PeakFrequency(recorder.Left.AsSpan((int)f + Rate / 10, Rate / 4), Rate, f0, 5);
                Assert.True(Math.Abs(measured - f0) < 0.5, $"note {note}: {measured:0.00} Hz, expected {f0:0.00} Hz");
                pitches++;
            }
        }
        output.WriteLine($"onsets checked on {onsets} of {lone.Length} notes, pitch on {pitches}");
        Assert.True(onsets >= 1 && pitches >= 1, $"onsets checked on {onsets} and pitch on {pitches} notes: the machine kept too few cycles in place");
        output.WriteLine(summary);
    }

    [Fact]
    public void Thirty_seconds_of_a_busy_stream_allocate_nothing_and_collect_nothing_after_warm_up()
    {
        string dir = EngineCli.TempDir();
        string client = "losses-t" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + client); // StartEngine's ring
        // Under load, so the rare paths run too: xruns, clock slips, JACK's notification thread.
        using var hog = new CpuHog();
        using var piano = new JackTestClient(client + "-piano");
        piano.Start();
        using Process engine = StartEngine(client, dir, seconds: 33, seed: 5);
        WaitForPort(piano, client);
        piano.PlayInto(client);
        uint baseFrame = piano.Now() + Rate / 4;
        var schedule = new List<(uint, byte, byte, byte)>();
        var rng = new Random(7);
        for (double t = 0; t < 30; t += 0.05)
        {
            uint at = baseFrame + (uint)(t * Rate) + (uint)rng.Next(64);
            byte note = (byte)rng.Next(36, 96);
            schedule.Add((at, 0x90, note, (byte)rng.Next(30, 127)));
            schedule.Add((at + (uint)rng.Next(Rate / 20, Rate / 2), 0x80, note, 0));
            if (Math.Abs(t % 5) < 0.025) { schedule.Add((at, 0xB0, 67, 127)); schedule.Add((at + 100, 0xB0, 67, 0)); }
            if (Math.Abs(t % 3) < 0.025) { schedule.Add((at, 0xB0, 64, 127)); schedule.Add((at + Rate, 0xB0, 64, 0)); }
            if (Math.Abs(t % 2) < 0.025) foreach (byte n in new byte[] { 43, 47, 50 }) { schedule.Add((at, 0x90, n, 70)); schedule.Add((at + Rate, 0x80, n, 0)); }
        }
        piano.Play(schedule);
        string summary = Finish(engine);
        output.WriteLine(summary);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(SummaryOf(dir)));
        JsonElement s = json.RootElement;
        output.WriteLine($"under load: {s.GetProperty("xruns")} xruns, {s.GetProperty("clockSlips")} clock slips");
        Assert.Equal([0, 0, 0], s.GetProperty("gcCollections").EnumerateArray().Select(c => c.GetInt32()));
        Assert.Equal(0, s.GetProperty("allocatedBytes").GetInt64());
        // The set ran its whole length on the server's clock, every cycle counted.
        Assert.True(s.GetProperty("seconds").GetDouble() >= 33, summary);
        Assert.Equal(64, s.GetProperty("bufferSize").GetInt32());
        Assert.True(s.GetProperty("cycles").GetInt64() >= 33L * Rate / 64, summary);
    }

    [Fact]
    public void No_jack_server_is_one_clear_line_and_a_failing_exit()
    {
        string dir = EngineCli.TempDir();
        using var ring = new Protocol.TestRing();
        var (code, stdout, stderr) = RunEngine(new() { ["JACK_DEFAULT_SERVER"] = "nope-" + Guid.NewGuid().ToString("N")[..6] },
            "live", "--record", dir, "--duration", "1", "--ring", ring.Name);
        Assert.Equal(1, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no JACK server is running", stderr);
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void An_unknown_midi_source_is_one_clear_line_and_a_failing_exit()
    {
        using var ring = new Protocol.TestRing();
        var (code, _, stderr) = RunEngine([], "live", "--midi", "no-such-piano", "--client", "losses-m" + Guid.NewGuid().ToString("N")[..4],
            "--duration", "1", "--no-connect", "--ring", ring.Name);
        Assert.Equal(1, code);
        Assert.Contains("no JACK MIDI source matches 'no-such-piano'", stderr);
    }

    [Fact]
    public async Task A_server_that_shuts_down_mid_run_ends_the_engine_cleanly_with_the_recording_intact()
    {
        string name = "losses-" + Guid.NewGuid().ToString("N")[..6];
        using JackServer own = JackServer.StartNamed(name);
        string dir = EngineCli.TempDir();
        using var ring = new Protocol.TestRing();
        var info = EngineStart(new() { ["JACK_DEFAULT_SERVER"] = name }, "live", "--record", dir, "--no-connect",
            "--ring", ring.Name, "--duration", "60");
        using Process engine = Process.Start(info)!;
        Task<string> stdout = engine.StandardOutput.ReadToEndAsync();
        Task<string> stderr = engine.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(dir, "midi.partial")) && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(50);
        Thread.Sleep(1500);
        own.Kill();
        Assert.True(engine.WaitForExit(TimeSpan.FromSeconds(30)), "the engine did not end after the server went away");
        string err = await stderr;
        output.WriteLine(await stdout + err);
        Assert.Equal(1, engine.ExitCode);
        Assert.Contains("the JACK server shut down", err);
        foreach (string file in new[] { "performance.mid", "frames.frames", "config.json", "session.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");
        Assert.False(File.Exists(Path.Combine(dir, "midi.partial")));
        using var log = Losses.Protocol.FrameLogReader.Open(Path.Combine(dir, "frames.frames"));
        Assert.True(log.Count > 100);
    }

    /// <summary>
    /// The JACK frame of engine sample 0, from every received message: both clocks only ever move by
    /// whole periods (a slip skips or repeats a cycle), so the offset modulo the period is fixed for
    /// the run; the message that arrived late (at offset 0 of a later cycle) is outvoted. Of the
    /// offsets in that phase, the most common one is the run's start. Returns it and how many
    /// messages sit in that phase.
    /// </summary>
    private static (long Offset, int InPhase) Align(List<(uint Frame, byte S, byte D1, byte D2)> sent, (long SampleTime, byte Status, byte Data1, byte Data2)[] received, int period)
    {
        var offsets = new List<long>();
        int from = 0;
        var ordered = sent.OrderBy(m => m.Frame).ToList();
        foreach (var r in received)
        {
            // The received messages are an in-order subsequence of the sent ones (asserted before).
            while (from < ordered.Count && (ordered[from].S, ordered[from].D1, ordered[from].D2) != (r.Status, r.Data1, r.Data2)) from++;
            if (from == ordered.Count) break;
            offsets.Add(ordered[from++].Frame - r.SampleTime);
        }
        long phase = offsets.GroupBy(o => ((o % period) + period) % period).MaxBy(g => g.Count())!.Key;
        var inPhase = offsets.Where(o => ((o % period) + period) % period == phase).ToList();
        return (inPhase.GroupBy(o => o).MaxBy(g => g.Count())!.Key, inPhase.Count);
    }

    private static IEnumerable<(uint Frame, byte S, byte D1, byte D2)> Lost(List<(uint Frame, byte S, byte D1, byte D2)> sent, (long SampleTime, byte Status, byte Data1, byte Data2)[] received)
    {
        int r = 0;
        foreach (var m in sent.OrderBy(m => m.Frame))
        {
            if (r < received.Length && (received[r].Status, received[r].Data1, received[r].Data2) == (m.S, m.D1, m.D2)) r++;
            else yield return m;
        }
    }

    private static bool IsInOrderSubsequence<T>(List<T> whole, List<T> part)
    {
        int i = 0;
        foreach (T p in part)
        {
            while (i < whole.Count && !EqualityComparer<T>.Default.Equals(whole[i], p)) i++;
            if (i == whole.Count) return false;
            i++;
        }
        return true;
    }

    private static ProcessStartInfo EngineStart(Dictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        return info;
    }

    private static (int, string, string) RunEngine(Dictionary<string, string> env, params string[] args)
    {
        using Process p = Process.Start(EngineStart(env, args))!;
        Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)));
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>`live` as a JACK client of the tests' server, recording into <paramref name="recordDir"/>, on a ring of its own.</summary>
    /// <summary>A live engine on the test server, recording into <paramref name="recordDir"/>; its JSON summary goes to <see cref="SummaryOf"/>.</summary>
    internal static Process StartEngine(string client, string recordDir, double seconds, ulong seed)
    {
        Process p = Process.Start(EngineStart([], "live", "--client", client, "--no-connect", "--record", recordDir,
            "--duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", seed.ToString(),
            "--ring", "t-" + client, "--summary-json", SummaryOf(recordDir)))!;
        return p;
    }

    /// <summary>Where <see cref="StartEngine"/>'s engine writes its `--summary-json` (beside the recording, not in it).</summary>
    internal static string SummaryOf(string recordDir) => recordDir.TrimEnd('/') + ".summary.json";

    internal static void WaitForPort(JackTestClient piano, string client)
    {
        var clock = Stopwatch.StartNew();
        while (!piano.HasPort($"{client}:midi_in"))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the engine's ports did not appear");
            Thread.Sleep(50);
        }
    }

    private static string Finish(Process engine)
    {
        Task<string> o = engine.StandardOutput.ReadToEndAsync(), e = engine.StandardError.ReadToEndAsync();
        if (!engine.WaitForExit(TimeSpan.FromSeconds(90))) { engine.Kill(); Assert.Fail("the engine did not finish"); }
        Assert.True(engine.ExitCode == 0, o.Result + e.Result);
        return o.Result + e.Result;
    }
}
