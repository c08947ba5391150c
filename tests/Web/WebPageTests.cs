using System.Diagnostics;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Protocol;
using Losses.Bench.Web;
using Losses.Tests.Visualiser;
using Losses.Visualiser.Scenes;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Losses.Tests.Web;

/// <summary>
/// `losses web` with the real browser: Debian's Chromium, headless, WebGL2 on llvmpipe, a fake
/// camera from a .y4m file, driven over DevTools. What the page draws is read back as pixels.
/// </summary>
[Collection("web")]
public sealed class WebPageTests(ITestOutputHelper output)
{
    private const int W = 1280, H = 720;

    /// <summary>
    /// The same frame log, the same times, the generated feed: the page's still and the native
    /// visualiser's (`visualise --frames … -o still.png --at T`) are the same picture in every part.
    /// </summary>
    [Fact]
    public void A_still_of_each_part_from_the_page_is_the_native_visualisers_picture()
    {
        string dir = WebKit.Dir();
        string log = WebKit.RenderFrames(dir, Path.Combine(TestFiles.RepositoryRoot, "examples", "demo.mid"));
        double[] times = TimesInEachPart(log);
        using var server = new WebServerProcess("--frames", log);
        using var browser = new Chromium();
        // The four parts, then part 3 as the original draws it (visualise --ldd, the page's ?ldd=1).
        foreach ((double t, int part, bool ldd) in times.Select((t, i) => (t, i + 1, false)).Append((times[2], 3, true)))
        {
            string name = ldd ? "3-ldd" : part.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string png = Path.Combine(dir, $"native-{name}.png");
            string at = t.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            var native = ldd ? VisualiserKit.Run("--frames", log, "-o", png, "--at", at, "--size", $"{W}x{H}", "--ldd")
                : VisualiserKit.Run("--frames", log, "-o", png, "--at", at, "--size", $"{W}x{H}");
            Assert.True(native.ExitCode == 0, native.Stderr);
            using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, $"at={at}&camera=0&size={W}x{H}{(ldd ? "&ldd=1" : "")}"));
            tab.WaitFor("window.lossesStats && lossesStats.stillReady && lossesStats.drawn > 2");
            Assert.Equal(part, (int)tab.Stat("part"));
            byte[] page = tab.Capture();
            File.WriteAllBytes(Path.Combine(dir, $"page-{name}.png"), page);
            using Mat a = WebKit.Decode(page), b = Cv2.ImRead(png, ImreadModes.Color);
            Assert.Equal(b.Size(), a.Size());
            double psnr = Cv2.PSNR(a, b);
            output.WriteLine($"part {name} at {t:0.00} s: PSNR {psnr:0.0} dB (page {dir}/page-{name}.png, native {png})");
            Assert.True(psnr >= 30, $"part {name}: the page's still differs from the native one: PSNR {psnr:0.0} dB < 30 (see {dir})");
        }
    }

    /// <summary>A time two seconds into each of the four parts (or the middle of a shorter part).</summary>
    private static double[] TimesInEachPart(string log)
    {
        using FrameLogReader reader = FrameLogReader.Open(log);
        var first = new double[5];
        var last = new double[5];
        Array.Fill(first, -1);
        for (long i = 0; i < reader.Count; i++)
        {
            Frame f = reader.Read(i);
            double s = (double)f.SampleTime / reader.SampleRate;
            if (f.Part is < 1 or > 4) continue;
            if (first[f.Part] < 0) first[f.Part] = s;
            last[f.Part] = s;
        }
        return Enumerable.Range(1, 4).Select(p =>
        {
            Assert.True(first[p] >= 0, $"the performance never reaches part {p}");
            return Math.Min(first[p] + 2, (first[p] + last[p]) / 2);
        }).ToArray();
    }

    /// <summary>
    /// Distortion 1 over a striped camera: the red plane moves along x by 100·∂L/∂θ₁ pixels, green
    /// along y by 100·∂L/∂θ₂, blue along x by 100·∂L/∂θ₃ (gradients clamped to ±0.1) — read off
    /// the page's pixels as the shift between each plane's stripe edges.
    /// </summary>
    [Fact]
    public void Part_three_shifts_the_cameras_colour_planes_by_the_gradients_times_a_hundred_pixels()
    {
        string dir = WebKit.Dir();
        float[] gradient = [0.06f, -0.04f, -0.25f, 0]; // the third is clamped to −0.1
        (int red, int green, int blue) = (6, -4, -10);  // pixels: 100 × the clamped gradients
        string log = Path.Combine(dir, "part3.frames");
        using (var writer = new FrameLogWriter(log, SampleFrames.SampleRate))
        {
            Frame f = SampleFrames.Knot(3, (1, 2, 3), [0.1f, 0.2f, 0.3f], [0.1f, 0.2f, 0.3f], gradient, 1.0);
            f.Model = FrameModel.None; // the video alone: no knot drawn over the stripes
            writer.Publish(f);
            writer.Commit();
        }
        using var server = new WebServerProcess("--frames", log);
        using var browser = new Chromium(camera: WebKit.StripedCamera(dir));
        using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, $"at=1&size={W}x{H}"));
        tab.WaitFor("lossesStats.stillReady && lossesStats.drawn > 5");
        Assert.True(tab.Evaluate("lossesStats.camera")!.GetValue<bool>(), "the page did not take the fake camera");
        Assert.Equal("webcodecs", tab.Evaluate("lossesStats.cameraPath")!.GetValue<string>()); // camera frames from WebCodecs, not a <video> element
        byte[] png = tab.Capture();
        File.WriteAllBytes(Path.Combine(dir, "part3.png"), png);
        using Mat image = WebKit.Decode(png);

        // The 640×360 camera covers 1280×720 at twice its size: stripes 16 px wide on the page, 32 apart.
        // Rising edges (dark → light) of each plane along a row in the top half, and down a column in the bottom half.
        int row = H / 4, column = W / 2 + 7;
        double ShiftX(int channel) => MedianShift(Edges(image, row, channel, alongX: true), Edges(image, row, 1, alongX: true));
        double ShiftY(int channel, int reference) => MedianShift(Edges(image, column, channel, alongX: false, from: H / 2 + 40), Edges(image, column, reference, alongX: false, from: H / 2 + 40));
        // OpenCV's channels: 0 blue, 1 green, 2 red. Green does not move along x; red does not move along y.
        Assert.Equal(red, ShiftX(2), 1.0);
        Assert.Equal(blue, ShiftX(0), 1.0);
        Assert.Equal(green, ShiftY(1, reference: 2), 1.0);
        output.WriteLine($"red {ShiftX(2):0.0} px (expected {red}), blue {ShiftX(0):0.0} (expected {blue}), green {ShiftY(1, 2):0.0} (expected {green})");
    }

    /// <summary>
    /// Parts 1 and 2 draw no video, so the page uploads no camera frame there (on a software renderer
    /// an upload cost as much as the rest of the picture); in part 3 it uploads them as they come.
    /// </summary>
    [Fact]
    public void Camera_frames_go_to_the_gpu_only_in_the_parts_that_draw_video()
    {
        string dir = WebKit.Dir();
        string camera = WebKit.StripedCamera(dir);
        using var browser = new Chromium(camera: camera);
        TimeSpan partThree = TimeSpan.Zero;
        foreach (int part in (int[])[3, 1, 2])
        {
            string log = Path.Combine(dir, $"part{part}.frames");
            using (var writer = new FrameLogWriter(log, SampleFrames.SampleRate))
            {
                float[] small = [0.01f, 0.01f, 0.01f, 0];
                writer.Publish(part == 1 ? SampleFrames.Cubic(1, [0.5f, 0, -0.5f, 0], [0.4f, 0, -0.4f, 0], small, 0.5)
                    : SampleFrames.Knot(part, (3, 5, 7), [0.1f, 0.2f, 0.3f], [0.1f, 0.2f, 0.3f], small, 0.5));
                writer.Commit();
            }
            using var server = new WebServerProcess("--frames", log);
            using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, "size=640x360"));
            // Part 3 first: the fake camera is seen to deliver frames in this browser before parts 1 and 2 are
            // asked to take none of them over as long as part 3 took to upload 30.
            var clock = Stopwatch.StartNew();
            if (part == 3) tab.WaitFor("lossesStats.camera && lossesStats.part === 3 && lossesStats.cameraFrames >= 30");
            else
            {
                tab.WaitFor($"lossesStats.camera && lossesStats.part === {part}");
                Thread.Sleep(partThree);
            }
            if (part == 3) partThree = clock.Elapsed;
            output.WriteLine($"part {part}, {clock.Elapsed.TotalSeconds:0.0} s: {tab.Stats()?.ToJsonString()}");
            if (part < 3) Assert.Equal(0, tab.Stat("cameraFrames"));
            if (part == 1)
            {
                // A still of a part without video is ready without a camera frame.
                using Chromium.Tab still = browser.Open(WebKit.Query(server.Url, "at=0.5&size=640x360"));
                still.WaitFor("lossesStats.camera && lossesStats.stillReady");
                Assert.Equal(0, still.Stat("cameraFrames"));
            }
        }
    }

    /// <summary>Where a channel crosses mid-grey going up, along a row (x) or down a column (y), at sub-pixel precision.</summary>
    private static List<double> Edges(Mat image, int line, int channel, bool alongX, int from = 0)
    {
        var edges = new List<double>();
        int length = alongX ? image.Width : image.Height;
        int Value(int i) => (alongX ? image.At<Vec3b>(line, i) : image.At<Vec3b>(i, line))[channel];
        for (int i = Math.Max(1, from) + 20; i < length - 20; i++)
        {
            int a = Value(i - 1), b = Value(i);
            if (a < 128 && b >= 128) edges.Add(i - 1 + (128.0 - a) / (b - a));
        }
        return edges;
    }

    /// <summary>The median distance from each edge of <paramref name="moved"/> to the nearest edge of <paramref name="reference"/>.</summary>
    private static double MedianShift(List<double> moved, List<double> reference)
    {
        Assert.True(moved.Count >= 5 && reference.Count >= 5, $"too few stripe edges ({moved.Count}, {reference.Count}): is the camera on the page?");
        var shifts = moved.Select(m => reference.Select(r => m - r).MinBy(Math.Abs)).Order().ToList();
        return shifts[shifts.Count / 2];
    }

    /// <summary>
    /// A render in real time on a ring, followed by the server and three tabs: every tab receives
    /// every frame the engine published, none lost, and draws — while a fourth reader that connected
    /// and never reads holds up nobody.
    /// </summary>
    [Fact]
    public void Three_tabs_receive_every_frame_a_realtime_render_publishes()
    {
        string dir = WebKit.Dir();
        using var ring = new TestRing();
        using var server = new WebServerProcess("--ring", ring.Name);
        using var browser = new Chromium();
        // The third page has its frames gathered (?gather=4: one WebSocket message per 4 ms at most): none may go missing either.
        var tabs = Enumerable.Range(0, 3).Select(i => browser.Open(WebKit.Query(server.Url, "camera=0&size=640x360" + (i == 2 ? "&gather=4" : "")))).ToList();
        using var stalled = WebKit.StalledReader(server.Url);
        try
        {
            foreach (Chromium.Tab tab in tabs) tab.WaitFor("lossesStats.status.startsWith('waiting for the engine')");
            string log = Path.Combine(dir, "published.frames");
            var render = EngineCli.Run("render", WebKit.ShortMidi(dir, 4), "-o", Path.Combine(dir, "x.wav"), "--ring", ring.Name, "--realtime", "--frames", log);
            Assert.True(render.ExitCode == 0, render.Stderr);
            long published;
            using (FrameLogReader reader = FrameLogReader.Open(log)) published = reader.Count;
            Assert.True(published > 1000, $"only {published} frames published");
            foreach (Chromium.Tab tab in tabs)
            {
                tab.WaitFor($"lossesStats.framesReceived >= {published}", 20);
                Thread.Sleep(300);
                output.WriteLine($"published {published}; page {tab.Stats()?.ToJsonString()}");
                Assert.Equal(published, (long)tab.Stat("framesReceived"));
                Assert.Equal(0, tab.Stat("framesLost"));
                Assert.True(tab.Stat("drawn") > 10, "the page did not draw");
            }
        }
        finally
        {
            foreach (Chromium.Tab tab in tabs) tab.Dispose();
        }
    }

    /// <summary>
    /// Frames from another machine: `losses osc --frame-blob` sends every frame over UDP and
    /// `web --listen` serves them; the page shows the performance (HUD and the performer's monitor
    /// say the part) without a frame missing on loopback.
    /// </summary>
    [Fact]
    public void Frames_sent_over_udp_reach_the_page_with_the_hud_and_the_performers_monitor()
    {
        string dir = WebKit.Dir();
        using var ring = new TestRing();
        int port = FreeUdpPort();
        using var server = new WebServerProcess("--listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var browser = new Chromium();
        using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, "camera=0&size=640x360&hud=1&monitor=1"));
        tab.WaitFor("lossesStats.status.startsWith('waiting for frames')");
        using Process osc = EngineCli.Start("osc", "--ring", ring.Name, "--frame-blob", "--to", $"127.0.0.1:{port}", "--once", "--timeout", "30");
        Thread.Sleep(500);
        string log = Path.Combine(dir, "published.frames");
        var render = EngineCli.Run("render", WebKit.ShortMidi(dir, 3), "-o", Path.Combine(dir, "x.wav"), "--ring", ring.Name, "--realtime", "--frames", log);
        Assert.True(render.ExitCode == 0, render.Stderr);
        long published;
        using (FrameLogReader reader = FrameLogReader.Open(log)) published = reader.Count;
        tab.WaitFor($"lossesStats.framesReceived >= {published}", 20);
        Assert.Equal(0, tab.Stat("framesLost"));
        Assert.Equal(4, (int)tab.Stat("part"));
        Assert.StartsWith("part 4", tab.Evaluate("document.getElementById('hud').textContent")!.GetValue<string>());
        Assert.Equal("part 4", tab.Evaluate("document.getElementById('m-part').textContent")!.GetValue<string>());
        Assert.EndsWith("cents", tab.Evaluate("document.getElementById('m-cents').textContent")!.GetValue<string>());
    }

    private static int FreeUdpPort()
    {
        using var socket = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    /// <summary>An engine killed mid-performance and started again: the page says so and follows the new one.</summary>
    [Fact]
    public void The_page_follows_an_engine_that_was_killed_and_started_again()
    {
        string dir = WebKit.Dir();
        using var ring = new TestRing();
        using var server = new WebServerProcess("--ring", ring.Name);
        using var browser = new Chromium();
        using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, "camera=0&size=640x360"));
        string midi = WebKit.ShortMidi(dir, 30);
        using (Process first = EngineCli.Start("render", midi, "-o", Path.Combine(dir, "a.wav"), "--ring", ring.Name, "--realtime"))
        {
            tab.WaitFor("lossesStats.framesReceived > 300");
            first.Kill(entireProcessTree: true);
            first.WaitForExit();
        }
        double generation = tab.Stat("generation");
        tab.WaitFor("lossesStats.status.includes('stopped') || lossesStats.status.includes('no heartbeat')", 10);
        double before = tab.Stat("framesReceived");
        using Process second = EngineCli.Start("render", midi, "-o", Path.Combine(dir, "b.wav"), "--ring", ring.Name, "--realtime");
        try
        {
            tab.WaitFor($"lossesStats.generation !== {generation} && lossesStats.framesReceived > {before + 300}");
            tab.WaitFor("lossesStats.status.startsWith('following')", 5);
        }
        finally
        {
            second.Kill(entireProcessTree: true);
        }
    }

    /// <summary>No camera allowed: the page draws the generated feed under part 3 and says why in a visible line.</summary>
    [Fact]
    public void A_refused_camera_gives_the_generated_feed_and_a_visible_note()
    {
        string dir = WebKit.Dir();
        string log = Path.Combine(dir, "part3.frames");
        using (var writer = new FrameLogWriter(log, SampleFrames.SampleRate))
        {
            Frame f = SampleFrames.Knot(3, (1, 2, 3), [0.1f, 0.2f, 0.3f], [0.1f, 0.2f, 0.3f], [0, 0, 0, 0], 1.0);
            writer.Publish(f);
            writer.Commit();
        }
        using var server = new WebServerProcess("--frames", log);
        using var browser = new Chromium(camera: WebKit.StripedCamera(dir), allowCamera: false);
        using Chromium.Tab tab = browser.Open(WebKit.Query(server.Url, $"at=1&size={W}x{H}"));
        tab.WaitFor("lossesStats.stillReady && lossesStats.drawn > 2");
        Assert.False(tab.Evaluate("lossesStats.camera")!.GetValue<bool>());
        Assert.False(tab.Evaluate("document.getElementById('notice').hidden")!.GetValue<bool>(), "no note on the page");
        string note = tab.Evaluate("document.getElementById('notice').textContent")!.GetValue<string>();
        Assert.Contains("generated feed", note);
        // The generated feed, neither black nor the grey stripes: its colour bands are coloured.
        using Mat image = WebKit.Decode(tab.Capture());
        int coloured = Enumerable.Range(0, 6).Count(band =>
        {
            Vec3b c = image.At<Vec3b>(H / 2 + 5, W * (2 * band + 1) / 12);
            return Math.Max(c.Item0, Math.Max(c.Item1, c.Item2)) - Math.Min(c.Item0, Math.Min(c.Item1, c.Item2)) > 25;
        });
        Assert.True(coloured >= 3, $"the generated feed is not under part 3: {coloured} of 6 bands coloured");
    }

    /// <summary>`--tls`: HTTPS on a certificate it made and kept; a browser that accepts that certificate gets the page, its frames and the camera.</summary>
    [Fact]
    public void With_tls_a_browser_that_accepts_the_certificate_gets_the_page_and_the_camera()
    {
        string dir = WebKit.Dir();
        string log = WebKit.RenderFrames(dir, WebKit.ShortMidi(dir, 2));
        string certificates = Path.Combine(dir, "certificates");
        string hash;
        using (var first = new WebServerProcess("--frames", log, "--tls", "--certificate-folder", certificates))
        {
            Assert.StartsWith("https://", first.Url);
            WaitForLine(first, "made the certificate");
            hash = HashOf(first.Stderr);
        }
        using var server = new WebServerProcess("--frames", log, "--tls", "--certificate-folder", certificates);
        WaitForLine(server, "using the certificate");
        Assert.Equal(hash, HashOf(server.Stderr)); // kept: a browser that accepted it once keeps accepting it
        using var browser = new Chromium(WebKit.StripedCamera(dir), true, "--ignore-certificate-errors-spki-list=" + hash);
        using Chromium.Tab tab = browser.Open(server.Url + "?size=640x360");
        tab.WaitFor("lossesStats.framesReceived > 100");
        Assert.True(tab.Evaluate("window.isSecureContext")!.GetValue<bool>());
        tab.WaitFor("lossesStats.camera === true", 10);
    }

    private static void WaitForLine(WebServerProcess server, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!server.Stderr.Contains(text) && clock.Elapsed.TotalSeconds < 10) Thread.Sleep(50);
        Assert.Contains(text, server.Stderr);
    }

    private static string HashOf(string stderr)
    {
        var m = System.Text.RegularExpressions.Regex.Match(stderr, @"SHA-256 of its key ([A-Za-z0-9+/=]+)\)");
        Assert.True(m.Success, stderr);
        return m.Groups[1].Value;
    }
}
