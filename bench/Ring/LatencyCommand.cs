using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Losses.Protocol;
using Losses.Platform.Cli;

namespace Losses.Bench.Ring;

/// <summary>
/// <c>bench ring [--frames N] [--interval-us N] [--json FILE]</c>: cross-process latency from a publish to the
/// moment a reader in another process sees the frame. The writer stamps each frame with the
/// monotonic clock (shared by all processes) just before publishing; a child process spins on
/// the ring and takes the difference on arrival. Frames are paced so the reader is never lapped.
/// </summary>
internal static class LatencyCommand
{
    /// <summary>What the reader measured, as the child hands it to the parent and `--json` writes it.</summary>
    public sealed record Latency(double MedianUs, double P99Us, double MaxUs, int Frames, long Lost);

    public static Command Command()
    {
        int frames = 20_000, intervalUs = 50;
        string? json = null;
        return new Command("bench ring", "", "cross-process ring latency: publish to visible in another process",
            () => Run(frames, intervalUs, json))
        {
            { "--frames", "N", "frames to publish (default 20000)", r => frames = r.Int(1, int.MaxValue) },
            { "--interval-us", "N", "microseconds between frames (default 50)", r => intervalUs = r.Int(0, 1_000_000) },
            { "--json", "FILE", "also write the result as JSON (for scripts)", r => json = r.Path() },
        };
    }

    /// <summary>The hidden entry of the child process the parent starts: <c>ring-reader NAME FRAMES</c>.</summary>
    public static Command ReaderCommand()
    {
        var operands = new List<string>();
        return new Command("bench ring-reader", "NAME FRAMES", "the reading child of bench ring", () =>
        {
            if (operands.Count != 2 || !int.TryParse(operands[1], NumberStyles.None, CultureInfo.InvariantCulture, out int frames) || frames < 1)
                throw new UsageException("bench ring-reader: give the ring's name and a frame count");
            return Reader(operands[0], frames);
        }, hidden: true)
        {
            { "NAME FRAMES", null, "the ring and how many frames to wait for", r => operands.Add(r.Value()) },
        };
    }

    private static int Run(int frames, int intervalUs, string? json)
    {
        string name = "latency-" + Environment.ProcessId;
        using var writer = FrameRingWriter.Create(name);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add(typeof(LatencyCommand).Assembly.Location);
        info.ArgumentList.Add("ring-reader");
        info.ArgumentList.Add(name);
        info.ArgumentList.Add(frames.ToString(CultureInfo.InvariantCulture));
        using Process reader = Process.Start(info)!;
        if (reader.StandardOutput.ReadLine() != "ready") { Console.Error.WriteLine("losses: bench ring: the reader did not start"); return 1; }
        Thread.Sleep(200);

        Console.Error.WriteLine($"publishing {frames} frames, one every {intervalUs} µs, to a reader in process {reader.Id}...");
        Frame frame = default;
        long ticksPerInterval = Stopwatch.Frequency * intervalUs / 1_000_000;
        long next = Stopwatch.GetTimestamp();
        for (int i = 0; i < frames; i++)
        {
            while (Stopwatch.GetTimestamp() < next) Thread.SpinWait(10);
            frame.SampleTime = Stopwatch.GetTimestamp();
            writer.Publish(in frame);
            next += ticksPerInterval;
        }
        string result = reader.StandardOutput.ReadToEnd().Trim();
        reader.WaitForExit();
        FrameRingWriter.Delete(name);
        if (result.Length == 0) throw new IOException($"bench ring: the reader failed (exit {reader.ExitCode})");
        Latency l = JsonSerializer.Deserialize<Latency>(result, BenchJson.Options)!;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cross-process publish→visible: median {l.MedianUs:0.00} µs, p99 {l.P99Us:0.00} µs, max {l.MaxUs:0.00} µs over {l.Frames} frames ({l.Lost} lost)"));
        if (json is not null) BenchJson.Write(json, l);
        return 0;
    }

    /// <summary>The child: spins on the ring, records publish→seen for every frame, prints the statistics.</summary>
    public static int Reader(string name, int frames)
    {
        using var reader = FrameRingReader.Open(name);
        var latencies = new double[frames];
        Console.WriteLine("ready");
        int seen = 0;
        var clock = Stopwatch.StartNew();
        while (seen < frames && clock.Elapsed.TotalSeconds < 120)
        {
            if (!reader.TryRead(out Frame f)) { Thread.SpinWait(1); continue; }
            latencies[seen++] = (Stopwatch.GetTimestamp() - f.SampleTime) * 1e6 / Stopwatch.Frequency;
        }
        Array.Sort(latencies, 0, seen);
        if (seen == 0) throw new IOException("bench ring: the reader saw no frame in 120 s");
        var result = new Latency(latencies[seen / 2], latencies[(int)(seen * 0.99)], latencies[seen - 1], seen, reader.Lost);
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJson.Options));
        return 0;
    }
}
