using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Losses.Protocol;
using Losses.Platform.Cli;

namespace Losses.Bench.Web;

/// <summary>
/// <c>bench web</c>: the browser visualiser end to end on this machine. A publisher here writes
/// frames into a ring at the engine's rate (one per 64-sample block: 750/s) through the four parts;
/// `losses web` follows the ring; Debian's Chromium (headless, WebGL2 on whatever GL is here) draws
/// the page at a fixed size over a fake camera. Per part: the page's frames drawn per second, frame
/// publish → drawn (median, on the server's clock), frames lost, and the server's CPU.
/// </summary>
internal static partial class WebCommand
{
    public sealed record PartResult(int Part, string Variant, double Fps, double CameraFps, double LatencyMs, double FramesLost, double ServerCpuPercent, List<double> FpsEachRound);
    public sealed record Result(string Size, string Feed, double FramesPerSecond, string Renderer, int Rounds, List<PartResult> Parts);

    /// <summary>A way of running the page measured beside the others: page URL options and Chromium switches.</summary>
    public sealed record Variant(string Label, string Query, string[] Switches)
    {
        public static readonly Variant Page = new("page", "", []);

        /// <summary>"LABEL ?a=1&amp;b=2 +switch +switch=value": the label, URL options, Chromium switches (+x is --x).</summary>
        public static Variant Parse(string text)
        {
            string[] tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0 || tokens[0][0] is '?' or '&' or '+') throw new FormatException($"'{text}': a variant starts with its label");
            string query = string.Concat(tokens.Skip(1).Where(t => t[0] is '?' or '&').Select(t => "&" + t[1..]));
            string[] switches = tokens.Skip(1).Where(t => t[0] == '+').Select(t => "--" + t[1..]).ToArray();
            if (tokens.Skip(1).FirstOrDefault(t => t[0] is not ('?' or '&' or '+')) is string odd)
                throw new FormatException($"'{odd}' in '{text}': URL options start with ? or &, Chromium switches with +");
            return new Variant(tokens[0], query, switches);
        }
    }

    public static Command Command()
    {
        double seconds = 6;
        int rate = 750;
        (int W, int H) size = (1280, 720), feed = (640, 360);
        string? json = null, trace = null;
        int rounds = 0;
        var variants = new List<Variant> { Variant.Page };
        return new Command("bench web", "", "the browser visualiser: page fps, publish→drawn latency, server CPU, per part", () =>
            Run(seconds, rate, size, feed, variants, rounds > 0 ? rounds : variants.Count > 1 ? 3 : 1, trace, json))
        {
            { "--seconds", "S", "seconds measured in each part (default 6)", r => seconds = r.Number(2, 600) },
            { "--rate", "N", "frames published per second (default 750: one per 64-sample block at 48 kHz)", r => rate = r.Int(10, 20000) },
            { "--size", "WxH", "the page's drawing size (default 1280x720)", r => size = Size(r) },
            { "--feed", "WxH", "the fake camera's size, 30 fps (default 640x360)", r => feed = Size(r) },
            { "--variant", "SPEC", "also measure the page another way, taking turns with the others: 'LABEL ?url-options +chromium-switch …' (repeatable)", r =>
                {
                    string text = r.Value();
                    Variant variant;
                    try { variant = Variant.Parse(text); }
                    catch (FormatException e) { throw r.Error(e.Message); }
                    if (variants.Exists(v => v.Label == variant.Label)) throw r.Error($"two variants labelled '{variant.Label}' ('{Variant.Page.Label}' is the page as served)");
                    variants.Add(variant);
                } },
            { "--rounds", "N", "turns each variant takes (default 1, 3 with variants): figures are the medians of the rounds", r => rounds = r.Int(1, 50) },
            { "--trace", "DIR", "after each part's measurement, record 3 s of Chromium's trace into DIR (chrome://tracing or ui.perfetto.dev)", r => trace = r.Path() },
            { "--json", "FILE", "also write the result as JSON (for scripts)", r => json = r.Path() },
        };
    }

    private static (int, int) Size(OptionReader r)
    {
        string text = r.Value();
        Match m = SizeText().Match(text);
        if (!m.Success) throw r.Error($"'{text}' is not a size: give WxH, e.g. 1280x720");
        int w = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), h = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        if (w is < 16 or > 7680 || h is < 16 or > 4320 || w % 2 != 0 || h % 2 != 0) throw r.Error($"'{text}': even sizes from 16x16 to 7680x4320");
        return (w, h);
    }

    [GeneratedRegex(@"^(\d{1,5})x(\d{1,5})$")]
    private static partial Regex SizeText();

    private static int Run(double seconds, int rate, (int W, int H) size, (int W, int H) feed, List<Variant> variants, int rounds, string? trace, string? json)
    {
        string dir = Directory.CreateTempSubdirectory("losses-bench-web-").FullName;
        string ring = "bench-web-" + Environment.ProcessId;
        try
        {
            // A camera with something moving in every frame: two seconds of drifting bars, looped by the browser.
            string camera = FakeCamera.Write(Path.Combine(dir, "camera.y4m"), feed.W, feed.H, 60, (k, luma) =>
            {
                for (int y = 0; y < feed.H; y++)
                    for (int x = 0; x < feed.W; x++)
                        luma[y * feed.W + x] = (byte)(((x + 4 * k) / 24 + y / 24) % 2 == 0 ? 200 : 40);
            });
            if (trace is not null) Directory.CreateDirectory(trace);
            using var writer = FrameRingWriter.Create(ring);
            using var publisher = new Publisher(writer, rate);
            using var server = StartServer(ring, out string url);
            using var stopServer = new Stopper(server);
            string? renderer = null;
            var measured = new Dictionary<(string, int), List<PartResult>>();
            for (int round = 0; round < rounds; round++)
                foreach (Variant variant in variants)
                {
                    // The window is the page's size, as a page shown full screen: the canvas is composited 1:1.
                    using var browser = new Chromium(camera, true, [$"--window-size={size.W},{size.H}", .. variant.Switches]);
                    using Chromium.Tab tab = browser.Open($"{url}?size={size.W}x{size.H}{variant.Query}");
                    WaitFor(tab, "lossesStats.framesReceived > 100 && lossesStats.drawn > 20", 60);
                    if (tab.Evaluate("lossesStats.camera")?.GetValue<bool>() != true) throw new InvalidOperationException($"bench web ({variant.Label}): the page did not take the fake camera");
                    if (renderer is null)
                    {
                        renderer = tab.Evaluate("(() => { const g = document.createElement('canvas').getContext('webgl2'); const e = g.getExtension('WEBGL_debug_renderer_info'); return e ? g.getParameter(e.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER); })()")?.GetValue<string>() ?? "?";
                        Console.WriteLine($"losses web benchmark: page {size.W}x{size.H}, camera {feed.W}x{feed.H} at 30 fps, {rate} frames/s published, {seconds:0.#} s a part" +
                            $"{(rounds > 1 ? $", {rounds} rounds" : "")}, {renderer}, {Environment.ProcessorCount} cores");
                    }
                    for (int part = 1; part <= 4; part++)
                    {
                        PartResult result = MeasurePart(publisher, server, tab, variant, part, seconds);
                        if (!measured.TryGetValue((variant.Label, part), out List<PartResult>? results)) measured[(variant.Label, part)] = results = [];
                        results.Add(result);
                        if (trace is not null && round == 0) browser.Trace(Path.Combine(trace, $"{variant.Label}-part{part}.json"), 3);
                    }
                }
            // Per part and variant, the medians of the rounds (the machine's other work comes and goes).
            var parts = new List<PartResult>();
            Console.WriteLine($"| part |{(variants.Count > 1 ? " variant |" : "")} page fps (drawn/s) | camera frames uploaded/s | publish → drawn median ms | frames lost | server CPU % of a core |{(rounds > 1 ? " fps each round |" : "")}");
            Console.WriteLine($"|---|{(variants.Count > 1 ? "---|" : "")}---|---|---|---|---|{(rounds > 1 ? "---|" : "")}");
            for (int part = 1; part <= 4; part++)
                foreach (Variant variant in variants)
                {
                    List<PartResult> list = measured[(variant.Label, part)];
                    var result = new PartResult(part, variant.Label, Median(list.Select(r => r.Fps)), Median(list.Select(r => r.CameraFps)), Median(list.Select(r => r.LatencyMs)),
                        list.Sum(r => r.FramesLost), Median(list.Select(r => r.ServerCpuPercent)), list.Select(r => r.Fps).ToList());
                    parts.Add(result);
                    string each = rounds > 1 ? $" {string.Join(" ", result.FpsEachRound.Select(f => f.ToString("0.0", CultureInfo.InvariantCulture)))} |" : "";
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {part} |{(variants.Count > 1 ? $" {variant.Label} |" : "")} {result.Fps:0.0} | {result.CameraFps:0.0} | {result.LatencyMs:0.00} | {result.FramesLost:0} | {result.ServerCpuPercent:0.0} |{each}"));
                }
            if (json is not null) BenchJson.Write(json, new Result($"{size.W}x{size.H}", $"{feed.W}x{feed.H}", rate, renderer ?? "?", rounds, parts));
            return 0;
        }
        finally
        {
            FrameRingWriter.Delete(ring);
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>One part, one variant, one round: frames drawn over the page's own clock, latency, loss, the server's CPU.</summary>
    private static PartResult MeasurePart(Publisher publisher, Process server, Chromium.Tab tab, Variant variant, int part, double seconds)
    {
        publisher.Part = part;
        Thread.Sleep(1500); // the part's first frames drawn, the GPU's caches warm
        tab.Evaluate("lossesResetStats()");
        double lostBefore = tab.Evaluate("lossesStats.framesLost")!.GetValue<double>();
        JsonNode before = tab.Evaluate("[lossesStats.drawn, performance.now(), lossesStats.cameraFrames]")!;
        server.Refresh();
        TimeSpan cpuBefore = server.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        server.Refresh();
        double cpu = (server.TotalProcessorTime - cpuBefore).TotalSeconds / clock.Elapsed.TotalSeconds * 100;
        JsonNode after = tab.Evaluate("[lossesStats.drawn, performance.now(), lossesStats.cameraFrames]")!;
        double Rate(int i) => (after[i]!.GetValue<double>() - before[i]!.GetValue<double>()) / (after[1]!.GetValue<double>() - before[1]!.GetValue<double>()) * 1000;
        double fps = Rate(0);
        JsonNode stats = tab.Stats()!;
        return new PartResult(part, variant.Label, fps, Rate(2), stats["latencyMs"]?.GetValue<double>() ?? double.NaN,
            stats["framesLost"]!.GetValue<double>() - lostBefore, cpu, [fps]);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static void WaitFor(Chromium.Tab tab, string condition, double seconds)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (tab.Evaluate($"typeof lossesStats !== 'undefined' && !!({condition})")?.GetValue<bool>() == true) return;
            Thread.Sleep(100);
        }
        throw new InvalidOperationException($"bench web: the page never had {condition}: {tab.Stats()?.ToJsonString()}");
    }

    /// <summary>`losses web` beside this program's build (visualiser/Web/bin/…), following the ring.</summary>
    private static Process StartServer(string ring, out string url)
    {
        string output = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var bin = new DirectoryInfo(output);
        string root = Path.GetFullPath(Path.Combine(output, "..", "..", "..", ".."));
        string dll = Path.Combine(root, "visualiser", "Web", "bin", bin.Parent!.Name, bin.Name, "losses-web.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"bench web: {dll} is not built (./losses web --help builds it)");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in (string[])[dll, "--ring", ring, "--port", "0"]) info.ArgumentList.Add(a);
        Process server = Process.Start(info)!;
        _ = server.StandardError.ReadToEndAsync();
        string? line = server.StandardOutput.ReadLine();
        Match m = line is null ? Match.Empty : Regex.Match(line, @"^open (https?://\S+/) ");
        if (!m.Success) throw new InvalidOperationException($"bench web: losses web did not start ({line})");
        _ = server.StandardOutput.ReadToEndAsync();
        url = m.Groups[1].Value;
        return server;
    }

    /// <summary>Ends the server when the benchmark ends, whichever way (Process.Dispose alone leaves it running).</summary>
    private sealed class Stopper(Process process) : IDisposable
    {
        public void Dispose()
        {
            try { process.Kill(entireProcessTree: true); process.WaitForExit(5000); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>Frames as the engine publishes them, at a fixed rate: a cubic learning in parts 1 and 4 (a key press every quarter second in part 4), a knot in parts 2 and 3.</summary>
    private sealed class Publisher : IDisposable
    {
        private readonly FrameRingWriter _writer;
        private readonly Thread _thread;
        private readonly int _rate;
        private volatile bool _stop;

        public Publisher(FrameRingWriter writer, int rate)
        {
            _writer = writer;
            _rate = rate;
            _thread = new Thread(Run) { IsBackground = true, Name = "bench web publisher" };
            _thread.Start();
        }

        public volatile int Part = 1;

        private void Run()
        {
            var random = new Random(5);
            Frame f = default;
            f.SampleRate = 48000;
            f.PointCount = 100;
            for (int i = 0; i < 100; i++) f.Points[i] = (float)(random.NextDouble() * 2 - 1);
            f.KnotN[0] = 3; f.KnotN[1] = 5; f.KnotN[2] = 7;
            long samplesPerFrame = 48000 / _rate, index = 0, ticks = Stopwatch.Frequency / _rate, next = Stopwatch.GetTimestamp();
            while (!_stop)
            {
                // Sleeps between frames, as the engine's audio thread waits for its device (a publisher spinning
                // here took a core's worth of the two the browser needs: its renderer, GPU and llvmpipe threads).
                if (Stopwatch.GetTimestamp() < next) { Thread.Sleep(1); continue; }
                next += ticks;
                int part = Part;
                double t = index * samplesPerFrame / 48000.0;
                f.Index = index++;
                f.SampleTime = (long)(t * 48000);
                f.Part = part;
                f.Model = part is 1 or 4 ? FrameModel.Cubic : FrameModel.Knot;
                f.CubicTargets = 1 + (int)(t / 4);
                float learn = (float)Math.Exp(-(t % 4));
                for (int k = 0; k < 4; k++)
                {
                    f.Target[k] = (float)Math.Sin(k + (int)(t / 4));
                    f.Theta[k] = f.Target[k] + learn * (float)Math.Cos(3 * k);
                    f.Gradient[k] = 0.1f * learn * (float)Math.Sin(t * 3 + k);
                }
                f.Loss = 0.2f * learn * learn;
                f.NoteOnCount = 0;
                if (part == 4 && (long)(t * 4) != (long)((t - samplesPerFrame / 48000.0) * 4))
                {
                    f.NoteOnCount = 1;
                    f.NoteOns[0] = new NoteOnEvent { Note = 60, Velocity = 90, SampleTime = f.SampleTime };
                }
                _writer.Publish(in f);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
