using System.Globalization;
using Losses.Platform.Cli;
using Losses.Protocol;
using Losses.Visualiser.Modes;

namespace Losses.Visualiser;

public static class Program
{
    private const string Modes = """
        modes:
          live:     losses visualise [--ring NAME] [--video SRC] [--video-sampling nearest] [--size WxH] [--fullscreen] [--status SECONDS]
          remote:   losses visualise --listen [ADDR:]PORT [--allow ADDR[/BITS]] [live options]   frames from losses osc --frame-blob
                    losses visualise --listen [ADDR:]PORT -o OUT.png|OUT.mp4 [--at SECONDS] [offline options]
          offline:  losses visualise --frames IN.frames -o OUT.mp4 [--audio IN.wav] [--video SRC] [--video-sampling nearest] [--size WxH] [--fps N] [--hud] [--max-seconds S]
          still:    losses visualise --frames IN.frames -o OUT.png [--at SECONDS] [--video SRC] [--size WxH] [--hud]
          bench:    losses visualise --bench [--size WxH] [--count N] [--feed WxH] [--video-sampling nearest]
          monitors: losses visualise --monitors
        keys (live): H toggles the HUD, F full screen, Esc quits
        """;

    public static int Main(string[] args)
    {
        Native.QuietOpenCv.Apply();
        return ExitCode.Run(() => Command().Run(args),
            e => e is VisualiserException or OpenCvSharp.OpenCVException || RingOption.IsProtocolFailure(e));
    }

    private static Command Command()
    {
        string ring = "losses";
        string? video = null, frames = null, output = null, monitor = null, audio = null;
        int width = 1280, height = 720, count = 300;
        double fps = 60, status = 0, maxSeconds = Platform.Limits.DefaultMaxSeconds;
        double? at = null;
        bool fullScreen = false, hud = false, bench = false, monitors = false, original = false;
        System.Net.IPEndPoint? listen = null;
        var allow = new List<string>();
        (int Width, int Height)? feed = null;
        var sampling = Scenes.VideoSampling.Bilinear;
        return new Command("visualise", "", "curves, knots and distorted video: live from the engine's ring, or a frame log into a video", () =>
        {
            if (monitors) return Monitors.Print();
            if (bench) return new Bench { Width = width, Height = height, Frames = count, Feed = feed, VideoSampling = sampling }.Run();
            if (frames is not null)
            {
                if (output is null) throw new UsageException("visualise: --frames needs -o OUT.mp4 (or OUT.png)");
                return new OfflineRender { FramesPath = frames, OutputPath = output, Audio = audio, Video = video, Width = width, Height = height, Fps = fps, Hud = hud, Original = original, VideoSampling = sampling, At = at, MaxSeconds = maxSeconds }.Run();
            }
            if (audio is not null) throw new UsageException("visualise: --audio goes with --frames IN.frames -o OUT.mp4 (the render's WAV into its video)");
            Protocol.Osc.OscSenders senders = Protocol.Osc.OscSenders.FromOptions("visualise", listen, "--listen", allow, "--allow", "frames");
            if (output is not null && listen is { } local)
                return new RemoteCapture { Listen = local, Senders = senders, MaxSeconds = maxSeconds, OutputPath = output, Render = log => new OfflineRender { FramesPath = log, OutputPath = output, Video = video, Width = width, Height = height, Fps = fps, Hud = hud, Original = original, VideoSampling = sampling, At = at } }.Run();
            if (output is not null) throw new UsageException("visualise: -o renders a frame log: give --frames IN.frames (or --listen PORT) too");
            return new LiveWindow { Ring = ring, Listen = listen, Senders = senders, Monitor = monitor, Video = video, Width = width, Height = height, FullScreen = fullScreen, StatusEvery = status, Original = original, VideoSampling = sampling }.Run();
        }, notes: Modes)
        {
            { "--ring", "NAME", "the engine's frame ring, default 'losses'", r => ring = r.Ring() },
            { "--listen", "[ADDR:]PORT", "draw from /losses/frame blobs on this UDP port instead of the ring, this machine only; ADDR (0.0.0.0: every interface) opens it to --allow",
                r => listen = Protocol.Osc.OscListen.TryParse(r.Value(), out var local, out string problem) ? local : throw r.Error($"--listen {problem}") },
            { "--allow", "ADDR[/BITS]|any", "who may send frames when --listen has an address (repeatable): 192.168.1.20, 192.168.1.0/24, any", r => allow.Add(r.Value()) },
            { "--video", "SRC", "a camera index (0), a video file, or 'pattern' (generated); live default: pattern", r => video = r.Value() },
            { "--size", "WxH", "window or video size, default 1280x720", r => (width, height) = ParseSize(r) },
            { "--video-sampling", "bilinear|nearest", "how the camera is scaled to the frame: bilinear (default), or nearest (its pixels repeated: blockier, less work for a software-rendered projector)",
                r => sampling = r.Value() switch
                {
                    "bilinear" => Scenes.VideoSampling.Bilinear,
                    "nearest" => Scenes.VideoSampling.Nearest,
                    string v => throw r.Error($"--video-sampling '{v}' is not a sampling: give bilinear or nearest"),
                } },
            { "--fullscreen", "full screen on the primary monitor", () => fullScreen = true },
            { "--monitor", "N|NAME", "full screen on that monitor (the projector); F: a window on it", r => monitor = r.Value() },
            { "--monitors", "list the monitors (number, name, position, mode)", () => monitors = true },
            { "--frames", "IN.frames", "render this frame log (offline) instead of following the ring", r => frames = r.Path() },
            { "-o|--output", "OUT", "the video (.mp4, .mov, .m4v: H.264 with ffmpeg; .avi) or still (.png) to write", r => output = r.Path() },
            { "--audio", "IN.wav", "the sound of the video: the WAV of the same render (AAC, with ffmpeg)", r => audio = r.Path() },
            { "--max-seconds", "S", "refuse a frame log whose last frame is later than this (default 14400 = 4 h)", r => maxSeconds = r.Number(1, Platform.Limits.HighestMaxSeconds) },
            { "--fps", "N", "video frames per second, 1..240 (default 60)", r => fps = r.Number(1, 240) },
            { "--at", "SECONDS", "the still's time in the performance", r => at = r.Number(0, 1e7) },
            { "--hud", "draw the HUD (part, loss, steps) into the video", () => hud = true },
            { "--ldd", "part 3 as the original piece: planes moved by 100·gradient in x and y, on a frame with probability loss × 100", () => original = true },
            { "--status", "SECONDS", "live: print a status line this often (for scripts and tests)", r => status = r.Number(0.05, 3600) },
            { "--bench", "measure the frame time of each scene (headless)", () => bench = true },
            { "--count", "N", "bench: frames per scene, 10..100000 (default 300)", r => count = r.Int(10, 100_000) },
            { "--feed", "WxH", "bench: a camera of this size, new images at 30 fps (default: full size, new every frame)", r => feed = ParseSize(r, "--feed") },
        };
    }

    /// <summary>"1280x720": both even (video encoders need it), 16..7680 × 16..4320.</summary>
    private static (int Width, int Height) ParseSize(OptionReader r, string option = "--size")
    {
        string text = r.Value();
        string[] parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && w is >= 16 and <= 7680 && h is >= 16 and <= 4320 && w % 2 == 0 && h % 2 == 0)
            return (w, h);
        throw r.Error($"{option} '{text}' is not a size: give WxH with even numbers, 16..7680 by 16..4320 (e.g. 1280x720)");
    }
}
