using System.Diagnostics;
using Losses.Platform;
using Losses.Platform.Cli;
using Losses.Protocol;
using Losses.Visualiser.Scenes;
using Losses.Visualiser.Video;
using OpenCvSharp;

namespace Losses.Visualiser.Modes;

/// <summary>
/// A frame log rendered into a video file: output frame k shows time k/fps of the engine's sample
/// clock, after every engine frame up to that sample (so every key press spawns its bubble).
/// Headless. .mp4/.mov/.m4v are H.264 (with <see cref="Audio"/> as AAC) through ffmpeg, or OpenCV's
/// mp4v without sound when there is no ffmpeg; .avi is MJPG; .png one still (<see cref="At"/>).
/// </summary>
public sealed class OfflineRender
{
    public required string FramesPath { get; init; }
    public required string OutputPath { get; init; }
    public string? Video { get; init; }
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public double Fps { get; init; } = 60;
    public bool Hud { get; init; }
    /// <summary>A WAV (the render's) to put into the video as its sound.</summary>
    public string? Audio { get; init; }
    /// <summary>Part 3 as the original piece (--ldd).</summary>
    public bool Original { get; init; }
    public VideoSampling VideoSampling { get; init; }
    /// <summary>For a .png: the time of the still, seconds (default: the last frame).</summary>
    public double? At { get; init; }
    /// <summary>The longest performance rendered (bounds the video frames planned from the log's times).</summary>
    public double MaxSeconds { get; init; } = Limits.DefaultMaxSeconds;

    public int Run()
    {
        using FrameLogReader log = OpenLog(FramesPath);
        if (log.Count == 0) throw new VisualiserException($"{FramesPath}: the frame log holds no frames (render again with --frames)");
        try
        {
            log.CheckTimes(FramesPath, MaxSeconds);
        }
        catch (FrameLogException e)
        {
            throw new VisualiserException(e.Message);
        }
        Frame last = log.Read(log.Count - 1);
        double duration = (double)last.SampleTime / log.SampleRate;
        bool still = Path.GetExtension(OutputPath).Equals(".png", StringComparison.OrdinalIgnoreCase);
        string? fourcc = FourCcFor(OutputPath);
        if (!still && fourcc is null) throw new UsageException($"visualise: -o {OutputPath}: write a .mp4, .mov, .m4v, .avi or .png");
        if (Audio is not null && (still || FfmpegWriter.ContainerFor(OutputPath) is null))
            throw new UsageException($"visualise: --audio goes into a .mp4, .mov or .m4v video, not {Path.GetFileName(OutputPath)}");
        if (Audio is not null && !File.Exists(Audio)) throw new VisualiserException($"--audio {Audio}: no such file (the WAV of the render: render -o OUT.wav)");
        // H.264 + AAC through ffmpeg when it is here; else OpenCV's mp4v, silent, and one line saying so.
        string? ffmpeg = still || FfmpegWriter.ContainerFor(OutputPath) is null ? null : FfmpegWriter.Find();
        if (!still && ffmpeg is null && FfmpegWriter.ContainerFor(OutputPath) is not null)
            Console.Error.WriteLine($"losses: ffmpeg not found: writing mp4v{(Audio is null ? "" : " without sound")}, which browsers do not play (install ffmpeg: sudo apt-get install ffmpeg)");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(OutputPath));
        if (dir is not null && !Directory.Exists(dir)) throw new VisualiserException($"-o {OutputPath}: folder {dir} does not exist");
        // Temp beside the target, created exclusively under a random name; the frame log (and a video file) are inputs it may not overwrite.
        using var outputs = new OutputSet(FramesPath, Video, Audio);
        using var interruption = new Interruption(); // Ctrl-C or SIGTERM: stop at the next video frame, remove the temporary file
        using var output = new PendingFile(OutputPath, set: outputs);
        output.Stream.Dispose(); // OpenCV writes the file by its name

        using IVideoFeed feed = VideoSource.OpenOffline(Video, Width, Height);
        if (feed.Problem is not null) Console.Error.WriteLine($"losses: {feed.Problem}");
        using OffscreenRenderer renderer = OffscreenRenderer.Create(Width, Height);
        renderer.Stage.Options.Hud = Hud;
        renderer.Stage.Options.Original = Original;
        renderer.Stage.Options.VideoSampling = VideoSampling;
        renderer.Stage.Options.Notice = feed.Problem;
        var state = new VisualState();
        long next = 0;

        void ApplyUpTo(long sample)
        {
            for (; next < log.Count; next++)
            {
                Frame f = log.Read(next);
                if (f.SampleTime > sample) break;
                state.Apply(f);
            }
        }

        if (still)
        {
            // A time past the last frame would show the last frame under a time that never happened.
            if (At > duration + 0.5 / log.SampleRate)
                throw new UsageException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"visualise: --at {At} is past the end of {FramesPath} ({duration:0.000} s): give 0..{Math.Floor(duration * 1000) / 1000:0.000}"));
            double t = Math.Clamp(At ?? duration, 0, duration);
            ApplyUpTo((long)Math.Floor(t * log.SampleRate));
            renderer.SetVideo(feed, t);
            renderer.Draw(state, t);
            renderer.Read();
            renderer.SavePng(output.TempPath);
            output.Commit();
            outputs.Commit();
            Console.WriteLine($"wrote {OutputPath} ({Width}x{Height}, t = {t:0.000} s, part {state.Current.Part})");
            return 0;
        }

        long frames = (long)Math.Floor(duration * Fps + 1e-9) + 1; // duration ≤ MaxSeconds: bounded
        var clock = Stopwatch.StartNew();
        {
            using (FfmpegWriter? encoder = ffmpeg is null ? null : new FfmpegWriter(ffmpeg, output.TempPath, Width, Height, Fps, Audio))
            using (VideoWriter? writer = encoder is not null ? null : new VideoWriter(output.TempPath, FourCC.FromString(fourcc!), Fps, new Size(Width, Height)))
            {
                if (writer is not null && !writer.IsOpened()) throw new VisualiserException($"-o {OutputPath}: OpenCV cannot write this video ({fourcc})");
                double lastReport = 0;
                for (long k = 0; k < frames; k++)
                {
                    interruption.ThrowIfRequested();
                    double t = k / Fps;
                    // Engine frames at or before this video frame's sample; in doubles (the fps may be fractional),
                    // nudged by 1e-6 so a product that lands on a whole sample is not floored to the one before.
                    ApplyUpTo((long)Math.Floor(k * (double)log.SampleRate / Fps + 1e-6));
                    renderer.SetVideo(feed, t);
                    renderer.Draw(state, t);
                    Mat image = renderer.Read();
                    if (encoder is not null) encoder.Write(image);
                    else writer!.Write(image);
                    if (clock.Elapsed.TotalSeconds - lastReport >= 5)
                    {
                        lastReport = clock.Elapsed.TotalSeconds;
                        Console.Error.WriteLine($"{k + 1}/{frames} frames ({(k + 1) / lastReport:0.0} fps)");
                    }
                }
                encoder?.Finish();
            }
            output.Commit();
            outputs.Commit();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"wrote {OutputPath}: {frames} frames, {Width}x{Height} at {Fps:0.###} fps ({duration:0.00} s of performance) in {seconds:0.0} s = {frames / seconds:0.0} fps [{(ffmpeg is null ? fourcc : Audio is null ? "H.264" : "H.264 + AAC")}, {renderer.Gpu.Renderer}]");
        return 0;
    }

    internal static FrameLogReader OpenLog(string path)
    {
        try
        {
            return FrameLogReader.Open(path);
        }
        catch (FrameLogException e)
        {
            throw new VisualiserException(e.Message);
        }
    }

    public static string? FourCcFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".mov" or ".m4v" => "mp4v",
        ".avi" => "MJPG",
        _ => null,
    };
}
