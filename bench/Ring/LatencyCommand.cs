using System.Diagnostics;
using System.Globalization;
using Losses.Protocol;

namespace Losses.Bench.Ring;

/// <summary>
/// <c>bench ring [--frames N] [--interval-us N]</c>: cross-process latency from a publish to the
/// moment a reader in another process sees the frame. The writer stamps each frame with the
/// monotonic clock (shared by all processes) just before publishing; a child process spins on
/// the ring and takes the difference on arrival. Frames are paced so the reader is never lapped.
/// </summary>
internal static class LatencyCommand
{
    public static int Run(ReadOnlySpan<string> args)
    {
        int frames = 20_000, intervalUs = 50;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--frames" when i + 1 < args.Length && int.TryParse(args[i + 1], out frames) && frames > 0: i++; break;
                case "--interval-us" when i + 1 < args.Length && int.TryParse(args[i + 1], out intervalUs) && intervalUs >= 0: i++; break;
                default:
                    Console.Error.WriteLine($"losses: bench ring: bad option '{args[i]}' (--frames N, --interval-us N)");
                    return 2;
            }
        }
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
        Console.WriteLine(result);
        FrameRingWriter.Delete(name);
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
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv,
            $"cross-process publish→visible: median {latencies[seen / 2]:0.00} µs, p99 {latencies[(int)(seen * 0.99)]:0.00} µs, max {latencies[seen - 1]:0.00} µs over {seen} frames ({reader.Lost} lost)"));
        return 0;
    }
}
