using System.Diagnostics;
using Losses.Protocol;
using Losses.Visualiser.Scenes;
using Losses.Visualiser.Video;
using OpenCvSharp;

namespace Losses.Visualiser.Modes;

/// <summary>
/// Frame time of each part at a size, headless on whatever GL is here (llvmpipe without a GPU):
/// the video feed's new images fitted to the frame and uploaded as they come (by default a
/// full-size image every frame, a 60 fps camera: the worst case; with <see cref="Feed"/> a camera of
/// that size at 30 fps), the distortion of the part, the overlay; frames at 60 fps of the clock,
/// each timed from the camera's image to glFinish. The fitting (<see cref="FrameFitter"/>), which a
/// camera's own thread does live, is done and timed in the frame here: its CPU time counts. Then
/// the offline path: draw, read back and encode to mp4v.
/// </summary>
public sealed class Bench
{
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int Frames { get; init; } = 300;
    /// <summary>A camera-sized feed (its new images at <see cref="FeedFps"/>), or null for the full-size worst case.</summary>
    public (int Width, int Height)? Feed { get; init; }
    public const int FeedFps = 30;
    public VideoSampling VideoSampling { get; init; }

    public int Run()
    {
        using OffscreenRenderer renderer = OffscreenRenderer.Create(Width, Height);
        renderer.Stage.Options.VideoSampling = VideoSampling;
        (int feedWidth, int feedHeight) = Feed ?? (Width, Height);
        string feed = Feed is null ? $"feed {feedWidth}x{feedHeight} new every frame" : $"feed {feedWidth}x{feedHeight} at {FeedFps} fps";
        Console.WriteLine($"losses visualiser benchmark: {Width}x{Height}, {feed}, {VideoSampling.ToString().ToLowerInvariant()} video sampling, {Frames} frames per part, {renderer.Gpu.Renderer}, {Environment.ProcessorCount} cores");
        using var video = new BenchFeed(MakeVideo(feedWidth, feedHeight, 30), Feed is null ? 60 : FeedFps);
        Console.WriteLine("| part | what is drawn | median ms | p99 ms | fps (1/median) | CPU ms (median, all threads) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int part = 1; part <= 4; part++)
        {
            (double[] times, double[] cpu) = TimePart(renderer, part, video, readBack: null);
            Array.Sort(times);
            Array.Sort(cpu);
            double median = times[times.Length / 2], p99 = times[Math.Min(times.Length - 1, (int)Math.Ceiling(times.Length * 0.99) - 1)];
            Console.WriteLine($"| {part} | {Describe(part)} | {median:0.00} | {p99:0.00} | {1000 / median:0.0} | {cpu[cpu.Length / 2]:0.00} |");
        }
        string temp = Path.Combine(Path.GetTempPath(), $"losses-bench-{Environment.ProcessId}.mp4");
        try
        {
            using var writer = new VideoWriter(temp, FourCC.FromString("mp4v"), 60, new Size(Width, Height));
            var clock = Stopwatch.StartNew();
            (double[] times, _) = TimePart(renderer, 4, video, readBack: writer);
            double seconds = clock.Elapsed.TotalSeconds;
            Array.Sort(times);
            Console.WriteLine($"offline (part 4 + read back + mp4v encode): {Frames / seconds:0.0} fps, median {times[times.Length / 2]:0.00} ms/frame");
        }
        finally
        {
            File.Delete(temp);
        }
        return 0;
    }

    private static string Describe(int part) => part switch
    {
        1 => "cubics, 100 points, 12 lingering curves",
        2 => "two knots, 900 segments each",
        3 => "video + Distortion 1 + knots",
        _ => "video + Distortion 2 (~30 bubbles) + cubics",
    };

    private static Mat[] MakeVideo(int width, int height, int count)
    {
        var frames = new Mat[count];
        for (int i = 0; i < count; i++)
        {
            frames[i] = new Mat(height, width, MatType.CV_8UC3); // what a camera hands over
            GeneratedFeed.Draw(frames[i], i / 30.0);
        }
        return frames;
    }

    /// <summary>Wall time of each frame, and the process's CPU time in it (llvmpipe's threads too: what the frame cost, whatever else the machine runs).</summary>
    private (double[] Wall, double[] Cpu) TimePart(OffscreenRenderer renderer, int part, BenchFeed video, VideoWriter? readBack)
    {
        var state = new VisualState();
        const int warmUp = 20;
        var times = new double[Frames];
        var cpu = new double[Frames];
        var clock = new Stopwatch();
        video.Restart();
        for (int i = -warmUp; i < Frames; i++)
        {
            double now = (i + warmUp) / 60.0;
            Frame f = FrameFor(part, i + warmUp, now);
            state.Apply(f);
            TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
            clock.Restart();
            // The feed's image at this time, fitted and uploaded only when it is a new one (as the live window does).
            if (part >= 3) renderer.SetVideo(video, now);
            else renderer.SetVideo((Mat?)null);
            renderer.Draw(state, now);
            if (readBack is not null) readBack.Write(renderer.Read());
            clock.Stop();
            if (i < 0) continue;
            times[i] = clock.Elapsed.TotalMilliseconds;
            cpu[i] = (Environment.CpuUsage.TotalTime - cpuBefore).TotalMilliseconds;
        }
        return (times, cpu);
    }

    /// <summary>A camera of images made beforehand, a new one at each tick of its rate, fitted on the calling thread.</summary>
    private sealed class BenchFeed(Mat[] images, double fps) : IVideoFeed
    {
        private readonly Mat _fitted = new();
        private readonly FrameFitter _fitter = new();
        private long _shown = -1;
        private int _width, _height;

        public string? Problem => null;

        public void Restart() => _shown = -1;

        public void FitTo(int width, int height) => (_width, _height) = (width, height);

        public Mat FrameAt(double seconds, out bool changed)
        {
            long tick = (long)Math.Floor(seconds * fps + 1e-9);
            changed = tick != _shown;
            if (changed) _fitter.Fit(images[tick % images.Length], _fitted, _width, _height);
            _shown = tick;
            return _fitted;
        }

        public void Dispose()
        {
            foreach (Mat m in images) m.Dispose();
            _fitted.Dispose();
            _fitter.Dispose();
        }
    }

    private static Frame FrameFor(int part, int i, double now)
    {
        float wobble = (float)Math.Sin(now);
        float[] gradient = [0.06f * wobble, -0.04f, 0.08f * wobble, 0.01f];
        if (part is 2 or 3)
            return SampleFrames.Knot(part, (3, 5, 7), [0.2f, 0.5f, 0.9f], [0.2f + 0.3f * wobble, 0.4f, 0.6f], gradient, now);
        // A new target every 20 frames, so curves linger (8 of them at any time after a while).
        Frame f = SampleFrames.Cubic(part, [0.8f, -0.3f, -0.6f, 0.1f], [0.5f * wobble, 0.2f, -0.1f, 0], gradient, now, cubicTargets: 1 + i / 20);
        if (part == 4 && i % 3 == 0) SampleFrames.Press(ref f, 64 + i % 24, now);
        return f;
    }
}
