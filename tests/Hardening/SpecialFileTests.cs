using System.Diagnostics;
using Losses.Platform;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Protocol;
using Losses.Tests.Visualiser;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// Every path the project reads is checked for its type before anything waits on it: a named pipe
/// with no writer, a device, a folder or a file far too large where a config, a tuning, a MIDI file,
/// a frame log, a video or a ring should be is one line naming it — never a hang, never a crash.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SpecialFileTests
{
    /// <summary>Makes <paramref name="kind"/> at <paramref name="path"/>: a FIFO, a link to /dev/zero, a device node of our own, a folder.</summary>
    private static string Make(string path, string kind)
    {
        switch (kind)
        {
            case "named pipe": Shell("mkfifo", path); return "is a named pipe";
            case "link to /dev/zero": File.CreateSymbolicLink(path, "/dev/zero"); return "is a character device";
            case "character device": Shell("mknod", "-m", "666", path, "c", "1", "5"); return "is a character device";
            default: Directory.CreateDirectory(path); return "is a directory";
        }
    }

    /// <summary>One line, exit 1, well within the time a hang would take.</summary>
    private static string AssertQuickLine(Func<EngineCli.Outcome> run, string contains)
    {
        var clock = Stopwatch.StartNew();
        string line = AssertOneLine(run(), 1, contains);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed.TotalSeconds:0} s: it waited on the special file");
        return line;
    }

    [Theory]
    [InlineData("named pipe")]
    [InlineData("link to /dev/zero")]
    [InlineData("directory")]
    public void A_config_that_is_not_a_regular_file_is_one_line(string kind)
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "set.json");
        string said = Make(config, kind);
        Assert.Contains(config, AssertQuickLine(() => EngineCli.Run("config", "--check", config), said));
        AssertQuickLine(() => EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "out.wav"), "--config", config), said);
        Assert.False(File.Exists(Path.Combine(dir, "out.wav")));
    }

    [Theory]
    [InlineData("named pipe")]
    [InlineData("link to /dev/zero")]
    [InlineData("directory")]
    [InlineData("too large")]
    public void A_scala_tuning_that_is_not_a_small_regular_file_is_one_line_for_config_check_and_render(string kind)
    {
        string dir = EngineCli.TempDir();
        string scl = Path.Combine(dir, "tuning.scl");
        string said;
        if (kind == "too large")
        {
            // 300 KB of comment lines: a real .scl is a few kilobytes.
            File.WriteAllText(scl, string.Concat(Enumerable.Repeat("! a comment line of a tuning file, over and over again\n", 6000)) + "x\n1\n2/1\n");
            said = "more than the 262 KB";
        }
        else said = Make(scl, kind);
        string config = Path.Combine(dir, "set.json");
        File.WriteAllText(config, """{ "tuning": { "scale": "tuning.scl" } }""");
        Assert.Contains(scl, AssertQuickLine(() => EngineCli.Run("config", "--check", config), said));
        AssertQuickLine(() => EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "out.wav"), "--config", config), said);
        Assert.False(File.Exists(Path.Combine(dir, "out.wav")));
    }

    [Theory]
    [InlineData("named pipe")]
    [InlineData("link to /dev/zero")]
    [InlineData("character device")]
    public void A_midi_file_that_is_not_a_regular_file_is_one_line(string kind)
    {
        string dir = EngineCli.TempDir();
        string midi = Path.Combine(dir, "in.mid");
        string said = Make(midi, kind);
        AssertQuickLine(() => EngineCli.Run("render", midi, "-o", Path.Combine(dir, "out.wav")), said);
        Assert.False(File.Exists(Path.Combine(dir, "out.wav")));
    }

    [Theory]
    [InlineData("named pipe")]
    [InlineData("link to /dev/zero")]
    public void A_frame_log_or_video_that_is_not_a_regular_file_is_one_line_for_frames_and_the_visualiser(string kind)
    {
        string dir = EngineCli.TempDir();
        string log = Path.Combine(dir, "x.frames");
        string said = Make(log, kind);
        AssertQuickLine(() => EngineCli.Run("frames", log), said);
        AssertQuickLine(() => VisualiserKit.Run("--frames", log, "-o", Path.Combine(dir, "x.png")), said);
        Assert.False(File.Exists(Path.Combine(dir, "x.png")));

        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        string video = Path.Combine(dir, "camera.mp4");
        Make(video, kind);
        AssertQuickLine(() => VisualiserKit.Run("--frames", frames, "-o", Path.Combine(dir, "y.png"), "--video", video, "--size", "64x36"), said);
    }

    [Fact]
    public void A_named_pipe_at_a_rings_path_hangs_no_reader_and_no_engine()
    {
        using var ring = new TestRing();
        Shell("mkfifo", "-m", "600", ring.Path);
        string said = $"{ring.Path} is a named pipe, not a ring file";
        AssertQuickLine(() => EngineCli.Run("watch", "--ring", ring.Name, "--timeout", "1"), said);
        AssertQuickLine(() => EngineCli.Run("osc", "--ring", ring.Name, "--to", "127.0.0.1:9", "--timeout", "1"), said);
        AssertQuickLine(() => VisualiserKit.Run("--ring", ring.Name), said);
        string dir = EngineCli.TempDir();
        AssertQuickLine(() => EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "out.wav"), "--ring", ring.Name), said);
        AssertQuickLine(() => EngineCli.Run("live", "--ring", ring.Name, "--duration", "1"), said);
        AssertNothingLeft(dir);
        Assert.True(Posix.TryLStat(ring.Path, out FileStatus s) && s.Kind == "a named pipe", "the pipe is left as it was");
    }
}
