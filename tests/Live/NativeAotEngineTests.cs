using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Losses.Tests.Live;

/// <summary>
/// The engine compiled NativeAOT (`LOSSES_AOT=1 ./losses render|live`), built by the launcher as a
/// user gets it: the same render, bit for bit, as the JIT engine, and a live set that allocates
/// nothing after warm-up on a real JACK server.
/// </summary>
internal static class NativeAotEngine
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The executable, built once per test run (the launcher rebuilds it only when the sources changed).</summary>
    public static string Executable => Built.Value;

    private static string Build()
    {
        var (code, _, stderr) = Launcher(new Dictionary<string, string>(), "render", "--help");
        Assert.True(code == 0, $"LOSSES_AOT=1 losses render --help: exit {code}: {stderr}");
        string exe = Path.Combine(TestFiles.RepositoryRoot, "out", "aot-linux-x64", "losses-engine");
        Assert.True(File.Exists(exe), $"{exe} was not built");
        return exe;
    }

    /// <summary>`LOSSES_AOT=1 ./losses ARGS` with these variables; the first call may build for a minute or more.</summary>
    public static (int Code, string Stdout, string Stderr) Launcher(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestFiles.RepositoryRoot, "losses"));
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["LOSSES_AOT"] = "1";
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"LOSSES_AOT=1 losses {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

public class NativeAotRenderTests
{
    [Fact]
    public void The_NativeAOT_engine_renders_the_bytes_the_JIT_engine_renders()
    {
        _ = NativeAotEngine.Executable;
        string dir = Directory.CreateTempSubdirectory("losses-aot-").FullName;
        try
        {
            string aotWav = Path.Combine(dir, "aot.wav"), jitWav = Path.Combine(dir, "jit.wav");
            var aot = NativeAotEngine.Launcher(new Dictionary<string, string>(), "render", TestFiles.FourParts, "-o", aotWav, "--frames", Path.Combine(dir, "aot.frames"));
            Assert.True(aot.Code == 0, aot.Stderr);
            var jit = Cli.EngineCli.Run("render", TestFiles.FourParts, "-o", jitWav, "--frames", Path.Combine(dir, "jit.frames"));
            Assert.True(jit.ExitCode == 0, jit.Stderr);
            Assert.Equal(File.ReadAllBytes(jitWav), File.ReadAllBytes(aotWav));
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "jit.frames")), File.ReadAllBytes(Path.Combine(dir, "aot.frames")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

[Collection("jack")]
public class NativeAotLiveTests(JackServer server, ITestOutputHelper output)
{
    [Fact]
    public void A_NativeAOT_live_set_on_JACK_allocates_nothing_after_warm_up()
    {
        _ = NativeAotEngine.Executable; // built before the set: a build beside it would make its cycles late
        string dir = Directory.CreateTempSubdirectory("losses-aot-live-").FullName;
        try
        {
            string json = Path.Combine(dir, "summary.json");
            var (code, stdout, stderr) = NativeAotEngine.Launcher(new Dictionary<string, string> { ["JACK_DEFAULT_SERVER"] = server.Name },
                "live", "--no-connect", "--duration", "3", "--play", TestFiles.FourParts, "--ring", $"aot-live-{Environment.ProcessId}", "--summary-json", json);
            output.WriteLine(stdout);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(json));
            JsonElement summary = doc.RootElement;
            Assert.Equal(0, summary.GetProperty("allocatedBytes").GetInt64());
            Assert.Equal([0, 0, 0], summary.GetProperty("gcCollections").EnumerateArray().Select(e => e.GetInt32()));
            Assert.True(summary.GetProperty("warmUpCycles").GetInt64() > 0 && summary.GetProperty("dspCycles").GetInt64() > 0);
            Assert.True(summary.GetProperty("played").GetInt32() > 0, "the performance's first events were played");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
