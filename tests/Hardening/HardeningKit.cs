using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Losses.Tests.Cli;

namespace Losses.Tests.Hardening;

/// <summary>Real processes, real signals, real files: what every hardening test needs.</summary>
public static partial class HardeningKit
{
    /// <summary>The engine as a child process whose output is collected while it runs.</summary>
    public sealed class Child : IDisposable
    {
        private readonly StringBuilder _out = new(), _err = new();

        public Child(string dll, params string[] args)
        {
            AllowInterrupts();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
            foreach (string a in args) start.ArgumentList.Add(a);
            Process = Process.Start(start)!;
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public static Child Engine(params string[] args) => new("losses-engine.dll", args);

        /// <summary>
        /// A test run started in the background (nohup, `cmd &amp;` in a script — as CI may be) has
        /// SIGINT ignored, and an ignored signal stays ignored across exec: the child would rightly
        /// never see our Ctrl-C. The children are started with SIGINT at its default instead, as
        /// from a terminal. (The test host then dies on Ctrl-C rather than handling it: fine for tests.)
        /// </summary>
        private static void AllowInterrupts()
        {
            const int SigInt = 2;
            signal(SigInt, 0); // SIG_DFL
        }

        [System.Runtime.InteropServices.DllImport("libc")]
        private static extern nint signal(int signum, nint handler);

        public Process Process { get; }
        public string Stderr { get { lock (_err) return _err.ToString(); } }

        /// <summary>Sends a real signal (kill -s NAME pid).</summary>
        public void Signal(string name)
        {
            using Process kill = Process.Start("kill", ["-s", name, Process.Id.ToString()])!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public EngineCli.Outcome Wait(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(entireProcessTree: true);
                Assert.Fail($"the child did not exit within {timeout.TotalSeconds} s; stderr:\n{Stderr}");
            }
            Process.WaitForExit(); // drains the output readers
            string stdout;
            lock (_out) stdout = _out.ToString();
            return new EngineCli.Outcome(Process.ExitCode, stdout, Stderr);
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the timeout.</summary>
    public static void WaitUntil(Func<bool> condition, string what, double seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds) Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// Exactly one "losses:" line on stderr, saying <paramref name="contains"/>, and the exit code;
    /// progress lines aside — the engine's ("rendering X: 25%") and the visualiser's every 5 s on a pipe
    /// ("120/3649 frames (24.0 fps)", which a loaded machine reaches before a signal). Returns the line.
    /// </summary>
    public static string AssertOneLine(EngineCli.Outcome o, int exitCode, string contains)
    {
        string[] lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("rendering ", StringComparison.Ordinal) && !VisualiserProgress().IsMatch(l)).ToArray();
        Assert.True(lines.Length == 1, $"expected one line on stderr, got (exit {o.ExitCode}):\n{o.Stderr}");
        Assert.StartsWith("losses: ", lines[0]);
        Assert.Contains(contains, lines[0]);
        Assert.True(o.ExitCode == exitCode, $"exit code {o.ExitCode}, expected {exitCode}: {lines[0]}");
        return lines[0];
    }

    /// <summary>Every file in <paramref name="dir"/> (hidden temporaries included) but the ones named.</summary>
    public static string[] Leftovers(string dir, params string[] keep) =>
        Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Where(f => !keep.Contains(f)).ToArray()!;

    public static void AssertNothingLeft(string dir, params string[] keep)
    {
        string[] left = Leftovers(dir, keep);
        Assert.True(left.Length == 0, $"left behind in {dir}: {string.Join(", ", left)}");
    }

    public static string[] Temporaries(string dir) => Directory.GetFiles(dir, "*.tmp-*").Select(Path.GetFileName).ToArray()!;

    /// <summary>
    /// A MIDI file of a few dozen bytes whose last event lies 2^28 − 1 ticks out: 3.1 days at 480
    /// ticks a beat and 120 bpm, or (<paramref name="slowest"/>) 143 years at 1 tick a beat and the
    /// slowest tempo a file can state (0xFFFFFF µs a beat).
    /// </summary>
    public static string EndlessMidi(string dir, bool slowest = false)
    {
        byte[] tempo = slowest ? [0x00, 0xFF, 0x51, 0x03, 0xFF, 0xFF, 0xFF] : [];
        byte[] track = [.. tempo, 0x00, 0x90, 60, 100, 0xFF, 0xFF, 0xFF, 0x7F, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00];
        byte[] division = slowest ? [0x00, 0x01] : [0x01, 0xE0];
        byte[] bytes = [.. "MThd"u8, 0, 0, 0, 6, 0, 0, 0, 1, .. division, .. "MTrk"u8, 0, 0, 0, (byte)track.Length, .. track];
        string path = Path.Combine(dir, "endless.mid");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs a command (mount, truncate, chown …) and asserts it worked.</summary>
    public static string Shell(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {output}");
        return output;
    }

    [GeneratedRegex(@"^\d+/\d+ frames \([\d.]+ fps\)$")]
    private static partial Regex VisualiserProgress();
}
