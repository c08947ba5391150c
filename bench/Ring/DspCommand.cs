using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Losses.Bench.Ring;

/// <summary>
/// <c>bench dsp [--seconds S]</c>: DSP load of the live engine (callback time / period: median,
/// p99, max) on a real JACK server of its own (dummy driver, 48 kHz) at 64 and 256 frames, with
/// 16, 64 and 256 voices held sounding. Each run is the real `losses live` process.
/// </summary>
internal static partial class DspCommand
{
    public static int Run(ReadOnlySpan<string> args)
    {
        double seconds = 10;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out seconds) && seconds >= 3) { i++; continue; }
            Console.Error.WriteLine($"losses: bench dsp: bad option '{args[i]}' (--seconds S, at least 3)");
            return 2;
        }
        string engine = Path.Combine(AppContext.BaseDirectory, "losses-engine.dll");
        string server = "losses-dsp-" + Environment.ProcessId;
        var rows = new List<string>();
        foreach (int period in new[] { 64, 256 })
        {
            using Process jackd = StartJack(server, period);
            try
            {
                foreach (int voices in new[] { 16, 64, 256 })
                {
                    Console.Error.WriteLine($"period {period}, {voices} voices: {seconds} s live...");
                    string config = Path.Combine(Path.GetTempPath(), $"losses-dsp-{Environment.ProcessId}.json");
                    File.WriteAllText(config, $$"""{ "voice": { "polyphony": {{Math.Max(64, voices)}}, "releaseSeconds": 60, "longReleaseSeconds": 60 } }""");
                    var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (string a in new[] { engine, "live", "--client", "dsp", "--no-connect", "--ring", server, "--config", config,
                                 "--duration", seconds.ToString(CultureInfo.InvariantCulture), "--bench-voices", voices.ToString(CultureInfo.InvariantCulture) })
                        info.ArgumentList.Add(a);
                    info.Environment["JACK_DEFAULT_SERVER"] = server;
                    using Process live = Process.Start(info)!;
                    string output = live.StandardOutput.ReadToEnd() + live.StandardError.ReadToEnd();
                    live.WaitForExit();
                    Match load = DspLine().Match(output);
                    Match xruns = XrunLine().Match(output);
                    rows.Add(load.Success
                        ? $"| {period,6} | {voices,6} | {load.Groups[1].Value,8}% | {load.Groups[2].Value,8}% | {load.Groups[3].Value,8}% | {(xruns.Success ? xruns.Groups[1].Value : "?"),5} |"
                        : $"| {period,6} | {voices,6} | failed: {output.Split('\n').FirstOrDefault(l => l.StartsWith("losses:")) ?? "no output"} |");
                    File.Delete(config);
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
        Console.WriteLine("| frames | voices | median | p99 | max | xruns |");
        Console.WriteLine("|-------:|-------:|--------:|--------:|--------:|------:|");
        foreach (string row in rows) Console.WriteLine(row);
        return 0;
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

    [GeneratedRegex(@"median ([\d.]+)%, p99 ([\d.]+)%, max ([\d.]+)%")]
    private static partial Regex DspLine();

    [GeneratedRegex(@"Hz, (\d+) xruns")]
    private static partial Regex XrunLine();
}
