using System.Diagnostics;

namespace Losses.Tests.Cli;

/// <summary>Runs the real engine executable (losses-engine.dll beside the tests) as a separate process.</summary>
public static class EngineCli
{
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Run"/>, with these environment variables set for the engine.</summary>
    public static Outcome RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProgram(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"), environment, args);

    /// <summary>The bench program (bench/bin, built in the tests' configuration: the tests reference it without its assembly).</summary>
    public static Outcome RunBench(params string[] args)
    {
        // bin/CONFIG/net10.0 of the tests names the configuration the bench was built in.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(TestFiles.RepositoryRoot, "bench", "bin", output.Parent!.Name, output.Name, "losses-bench.dll");
        Assert.True(File.Exists(dll), $"{dll} not built");
        return RunProgram(dll, new Dictionary<string, string>(), args);
    }

    /// <summary>The launcher (./losses) as a person types it, from <paramref name="workingDirectory"/> (default: the repository).</summary>
    public static Outcome RunLauncher(string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? TestFiles.RepositoryRoot,
        };
        start.ArgumentList.Add(Path.Combine(TestFiles.RepositoryRoot, "losses"));
        foreach (string a in args) start.ArgumentList.Add(a);
        return Wait(start, "losses " + string.Join(' ', args));
    }

    /// <summary>Runs one of the project's programs (a .dll) under dotnet; fails the test after three minutes.</summary>
    public static Outcome RunProgram(string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        return Wait(start, $"{Path.GetFileNameWithoutExtension(dll)} {string.Join(' ', args)}");
    }

    /// <summary>Starts <paramref name="start"/> (its output redirected), waits at most three minutes, returns what it said.</summary>
    public static Outcome Wait(ProcessStartInfo start, string what)
    {
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish");
        }
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the engine in the background (its output discarded); the caller ends it.</summary>
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        Process process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    /// <summary>A fresh, empty folder for one test's files.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "losses-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
