using Losses.Protocol;
using Losses.Tests.Cli;
using OpenCvSharp;

namespace Losses.Tests.Visualiser;

/// <summary>A frame log from the real engine rendered by the real visualiser into a video, read back by OpenCV.</summary>
public sealed class OfflineRenderTests
{
    [Theory]
    [InlineData("out.mp4", 20)]
    [InlineData("out.avi", 12)]
    public void AFrameLogBecomesAVideoWithOneFramePerTickOfTheClock(string name, int fps)
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 2));
        string video = VisualiserKit.MakeVideo(dir);
        string output = Path.Combine(dir, name);

        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "--video", video, "-o", output, "--size", "320x180", "--fps", fps.ToString(), "--hud");
        Assert.True(r.ExitCode == 0, r.Stderr);

        long expected;
        using (FrameLogReader log = FrameLogReader.Open(frames))
        {
            Frame last = log.Read(log.Count - 1);
            expected = (long)Math.Floor((double)last.SampleTime / log.SampleRate * fps + 1e-9) + 1;
            Assert.Contains(log.ReadAll(), f => f.Part == 4); // the video shows part 4's bubbles too
        }
        using var capture = new VideoCapture(output);
        Assert.True(capture.IsOpened());
        Assert.Equal(320, capture.FrameWidth);
        Assert.Equal(180, capture.FrameHeight);
        long read = 0;
        using var image = new Mat();
        while (capture.Read(image) && !image.Empty()) read++;
        Assert.Equal(expected, read);
        Assert.Contains($"{expected} frames", r.Stdout);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*")); // nothing half-written left behind
    }

    [Fact]
    public void AStillOfAFrameLogIsAPng()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 2));
        string png = Path.Combine(dir, "still.png");
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "-o", png, "--at", "0.5", "--size", "160x90");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using Mat image = Cv2.ImRead(png);
        Assert.Equal(160, image.Width);
        Assert.Equal(90, image.Height);
        Assert.True(Cv2.CountNonZero(image.CvtColor(ColorConversionCodes.BGR2GRAY)) > 50); // the part 1 curves
    }

    [Fact]
    public void NoCameraGivesOneLineAndABlackBackgroundNotACrash()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        string output = Path.Combine(dir, "cam.mp4");
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "--video", "0", "-o", output, "--size", "160x90", "--fps", "10");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("losses: no camera at index 0", r.Stderr);
        Assert.True(File.Exists(output));
    }
}
