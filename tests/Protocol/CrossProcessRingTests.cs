using System.Diagnostics;
using Losses.Protocol;
using Xunit.Abstractions;

namespace Losses.Tests.Protocol;

/// <summary>A real writer process and real reader processes on one ring.</summary>
public class CrossProcessRingTests(ITestOutputHelper output)
{
    private const long Frames = 5_000_000;

    [Fact]
    public void Five_million_frames_two_readers_no_torn_frame_and_seen_plus_lost_equals_written()
    {
        using var ring = new TestRing();
        using Process reader1 = Start("read", ring.Name, Frames);
        using Process reader2 = Start("read", ring.Name, Frames);
        using Process doomed = Start("read", ring.Name, Frames); // killed mid-read: the writer must not notice
        WaitReady(reader1); WaitReady(reader2); WaitReady(doomed);

        using Process writer = Start("write", ring.Name, Frames);
        Thread.Sleep(500);
        doomed.Kill();
        Dictionary<string, string> written = Result(writer);
        Assert.Equal(Frames.ToString(), written["written"]);

        foreach (Process reader in new[] { reader1, reader2 })
        {
            Dictionary<string, string> r = Result(reader);
            output.WriteLine(string.Join(' ', r.Select(kv => $"{kv.Key}={kv.Value}")));
            Assert.Equal("0", r["bad"]);
            Assert.Equal("0", r["outOfOrder"]);
            Assert.Equal(Frames, long.Parse(r["seen"]) + long.Parse(r["lost"]));
            Assert.True(long.Parse(r["seen"]) > 0);
            Assert.Equal(written["generation"], r["generation"]);
        }
    }

    private static Process Start(string mode, string ring, long count)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ring-stress.dll"));
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(ring);
        info.ArgumentList.Add(count.ToString());
        return Process.Start(info)!;
    }

    private static void WaitReady(Process reader)
    {
        Task<string?> line = reader.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(30)), "reader did not start");
        Assert.Equal("ready", line.Result);
    }

    private static Dictionary<string, string> Result(Process p)
    {
        Task<string> all = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill();
            Assert.Fail("stress process did not finish");
        }
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        string last = all.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return last.Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
    }
}
