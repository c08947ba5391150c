using System.Diagnostics;
using System.Globalization;
using Losses.Engine.Live;
using Losses.Platform.Cli;

namespace Losses.Bench.Ring;

/// <summary>
/// <c>bench dsp [--seconds S] [--json FILE]</c>: DSP load of the live engine (callback time / period: median,
/// p99, max) on a real JACK server of its own (dummy driver, 48 kHz) at 64 and 256 frames, with
/// 16, 64 and 256 voices held sounding. Each run is the real `losses live` process.
/// </summary>
internal static class DspCommand
{
    /// <summary>One live run: the server's period, the voices held, and the engine's own summary (null when the run failed).</summary>
    public sealed record Row(int Period, int Voices, float? DspMedian, float? DspP99, float? DspMax, long? Xruns, string? Failure);

    public static Command Command()
    {
        double seconds = 10;
        string? json = null;
        return new Command("bench dsp", "", "DSP load of the live engine on a JACK server of its own (64 and 256 frames; 16, 64, 256 voices)",
            () => Run(seconds, json))
        {
            { "--seconds", "S", "seconds of each live run, at least 3 (default 10)", r => seconds = r.Number(3, 3600) },
            { "--json", "FILE", "also write the rows as JSON (for scripts)", r => json = r.Path() },
        };
    }

    private static int Run(double seconds, string? json)
    {
        string engine = Path.Combine(AppContext.BaseDirectory, "losses-engine.dll");
        string server = "losses-dsp-" + Environment.ProcessId;
        var rows = new List<Row>();
        foreach (int period in new[] { 64, 256 })
        {
            using Process jackd = StartJack(server, period);
            try
            {
                foreach (int voices in new[] { 16, 64, 256 })
                {
                    Console.Error.WriteLine($"period {period}, {voices} voices: {seconds} s live...");
                    string temp = Path.Combine(Path.GetTempPath(), $"losses-dsp-{Environment.ProcessId}");
                    string config = temp + ".json", summaryPath = temp + ".summary.json";
                    File.WriteAllText(config, $$"""{ "voice": { "polyphony": {{Math.Max(64, voices)}}, "releaseSeconds": 60, "longReleaseSeconds": 60 } }""");
                    var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (string a in new[] { engine, "live", "--client", "dsp", "--no-connect", "--ring", server, "--config", config,
                                 "--duration", seconds.ToString(CultureInfo.InvariantCulture), "--bench-voices", voices.ToString(CultureInfo.InvariantCulture),
                                 "--summary-json", summaryPath })
                        info.ArgumentList.Add(a);
                    info.Environment["JACK_DEFAULT_SERVER"] = server;
                    using Process live = Process.Start(info)!;
                    Task<string> stderr = live.StandardError.ReadToEndAsync();
                    live.StandardOutput.ReadToEnd();
                    live.WaitForExit();
                    File.Delete(config);
                    if (live.ExitCode == 0 && File.Exists(summaryPath))
                    {
                        LiveSummary s = LiveSummary.FromJson(File.ReadAllText(summaryPath));
                        rows.Add(new Row(period, voices, s.DspMedian, s.DspP99, s.DspMax, s.Xruns, null));
                    }
                    else
                    {
                        string line = stderr.Result.Split('\n').FirstOrDefault(l => l.StartsWith("losses:")) ?? $"exit {live.ExitCode}, no output";
                        rows.Add(new Row(period, voices, null, null, null, null, line));
                    }
                    File.Delete(summaryPath);
                }
            }
            finally
            {
                // SIGTERM, not SIGKILL: a killed jackd leaves its registration in shared memory.
                using (Process? kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {jackd.Id}") { UseShellExecute = false }))
                    kill?.WaitForExit(5000);
                if (!jackd.WaitForExit(10_000)) jackd.Kill();
            }
        }
        Losses.Protocol.FrameRingWriter.Delete(server); // its engines are done: the ring is nobody's now
        Console.WriteLine("| frames | voices | median | p99 | max | xruns |");
        Console.WriteLine("|-------:|-------:|--------:|--------:|--------:|------:|");
        foreach (Row r in rows)
            Console.WriteLine(r.Failure is null
                ? string.Create(CultureInfo.InvariantCulture, $"| {r.Period,6} | {r.Voices,6} | {r.DspMedian * 100,8:0.00}% | {r.DspP99 * 100,8:0.00}% | {r.DspMax * 100,8:0.00}% | {r.Xruns,5} |")
                : $"| {r.Period,6} | {r.Voices,6} | failed: {r.Failure} |");
        if (json is not null) BenchJson.Write(json, rows);
        return rows.Exists(r => r.Failure is not null) ? ExitCode.Failed : ExitCode.Done;
    }

    private static Process StartJack(string name, int period)
    {
        var info = new ProcessStartInfo("jackd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-n", name, "-d", "dummy", "-r", "48000", "-p", period.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(a);
        Process p = Process.Start(info) ?? throw new InvalidOperationException("jackd not found: apt-get install jackd2");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Thread.Sleep(1000);
        return p;
    }
}
