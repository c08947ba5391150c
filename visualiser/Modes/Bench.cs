using System.Diagnostics;
using Losses.Protocol;
using Losses.Visualiser.Scenes;
using Losses.Visualiser.Video;
using OpenCvSharp;

namespace Losses.Visualiser.Modes;

/// <summary>
/// Frame time of each part at a size, headless on whatever GL is here (llvmpipe without a GPU):
/// a new full-size video image uploaded every frame (a 60 fps camera: the worst case), the
/// distortion of the part, the overlay; timed from upload to glFinish. Then the offline path:
/// draw, read back and encode to mp4v.
/// </summary>
public sealed class Bench
{
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public int Frames { get; init; } = 300;

    public int Run()
    {
        using OffscreenRenderer renderer = OffscreenRenderer.Create(Width, Height);
        Console.WriteLine($"losses visualiser benchmark: {Width}x{Height}, {Frames} frames per part, {renderer.Gpu.Renderer}, {Environment.ProcessorCount} cores");
        Mat[] video = MakeVideo(Width, Height, 30);
        Console.WriteLine("| part | what is drawn | median ms | p99 ms | fps (1/median) |");
        Console.WriteLine("|---|---|---|---|---|");
        for (int part = 1; part <= 4; part++)
        {
            double[] times = TimePart(renderer, part, video, readBack: null);
            Array.Sort(times);
            double median = times[times.Length / 2], p99 = times[Math.Min(times.Length - 1, (int)Math.Ceiling(times.Length * 0.99) - 1)];
            Console.WriteLine($"| {part} | {Describe(part)} | {median:0.00} | {p99:0.00} | {1000 / median:0.0} |");
        }
        string temp = Path.Combine(Path.GetTempPath(), $"losses-bench-{Environment.ProcessId}.mp4");
        try
        {
            using var writer = new VideoWriter(temp, FourCC.FromString("mp4v"), 60, new Size(Width, Height));
            var clock = Stopwatch.StartNew();
            double[] times = TimePart(renderer, 4, video, readBack: writer);
            double seconds = clock.Elapsed.TotalSeconds;
            Array.Sort(times);
            Console.WriteLine($"offline (part 4 + read back + mp4v encode): {Frames / seconds:0.0} fps, median {times[times.Length / 2]:0.00} ms/frame");
        }
        finally
        {
            File.Delete(temp);
            foreach (Mat m in video) m.Dispose();
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
            frames[i] = new Mat(height, width, MatType.CV_8UC4); // what the feeds hand over
            GeneratedFeed.Draw(frames[i], i / 30.0);
        }
        return frames;
    }

    private double[] TimePart(OffscreenRenderer renderer, int part, Mat[] video, VideoWriter? readBack)
    {
        var state = new VisualState();
        const int warmUp = 20;
        var times = new double[Frames];
        var clock = new Stopwatch();
        for (int i = -warmUp; i < Frames; i++)
        {
            double now = (i + warmUp) / 60.0;
            Frame f = FrameFor(part, i + warmUp, now);
            state.Apply(f);
            clock.Restart();
            renderer.SetVideo(part >= 3 ? video[(i + warmUp) % video.Length] : null);
            renderer.Draw(state, now);
            if (readBack is not null) readBack.Write(renderer.Read());
            clock.Stop();
            if (i >= 0) times[i] = clock.Elapsed.TotalMilliseconds;
        }
        return times;
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
