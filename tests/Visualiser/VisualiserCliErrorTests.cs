using Losses.Tests.Cli;

namespace Losses.Tests.Visualiser;

/// <summary>Bad input ends in one line on stderr starting "losses: " and a failing exit, never a stack trace.</summary>
public sealed class VisualiserCliErrorTests
{
    [Theory]
    [InlineData("1280")]
    [InlineData("12x720")]
    [InlineData("1281x720")]
    [InlineData("axb")]
    [InlineData("99999x720")]
    public void ABadSizeIsOneLineAndExitTwo(string size)
    {
        EngineCli.Outcome r = VisualiserKit.Run("--frames", "x.frames", "-o", "x.mp4", "--size", size);
        VisualiserKit.AssertOneLineError(r, "--size");
        Assert.Equal(2, r.ExitCode);
    }

    [Theory]
    [InlineData("641x360")]
    [InlineData("640")]
    [InlineData("")]
    public void ABadBenchFeedSizeIsOneLineAndExitTwo(string size)
    {
        EngineCli.Outcome r = VisualiserKit.Run("--bench", "--feed", size);
        VisualiserKit.AssertOneLineError(r, $"--feed '{size}' is not a size");
        Assert.Equal(2, r.ExitCode);
    }

    [Theory]
    [InlineData("fuzzy")]
    [InlineData("Nearest")]
    [InlineData("")]
    public void ABadVideoSamplingIsOneLineAndExitTwo(string sampling)
    {
        EngineCli.Outcome r = VisualiserKit.Run("--bench", "--video-sampling", sampling);
        VisualiserKit.AssertOneLineError(r, $"--video-sampling '{sampling}' is not a sampling: give bilinear or nearest");
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void AnUnknownOptionIsOneLineAndExitTwo()
    {
        EngineCli.Outcome r = VisualiserKit.Run("--colour", "red");
        VisualiserKit.AssertOneLineError(r, "unknown option '--colour'");
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void AMissingVideoFileIsOneLine()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "--video", Path.Combine(dir, "nope.mp4"), "-o", Path.Combine(dir, "o.mp4"));
        VisualiserKit.AssertOneLineError(r, "file not found");
        Assert.Equal(1, r.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir, "o.mp4")));

        // Live too: before any window is opened.
        r = VisualiserKit.Run("--ring", "losses-test-none", "--video", Path.Combine(dir, "nope.mp4"));
        VisualiserKit.AssertOneLineError(r, "file not found");
    }

    [Fact]
    public void AVideoFileOpenCvCannotReadIsOneLine()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        string fake = Path.Combine(dir, "fake.mp4");
        File.WriteAllText(fake, "not a video");
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "--video", fake, "-o", Path.Combine(dir, "o.mp4"));
        VisualiserKit.AssertOneLineError(r, "cannot read");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("missing")]
    public void ACorruptFrameLogIsOneLine(string kind)
    {
        string dir = EngineCli.TempDir();
        string path = Path.Combine(dir, "bad.frames");
        if (kind == "garbage") File.WriteAllBytes(path, new byte[500]);
        if (kind == "truncated")
        {
            string good = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
            byte[] bytes = File.ReadAllBytes(good);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        }
        EngineCli.Outcome r = VisualiserKit.Run("--frames", path, "-o", Path.Combine(dir, "o.mp4"));
        VisualiserKit.AssertOneLineError(r, "bad.frames");
        Assert.Equal(1, r.ExitCode);
    }

    [Fact]
    public void AnOutputOfAnUnknownKindIsOneLine()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "-o", Path.Combine(dir, "o.gif"));
        VisualiserKit.AssertOneLineError(r, ".mp4");
    }

    [Fact]
    public void NoDisplayIsOneLineNotACrash()
    {
        EngineCli.Outcome r = VisualiserKit.Run(new Dictionary<string, string> { ["DISPLAY"] = "", ["WAYLAND_DISPLAY"] = "" }, "--ring", "losses-test-nodisplay");
        VisualiserKit.AssertOneLineError(r, "cannot open a window");
    }
}
