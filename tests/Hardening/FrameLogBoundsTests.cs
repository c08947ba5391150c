using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Visualiser;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>A frame log is untrusted input: the times and rate it claims are checked before a video is planned from them.</summary>
public sealed class FrameLogBoundsTests
{
    private const int SampleTimeInFrame = 8; // Frame.SampleTime (see the layout in Frame.cs)

    [Theory]
    [InlineData("last frame at 2^62", "beyond the limit of 4.0 h")]
    [InlineData("negative last frame", "negative time")]
    [InlineData("time going back", "earlier than the frame before")]
    [InlineData("sample rate 1", "sample rate 1 Hz")]
    [InlineData("sample rate -48000", "sample rate -48000 Hz")]
    public void An_absurd_frame_log_is_one_line_and_no_video(string damage, string expected)
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        long count = (new FileInfo(frames).Length - FrameLogWriter.HeaderSize) / Frame.Size;
        long FrameAt(long i) => FrameLogWriter.HeaderSize + i * Frame.Size + SampleTimeInFrame;
        switch (damage)
        {
            case "last frame at 2^62": Patch(frames, FrameAt(count - 1), BitConverter.GetBytes(1L << 62)); break;
            case "negative last frame": Patch(frames, FrameAt(count - 1), BitConverter.GetBytes(-1921535841011411L)); break;
            case "time going back": Patch(frames, FrameAt(count / 2), BitConverter.GetBytes(1L << 40)); break;
            case "sample rate 1": Patch(frames, 16, BitConverter.GetBytes(1)); break;
            default: Patch(frames, 16, BitConverter.GetBytes(-48000)); break;
        }
        string video = Path.Combine(dir, "out.mp4");
        AssertOneLine(VisualiserKit.Run("--frames", frames, "-o", video, "--size", "64x36", "--fps", "10"), 1, expected);
        Assert.Empty(Temporaries(dir));
        Assert.False(File.Exists(video));
    }

    [Fact]
    public void A_long_log_is_refused_by_the_limit_and_rendered_once_it_is_raised()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 2, toPart4: false));
        string still = Path.Combine(dir, "still.png");
        AssertOneLine(VisualiserKit.Run("--frames", frames, "-o", still, "--size", "64x36", "--max-seconds", "1"), 1, "raise it with --max-seconds");
        EngineCli.Outcome ok = VisualiserKit.Run("--frames", frames, "-o", still, "--size", "64x36", "--max-seconds", "60");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.True(File.Exists(still));
        Assert.Empty(Temporaries(dir));
    }

    [Theory]
    [InlineData("TERM", 143, "SIGTERM")]
    [InlineData("INT", 130, "Ctrl-C (SIGINT)")]
    public void An_interrupted_video_render_removes_its_temporary_file(string signal, int exitCode, string word)
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 60, toPart4: false));
        string video = Path.Combine(dir, "out.mp4");
        using var render = new Child("losses-visualiser.dll", "--frames", frames, "-o", video, "--size", "640x360", "--fps", "120");
        WaitUntil(() => Temporaries(dir).Length == 1, "the video's temporary file");
        Thread.Sleep(500);
        render.Signal(signal);
        EngineCli.Outcome o = render.Wait(TimeSpan.FromSeconds(60));
        AssertOneLine(o, exitCode, $"interrupted by {word}");
        AssertNothingLeft(dir, "short.mid", "short.wav", "short.frames");
    }

    private static void Patch(string path, long offset, byte[] bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }
}
