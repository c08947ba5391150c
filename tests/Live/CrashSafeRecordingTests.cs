using System.Diagnostics;
using System.Runtime.InteropServices;
using Losses.Protocol;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Live;

/// <summary>A concert machine can lose power: a live recording killed mid-set is recovered and re-renders the set up to the kill.</summary>
[Collection("jack")]
public class CrashSafeRecordingTests(JackServer server, ITestOutputHelper output)
{
    private const int Rate = 48000;
    private readonly JackServer _server = server;

    [Fact]
    public void A_set_killed_with_sigkill_is_recovered_and_its_replay_equals_every_frame_it_published()
    {
        if (KilledSet()) return;
        // JACK drops the MIDI of a cycle a client missed: a set the server reported xruns in that lost a message is played again, once.
        Assert.True(KilledSet(again: true), "unreachable: the second set asserts itself");
    }

    /// <summary>One set, killed and recovered; false (when not <paramref name="again"/>) if a message was lost in a set with xruns.</summary>
    private bool KilledSet(bool again = false)
    {
        string dir = EngineCli.TempDir();
        string client = "losses-k" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + client); // StartEngine's ring, left protected by the kill
        using var piano = new JackTestClient(client + "-piano");
        piano.Start();
        using Process engine = LiveEngineTests.StartEngine(client, dir, seconds: 120, seed: 4);
        LiveEngineTests.WaitForPort(piano, client);
        piano.PlayInto(client);
        Thread.Sleep(300);

        // A phrase of part 1: a bass note (new cubic), then upper notes, each a gradient step.
        uint start = piano.Now() + Rate / 4;
        var schedule = new List<(uint, byte, byte, byte)> { (start, 0x90, 36, 90), (start + Rate / 4, 0x80, 36, 0) };
        for (int i = 0; i < 20; i++)
        {
            uint at = start + (uint)(Rate / 2 + i * Rate / 8 + i * 13 % 64);
            schedule.Add((at, 0x90, (byte)(60 + i % 12), 100));
            schedule.Add((at + Rate / 10, 0x80, (byte)(60 + i % 12), 0));
        }
        int xrunsBefore = piano.Xruns; // activation makes a few: only the set's own count
        piano.Play(schedule);
        // The last message goes out 3.2 s in; the engine is killed half a second later, mid-set.
        while (piano.Now() < start + (uint)(3.7 * Rate)) Thread.Sleep(10);
        Assert.True(piano.Done, "every message was sent before the kill");
        Assert.Equal(0, kill(engine.Id, 9));
        Assert.True(engine.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(137, engine.ExitCode); // 128 + SIGKILL: nothing ran after the kill
        Assert.True(File.Exists(Path.Combine(dir, "midi.partial")), "no MIDI journal after the kill");
        Assert.False(File.Exists(Path.Combine(dir, "performance.mid")));

        EngineCli.Outcome recovered = EngineCli.Run("recover", dir);
        output.WriteLine(recovered.Stdout + recovered.Stderr);
        Assert.True(recovered.ExitCode == 0, recovered.Stderr);
        foreach (string file in new[] { "performance.mid", "frames.frames", "config.json", "session.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing after recover");
        Assert.False(File.Exists(Path.Combine(dir, "midi.partial")));
        Assert.False(File.Exists(Path.Combine(dir, "frames.partial")));

        // Everything sent half a second before the kill is in the recording, in order.
        var perf = Losses.Engine.Midi.MidiPerformance.Load(Path.Combine(dir, "performance.mid"), Rate);
        output.WriteLine($"recovered {perf.Events.Length} of {schedule.Count} messages ({piano.Xruns - xrunsBefore} xruns during the set)");
        if (!again && perf.Events.Length < schedule.Count && piano.Xruns > xrunsBefore)
        {
            output.WriteLine("a message was lost in a set with xruns: again");
            return false;
        }
        Assert.Equal(schedule.OrderBy(m => m.Item1).Select(m => (m.Item2, m.Item3, m.Item4)),
            perf.Events.Select(e => (e.Status, e.Data1, e.Data2)));

        // The replay of the recovered set publishes exactly the frames the live engine did, up to the kill.
        string replayFrames = Path.Combine(dir, "replay.frames");
        EngineCli.Outcome r = EngineCli.Run("render", Path.Combine(dir, "performance.mid"), "-o", Path.Combine(dir, "replay.wav"),
            "--config", Path.Combine(dir, "config.json"), "--seed", "4", "--sample-rate", "48000", "--block", "64", "--frames", replayFrames);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var live = FrameLogReader.Open(Path.Combine(dir, "frames.frames"));
        using var replay = FrameLogReader.Open(replayFrames);
        output.WriteLine($"live frames {live.Count}, replay frames {replay.Count}");
        Assert.True(live.Count > 3 * Rate / 64, $"only {live.Count} frames recovered");
        // The replay ends once its last voice has died away; the live set ran on until the kill.
        long common = Math.Min(live.Count, replay.Count);
        Assert.True(replay.Read(common - 1).SampleTime > perf.Events[^1].SampleTime, "the compared frames end before the last message");
        int steps = 0;
        for (long i = 0; i < common; i++)
        {
            Frame a = live.Read(i), b = replay.Read(i);
            Assert.True(MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in a)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in b))),
                $"frame {i} (sample {a.SampleTime}) differs from the replay's (sample {b.SampleTime})");
            steps = (int)a.TotalSteps;
        }
        Assert.True(steps >= 15, $"the recovered frames hold only {steps} gradient steps of the 20 played");
        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}

/// <summary>`recover` on what is not a killed set: one line, the documented exit, nothing written.</summary>
public class RecoverCommandTests
{
    [Fact]
    public void Recover_without_a_folder_is_a_usage_error()
    {
        EngineCli.Outcome r = EngineCli.Run("recover");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("losses: recover: which folder?", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Recover_of_a_folder_without_a_journal_says_so_and_writes_nothing()
    {
        string dir = EngineCli.TempDir();
        EngineCli.Outcome r = EngineCli.Run("recover", dir);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no live recording here (midi.partial not found)", r.Stderr);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Recover_of_a_journal_without_its_session_says_what_is_missing_and_keeps_the_journal()
    {
        string dir = EngineCli.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "midi.partial"), new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0x90, 60, 100, 7 });
        EngineCli.Outcome r = EngineCli.Run("recover", dir);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("session.json: unreadable", r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "midi.partial")), "the journal must survive a failed recovery");
        Assert.False(File.Exists(Path.Combine(dir, "performance.mid")));
    }

    [Fact]
    public void A_journal_cut_mid_record_recovers_its_whole_records()
    {
        string dir = EngineCli.TempDir();
        File.WriteAllText(Path.Combine(dir, "session.json"), """{ "seed": 9, "sampleRate": 48000, "bufferSize": 64, "complete": false }""");
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        var journal = new List<byte>();
        void Record(long sample, byte s, byte d1, byte d2) { journal.AddRange(BitConverter.GetBytes(sample)); journal.AddRange([s, d1, d2]); }
        Record(480, 0x90, 60, 100);
        Record(24_000, 0x80, 60, 0);
        Record(30_000, 0x90, 64, 90);
        journal.AddRange([1, 2, 3, 4, 5]); // the kill came mid-record
        File.WriteAllBytes(Path.Combine(dir, "midi.partial"), journal.ToArray());
        EngineCli.Outcome r = EngineCli.Run("recover", dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var perf = Losses.Engine.Midi.MidiPerformance.Load(Path.Combine(dir, "performance.mid"), 48000);
        Assert.Equal(new[] { (480L, (byte)0x90, (byte)60), (24_000L, (byte)0x80, (byte)60), (30_000L, (byte)0x90, (byte)64) },
            perf.Events.Select(e => (e.SampleTime, e.Status, e.Data1)));
        Assert.Contains("\"recovered\": true", File.ReadAllText(Path.Combine(dir, "session.json")));
        EngineCli.Outcome again = EngineCli.Run("recover", dir);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already complete", again.Stderr);
    }
}
