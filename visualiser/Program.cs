using System.Globalization;
using Losses.Visualiser.Modes;

namespace Losses.Visualiser;

public static class Program
{
    public const string Usage = """
        losses visualise — curves, knots and distorted video

          live:     losses visualise [--ring NAME] [--video SRC] [--size WxH] [--fullscreen] [--status SECONDS]
          remote:   losses visualise --listen PORT [live options]       frames from losses osc --frame-blob
                    losses visualise --listen PORT -o OUT.png|OUT.mp4 [--at SECONDS] [offline options]
          offline:  losses visualise --frames IN.frames -o OUT.mp4 [--video SRC] [--size WxH] [--fps N] [--hud] [--max-seconds S]
          still:    losses visualise --frames IN.frames -o OUT.png [--at SECONDS] [--video SRC] [--size WxH] [--hud]
          bench:    losses visualise --bench [--size WxH] [--count N] [--feed WxH]

          --video SRC   a camera index (0), a video file, or 'pattern' (generated); live default: pattern
          --size WxH    window or video size, default 1280x720
          --feed WxH    bench: a camera-sized feed of new images at 30 fps (default: full size, new every frame)
          --ring NAME   the engine's frame ring, default 'losses'
          --listen PORT draw from /losses/frame blobs on this UDP port instead of the ring
          --monitor N|NAME  full screen on that monitor (the projector); F: a window on it
          --monitors    list the monitors (number, name, position, mode)
          --max-seconds S  refuse a frame log whose last frame is later than this (default 14400 = 4 h)
          keys (live):  H toggles the HUD, F full screen, Esc quits
        """;

    public static int Main(string[] args)
    {
        Native.QuietOpenCv.Apply();
        try
        {
            return Run(args);
        }
        catch (VisualiserException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return e is UsageException ? 2 : 1;
        }
        catch (Protocol.StoppedException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OpenCvSharp.OpenCVException or Protocol.LimitException)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return 1;
        }
    }

    private static int Run(string[] args)
    {
        string ring = "losses";
        string? video = null, frames = null, output = null, monitor = null;
        int width = 1280, height = 720, count = 300;
        double fps = 60, status = 0, maxSeconds = Protocol.Limits.DefaultMaxSeconds;
        double? at = null;
        bool fullScreen = false, hud = false, bench = false;
        int? listen = null;
        (int Width, int Height)? feed = null;

        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new UsageException($"{arg} needs a value (try: losses visualise --help)");
                return args[++i];
            }
            switch (arg)
            {
                case "--ring": ring = Value(); break;
                case "--listen": listen = (int)ParseNumber(arg, Value(), 1, 65535); break;
                case "--video": video = Value(); break;
                case "--size": (width, height) = ParseSize(Value()); break;
                case "--fullscreen": fullScreen = true; break;
                case "--monitor": monitor = Value(); break;
                case "--monitors": return Monitors.Print();
                case "--frames": frames = PathValue(arg, Value()); break;
                case "-o" or "--output": output = PathValue(arg, Value()); break;
                case "--max-seconds": maxSeconds = ParseNumber(arg, Value(), 1, Protocol.Limits.HighestMaxSeconds); break;
                case "--fps": fps = ParseNumber(arg, Value(), 1, 240); break;
                case "--at": at = ParseNumber(arg, Value(), 0, 1e7); break;
                case "--hud": hud = true; break;
                case "--status": status = ParseNumber(arg, Value(), 0.05, 3600); break;
                case "--bench": bench = true; break;
                case "--count": count = (int)ParseNumber(arg, Value(), 10, 100_000); break;
                case "--feed": feed = ParseSize(Value(), arg); break;
                case "-h" or "--help" or "help":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    throw new UsageException($"visualise: unknown option '{arg}' (try: losses visualise --help)");
            }
        }

        if (bench) return new Bench { Width = width, Height = height, Frames = count, Feed = feed }.Run();
        if (frames is not null)
        {
            if (output is null) throw new UsageException("visualise: --frames needs -o OUT.mp4 (or OUT.png)");
            return new OfflineRender { FramesPath = frames, OutputPath = output, Video = video, Width = width, Height = height, Fps = fps, Hud = hud, At = at, MaxSeconds = maxSeconds }.Run();
        }
        if (output is not null && listen is int port)
            return new RemoteCapture { Port = port, OutputPath = output, Render = log => new OfflineRender { FramesPath = log, OutputPath = output, Video = video, Width = width, Height = height, Fps = fps, Hud = hud, At = at } }.Run();
        if (output is not null) throw new UsageException("visualise: -o renders a frame log: give --frames IN.frames (or --listen PORT) too");
        return new LiveWindow { Ring = ring, ListenPort = listen, Monitor = monitor, Video = video, Width = width, Height = height, FullScreen = fullScreen, StatusEvery = status }.Run();
    }

    /// <summary>"1280x720": both even (video encoders need it), 16..7680 × 16..4320.</summary>
    public static (int Width, int Height) ParseSize(string text, string option = "--size")
    {
        string[] parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && w is >= 16 and <= 7680 && h is >= 16 and <= 4320 && w % 2 == 0 && h % 2 == 0)
            return (w, h);
        throw new UsageException($"{option} '{text}' is not a size: give WxH with even numbers, 16..7680 by 16..4320 (e.g. 1280x720)");
    }

    /// <summary>A file path option: empty or malformed is a usage error (exit 2).</summary>
    private static string PathValue(string option, string path) =>
        Protocol.OutputSet.PathProblem(path) is string problem ? throw new UsageException($"visualise: {option} {problem}") : path;

    private static double ParseNumber(string option, string text, double min, double max)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= min && v <= max) return v;
        throw new UsageException($"{option} '{text}' is not a number in {min}..{max}");
    }
}
