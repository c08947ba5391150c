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
    public string? Video { get; init; }
    public int Width { get; init; } = 1280;
    public int Height { get; init; } = 720;
    public bool FullScreen { get; init; }
    /// <summary>Print a status line this often (seconds; 0 = only on changes).</summary>
    public double StatusEvery { get; init; }
    public double MaxFps { get; init; } = 60;

    public unsafe int Run()
    {
        using FrameRingReader reader = OpenRing();
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
            var screen = new FullScreenToggle(window);
            if (FullScreen) screen.Toggle();
            return Loop(window, reader, feed, screen);
        }
        finally
        {
            if (window != 0) Glfw.glfwDestroyWindow(window);
            Glfw.glfwTerminate();
        }
    }

    private FrameRingReader OpenRing()
    {
        try { return FrameRingReader.Open(Ring, RingJoin.Latest); }
        catch (RingException e) { throw new VisualiserException(e.Message); }
    }

    private unsafe int Loop(nint window, FrameRingReader reader, IVideoFeed feed, FullScreenToggle screen)
    {
        using var gpu = new Gpu(name => Glfw.glfwGetProcAddress(name));
        using var stage = new Stage(gpu);
        using Texture video = gpu.LoadTexture();
        Console.Error.WriteLine($"losses: visualiser on {gpu.Renderer}; H: HUD, F: full screen, Esc: quit");
        stage.Options.Hud = true;
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
            try
            {
                while (reader.TryRead(out Frame frame))
                {
                    if (reader.Generation != generation)
                    {
                        if (generation != -1) Console.Error.WriteLine($"losses: the engine restarted (generation {reader.Generation}): following it");
                        generation = reader.Generation;
                        state.Reset();
                    }
                    state.Apply(frame);
                    arrival = wall.Elapsed.TotalSeconds;
                }
            }
            catch (RingException e)
            {
                throw new VisualiserException(e.Message);
            }
            if (reader.State != shown)
            {
                shown = reader.State;
                string line = shown switch
                {
                    RingState.WaitingForEngine => $"waiting for the engine on ring '{Ring}' (start it, e.g. losses render IN.mid -o x.wav --ring {Ring} --realtime)",
                    RingState.Live => $"following the engine on ring '{Ring}' (generation {reader.Generation})",
                    RingState.Stalled => $"engine stopped: no heartbeat on ring '{Ring}' for {reader.HeartbeatAgeMs / 1000.0:0.0} s (killed or hung); waiting for it to start again",
                    _ => $"the engine on ring '{Ring}' stopped: waiting for it to start again",
                };
                Console.Error.WriteLine($"losses: {line}");
                stage.Options.Message = shown == RingState.Live ? null : line;
            }

            double now = wall.Elapsed.TotalSeconds;
            // The engine's clock, run on by the wall clock between frames (at most a quarter second).
            double clock = state.FrameSeconds + Math.Min(now - arrival, 0.25);
            Mat? image = feed.FrameAt(now, out bool changed);
            if (image is not null && changed) OffscreenRenderer.Upload(video, image);
            hasVideo |= image is not null;

            int width, height;
            Glfw.glfwGetFramebufferSize(window, &width, &height);
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
                Console.WriteLine($"status state={reader.State} generation={generation} frame={(state.HasFrame ? f.Index : -1)} part={f.Part} model={f.Model} seen={reader.Seen} lost={reader.Lost} bubbles={state.BubblesSpawned} fps={fps:0.0}");
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

    /// <summary>F: the window to the primary monitor's full screen and back to where it was.</summary>
    private sealed unsafe class FullScreenToggle(nint window)
    {
        private int _x, _y, _width, _height;

        public void Toggle()
        {
            if (Glfw.glfwGetWindowMonitor(window) != 0)
            {
                Glfw.glfwSetWindowMonitor(window, 0, _x, _y, _width, _height, 0);
                return;
            }
            nint monitor = Glfw.glfwGetPrimaryMonitor();
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
