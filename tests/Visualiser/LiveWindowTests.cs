using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Losses.Tests.Cli;

namespace Losses.Tests.Visualiser;

/// <summary>
/// The live window under a real X server (Xvfb, started here) with Mesa llvmpipe, following a
/// real engine rendering in real time into a ring: it waits for the engine, shows its frames,
/// follows a killed and restarted engine, and killing it leaves the engine's output untouched.
/// </summary>
public sealed partial class LiveWindowTests
{
    [GeneratedRegex(@"^status state=(\w+) generation=(-?\d+) frame=(-?\d+)")]
    private static partial Regex Status();

    private sealed class Watched : IDisposable
    {
        public readonly Process Process;
        public readonly ConcurrentQueue<string> Out = new(), Err = new();

        public Watched(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) Out.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Err.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    private static bool WaitFor(Func<bool> condition, double seconds)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            if (condition()) return true;
            Thread.Sleep(50);
        }
        return condition();
    }

    /// <summary>Starts Xvfb on a free display it picks itself (-displayfd) and returns it with its number.</summary>
    internal static (Process Server, string Display) StartXvfb()
    {
        var start = new ProcessStartInfo("Xvfb") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-displayfd", "1", "-screen", "0", "640x480x24", "-nolisten", "tcp" }) start.ArgumentList.Add(a);
        Process server;
        try { server = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception) { throw new InvalidOperationException("Xvfb is not installed: ./losses test installs it (apt xvfb)"); }
        server.ErrorDataReceived += (_, _) => { };
        server.BeginErrorReadLine();
        Task<string?> line = server.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(20)) && line.Result is not null, "Xvfb did not start");
        return (server, ":" + line.Result!.Trim());
    }

    [Fact]
    public void TheWindowFollowsTheEngineAcrossARestartAndNeverDisturbsIt()
    {
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 3, toPart4: false);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        string engine = Path.Combine(AppContext.BaseDirectory, "losses-engine.dll");
        (Process xvfb, string display) = StartXvfb();
        try
        {
            using var visualiser = new Watched(VisualiserKit.Start(new Dictionary<string, string> { ["DISPLAY"] = display },
                "--ring", ring, "--size", "320x180", "--status", "0.2"));
            Assert.True(WaitFor(() => visualiser.Err.Any(l => l.Contains("waiting for the engine")), 60),
                "no 'waiting' line: " + string.Join(" | ", visualiser.Err));

            (string State, long Generation, long Frame)? Latest()
            {
                var lines = visualiser.Out.ToArray();
                for (int i = lines.Length - 1; i >= 0; i--)
                {
                    Match m = Status().Match(lines[i]);
                    if (m.Success) return (m.Groups[1].Value, long.Parse(m.Groups[2].Value), long.Parse(m.Groups[3].Value));
                }
                return null;
            }

            // First engine: the window shows its frames.
            long first;
            using (var engine1 = new Watched(VisualiserKit.StartDll("losses-engine.dll", null, "render", midi, "-o", Path.Combine(dir, "one.wav"), "--ring", ring, "--realtime")))
            {
                Assert.True(WaitFor(() => Latest() is { State: "Live", Frame: > 100 }, 60), "the window never showed the engine's frames: " + string.Join(" | ", visualiser.Err));
                first = Latest()!.Value.Generation;
                engine1.Process.Kill(); // mid-performance
                engine1.Process.WaitForExit();
            }

            // Second engine on the same ring: followed without restarting the window.
            string wav = Path.Combine(dir, "two.wav");
            using var engine2 = new Watched(VisualiserKit.StartDll("losses-engine.dll", null, "render", midi, "-o", wav, "--ring", ring, "--realtime"));
            Assert.True(WaitFor(() => Latest() is { State: "Live", Frame: > 100 } s && s.Generation != first, 60),
                "the window did not follow the restarted engine: " + string.Join(" | ", visualiser.Err));
            Assert.Contains(visualiser.Err, l => l.Contains("the engine restarted"));

            // Kill the window: the engine goes on, and its audio is what it would have been alone.
            visualiser.Process.Kill();
            Assert.True(engine2.Process.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, engine2.Process.ExitCode);
            EngineCli.Outcome alone = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "alone.wav"));
            Assert.Equal(0, alone.ExitCode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "alone.wav")), File.ReadAllBytes(wav));
        }
        finally
        {
            xvfb.Kill();
            xvfb.WaitForExit();
            xvfb.Dispose();
        }
    }
}
