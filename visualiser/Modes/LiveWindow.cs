using Losses.Protocol.Osc;
using System.Diagnostics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;
using Losses.Visualiser.Native;
using Losses.Visualiser.Scenes;
using Losses.Visualiser.Video;
using OpenCvSharp;

namespace Losses.Visualiser.Modes;

/// <summary>
/// The live visualiser: one flat loop — read every new frame from the ring, draw, swap, poll keys.
/// It only reads the ring (mapped read-only), so it cannot slow the engine; it waits when there is
/// no engine yet and follows an engine restart (a new generation) on its own.
/// </summary>
public sealed class LiveWindow
{
    public string Ring { get; init; } = "losses";
    /// <summary>Draw from /losses/frame blobs on this UDP address instead of the ring (a remote engine).</summary>
    public System.Net.IPEndPoint? Listen { get; init; }
    /// <summary>Who may send them: this machine only unless a list was given.</summary>
    public OscSenders Senders { get; init; } = OscSenders.LoopbackOnly;
    public string? Video { get; init; }
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public bool FullScreen { get; init; }
    /// <summary>The projector: full screen (borderless, its current mode) on this monitor, number or name; F toggles a window on it.</summary>
    public string? Monitor { get; init; }
    /// <summary>Print a status line this often (seconds; 0 = only on changes).</summary>
    public double StatusEvery { get; init; }
    public double MaxFps { get; init; } = 60;
    /// <summary>Part 3 as the original piece (--ldd).</summary>
    public bool Original { get; init; }
    public VideoSampling VideoSampling { get; init; }

    public unsafe int Run()
    {
        using IFrameSource reader = Listen is { } local ? new OscFrameSource(local, Senders) : new RingFrameSource(Ring);
        using IVideoFeed feed = VideoSource.OpenLive(Video, Width, Height);
        if (feed.Problem is not null) Console.Error.WriteLine($"losses: {feed.Problem}");

        if (!Glfw.IsAvailable()) throw new VisualiserException("cannot open a window: libglfw.so.3 is missing (apt-get install libglfw3)");
        if (Glfw.glfwInit() == 0)
            throw new VisualiserException($"cannot open a window: {Glfw.LastError() ?? "GLFW failed to start"} (no display? run under xvfb-run, or render offline with --frames)");
        nint window = 0;
        try
        {
            Glfw.glfwWindowHint(Glfw.ContextVersionMajor, 3);
            Glfw.glfwWindowHint(Glfw.ContextVersionMinor, 3);
            Glfw.glfwWindowHint(Glfw.OpenGlProfile, Glfw.OpenGlCoreProfile);
            Glfw.glfwWindowHint(Glfw.OpenGlForwardCompat, Glfw.True);
            window = Glfw.glfwCreateWindow(Width, Height, "Losses", 0, 0);
            if (window == 0) throw new VisualiserException($"cannot open a window: {Glfw.LastError() ?? "no OpenGL 3.3 context"}");
            Glfw.glfwMakeContextCurrent(window);
            Glfw.glfwSwapInterval(1);
            MonitorInfo? monitor = Monitor is null ? null : Monitors.Select(Monitors.List(), Monitor);
            var screen = new FullScreenToggle(window, monitor?.Handle ?? 0);
            if (monitor is not null)
            {
                // A window first centred on the projector, so toggling back out of full screen stays there.
                Glfw.glfwSetWindowPos(window, monitor.X + Math.Max(0, (monitor.Width - Width) / 2), monitor.Y + Math.Max(0, (monitor.Height - Height) / 2));
                Console.Error.WriteLine($"on monitor {monitor}");
            }
            if (FullScreen || monitor is not null) screen.Toggle();
            return Loop(window, reader, feed, screen);
        }
        finally
        {
            if (window != 0) Glfw.glfwDestroyWindow(window);
            Glfw.glfwTerminate();
        }
    }

    private unsafe int Loop(nint window, IFrameSource reader, IVideoFeed feed, FullScreenToggle screen)
    {
        using var gpu = new Gpu(name => Glfw.glfwGetProcAddress(name));
        using var stage = new Stage(gpu);
        using Texture video = gpu.LoadTexture();
        Console.Error.WriteLine($"visualiser on {gpu.Renderer}; H: HUD, F: full screen, Esc: quit");
        stage.Options.Hud = true;
        stage.Options.Original = Original;
        stage.Options.VideoSampling = VideoSampling;
        stage.Options.Notice = feed.Problem;
        var state = new VisualState();
        var keys = new KeyEdges(window);
        var wall = Stopwatch.StartNew();
        double arrival = 0, lastStatus = 0, fps = 0, lastDraw = 0;
        long generation = -1;
        RingState shown = (RingState)(-1);
        bool hasVideo = false;

        while (Glfw.glfwWindowShouldClose(window) == 0)
        {
            Glfw.glfwPollEvents();
            if (keys.Pressed(Glfw.KeyEscape)) break;
            if (keys.Pressed(Glfw.KeyH)) stage.Options.Hud = !stage.Options.Hud;
            if (keys.Pressed(Glfw.KeyF)) screen.Toggle();

            // Every frame since the last draw, in order: no key press is missed.
            while (reader.TryRead(out Frame frame))
            {
                if (reader.Generation != generation)
                {
                    if (generation != -1) Console.Error.WriteLine($"the engine restarted (generation {reader.Generation}): following it");
                    generation = reader.Generation;
                    state.Reset();
                }
                state.Apply(frame);
                arrival = wall.Elapsed.TotalSeconds;
            }
            if (reader.State != shown)
            {
                shown = reader.State;
                string line = reader.Describe();
                Console.Error.WriteLine(line);
                stage.Options.Message = shown == RingState.Live ? null : line;
            }

            double now = wall.Elapsed.TotalSeconds;
            // The engine's clock, run on by the wall clock between frames (at most a quarter second).
            double clock = state.FrameSeconds + Math.Min(now - arrival, 0.25);
            int width, height;
            Glfw.glfwGetFramebufferSize(window, &width, &height);
            if (feed is GeneratedFeed generated)
            {
                if (generated.Tick(now, out float tick) || !hasVideo) gpu.DrawPattern(video, generated.Width, generated.Height, tick);
                hasVideo = true;
            }
            else
            {
                if (width > 0 && height > 0)
                {
                    (int fitWidth, int fitHeight) = stage.Options.FitVideoTo(width, height);
                    feed.FitTo(fitWidth, fitHeight);
                }
                Mat? image = feed.FrameAt(now, out bool changed);
                if (image is not null && changed) OffscreenRenderer.Upload(video, image, fitted: true);
                hasVideo |= image is not null;
            }
            if (width > 0 && height > 0)
            {
                double dt = now - lastDraw;
                lastDraw = now;
                if (dt > 0) fps = fps == 0 ? 1 / dt : fps * 0.95 + 0.05 / dt;
                stage.Options.HudExtra = $"\nfps {fps:0.0}   frames dropped {reader.Lost}   engine generation {(generation == -1 ? "-" : generation.ToString())}";
                stage.Draw(state, clock, hasVideo ? video : null, width, height);
                Glfw.glfwSwapBuffers(window);
            }
            // Without vertical sync (Xvfb, some drivers) the loop would spin: no more than MaxFps.
            double spare = 1.0 / MaxFps - (wall.Elapsed.TotalSeconds - now);
            if (spare > 0.001) Thread.Sleep(TimeSpan.FromSeconds(spare));

            if (StatusEvery > 0 && now - lastStatus >= StatusEvery)
            {
                lastStatus = now;
                ref readonly Frame f = ref state.Current;
                Console.WriteLine($"status state={reader.State} generation={generation} frame={(state.HasFrame ? f.Index : -1)} part={f.Part} model={f.Model} seen={reader.Seen} lost={reader.Lost} bubbles={state.BubblesSpawned} fps={fps:0.0} {screen.Describe()}");
            }
        }
        return 0;
    }

    /// <summary>Key presses as edges (a held key toggles once).</summary>
    private sealed class KeyEdges(nint window)
    {
        private readonly HashSet<int> _down = [];

        public bool Pressed(int key)
        {
            bool down = Glfw.glfwGetKey(window, key) == Glfw.Press;
            bool edge = down && !_down.Contains(key);
            if (down) _down.Add(key); else _down.Remove(key);
            return edge;
        }
    }

    /// <summary>F: the window to full screen on its monitor (the primary unless one was chosen) and back to where it was.</summary>
    private sealed unsafe class FullScreenToggle(nint window, nint chosen)
    {
        /// <summary>Where the window is, for the status line: "screen=full 1024x768+0+0" or "screen=window 640x360+192+204".</summary>
        public string Describe()
        {
            int x, y, w, h;
            Glfw.glfwGetWindowPos(window, &x, &y);
            Glfw.glfwGetWindowSize(window, &w, &h);
            return $"screen={(Glfw.glfwGetWindowMonitor(window) != 0 ? "full" : "window")} {w}x{h}+{x}+{y}";
        }

        private int _x, _y, _width, _height;

        public void Toggle()
        {
            if (Glfw.glfwGetWindowMonitor(window) != 0)
            {
                Glfw.glfwSetWindowMonitor(window, 0, _x, _y, _width, _height, 0);
                return;
            }
            nint monitor = chosen != 0 ? chosen : Glfw.glfwGetPrimaryMonitor();
            if (monitor == 0) return;
            Glfw.VideoMode* mode = Glfw.glfwGetVideoMode(monitor);
            if (mode is null) return;
            int x, y, w, h;
            Glfw.glfwGetWindowPos(window, &x, &y);
            Glfw.glfwGetWindowSize(window, &w, &h);
            (_x, _y, _width, _height) = (x, y, w, h);
            Glfw.glfwSetWindowMonitor(window, monitor, 0, 0, mode->Width, mode->Height, mode->RefreshRate);
        }
    }
}
