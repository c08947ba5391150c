using System.Diagnostics;
using System.Globalization;

namespace Losses.Tests.Plugin;

/// <summary>
/// The LV2 bundle, built by NativeAOT once per test run (as `./losses plugin` builds it) into a
/// gitignored folder whose artifacts persist, so a run with no source change only relinks.
/// </summary>
public static class PluginBundle
{
    public const string Uri = "urn:losses:lv2:instrument";

    private static readonly Lazy<(string Folder, TimeSpan Took)> Built = new(Build);

    /// <summary>The folder that holds losses.lv2: what LV2_PATH names.</summary>
    public static string Lv2Path => Built.Value.Folder;
    public static string Bundle => Path.Combine(Lv2Path, "losses.lv2");
    public static string Library => Path.Combine(Bundle, "losses-plugin.so");
    public static TimeSpan BuildTime => Built.Value.Took;

    private static (string, TimeSpan) Build()
    {
        string bin = Path.Combine(TestFiles.RepositoryRoot, "out", ".test-plugin"); // gitignored, outside every project folder
        string lv2 = Path.Combine(bin, "lv2");
        var clock = Stopwatch.StartNew();
        Outcome r = Run("dotnet", new() { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            TimeSpan.FromMinutes(8), "publish", Path.Combine(TestFiles.RepositoryRoot, "plugin", "Losses.Plugin.csproj"), "-c", "Release",
            "-r", "linux-x64", "--artifacts-path", Path.Combine(bin, "artifacts"), "-o", Path.Combine(bin, "publish"),
            $"-p:BundleDir={Path.Combine(lv2, "losses.lv2")}/", "-v", "q", "-nologo", "-nodeReuse:false");
        if (r.ExitCode != 0) throw new InvalidOperationException($"the plugin did not build: {r.Stdout}{r.Stderr}");
        return (lv2, clock.Elapsed);
    }

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs an LV2 tool (or any program) with LV2_PATH set to the bundle's folder and the system's
    /// LV2 specifications (lv2-dev's core.lv2 names the plugin classes, as in any host's path).
    /// </summary>
    public static Outcome RunTool(string program, params string[] args) =>
        Run(program, new() { ["LV2_PATH"] = $"{Lv2Path}:/usr/lib/lv2" }, TimeSpan.FromMinutes(2), args);

    public static Outcome Run(string program, Dictionary<string, string> env, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        using Process p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        return new Outcome(p.ExitCode, o.Result, e.Result);
    }
}
