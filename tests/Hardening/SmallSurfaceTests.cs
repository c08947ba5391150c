using System.Diagnostics;
using Losses.Platform;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Protocol;
using Losses.Tests.Visualiser;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// The small surfaces: `osc --to` an address it cannot send to, `plugin-preset -o` into another
/// plugin's bundle, `publish` with an option it does not know, and `rings` — every ring on this
/// machine, its engine and whether it is alive, and the removal of one a killed engine left behind.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SmallSurfaceTests
{
    [Theory]
    [InlineData("255.255.255.255:9000", 1, "cannot send OSC to 255.255.255.255:9000")]
    [InlineData("[fe80::1]:9000", 2, "a link-local address (fe80::…) needs the interface it is on")]
    public void Osc_to_a_broadcast_or_a_scopeless_link_local_address_is_one_line_not_a_crash(string to, int exit, string expected)
    {
        using var ring = new TestRing();
        AssertOneLine(EngineCli.Run("osc", "--ring", ring.Name, "--to", to, "--timeout", "1"), exit, expected);
    }

    [Fact]
    public void Plugin_preset_into_another_plugins_bundle_is_refused_and_the_bundle_is_left_as_it_was()
    {
        string dir = EngineCli.TempDir();
        string other = Path.Combine(dir, "instrument.lv2");
        Directory.CreateDirectory(other);
        string manifest = "@prefix lv2: <http://lv2plug.in/ns/lv2core#> .\n<urn:other:synth> a lv2:Plugin ; lv2:binary <synth.so> .\n";
        File.WriteAllText(Path.Combine(other, "manifest.ttl"), manifest);
        File.WriteAllBytes(Path.Combine(other, "synth.so"), [0x7F, (byte)'E', (byte)'L', (byte)'F']);
        AssertOneLine(EngineCli.Run("plugin-preset", "mine", "-o", other), 1, "holds another bundle");
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(other, "manifest.ttl")));
        Assert.Equal(["manifest.ttl", "synth.so"], Directory.GetFileSystemEntries(other).Select(Path.GetFileName).Order());

        // A bundle of this plugin's own preset is written again (the same name, a new config).
        string mine = Path.Combine(dir, "Losses_mine.preset.lv2");
        Assert.Equal(0, EngineCli.Run("plugin-preset", "mine", "-o", mine).ExitCode);
        EngineCli.Outcome again = EngineCli.Run("plugin-preset", "mine", "--preset", "ldd", "-o", mine);
        Assert.True(again.ExitCode == 0, again.Stderr);
        // A file where the bundle should be.
        string file = Path.Combine(dir, "file.lv2");
        File.WriteAllText(file, "x");
        AssertOneLine(EngineCli.Run("plugin-preset", "mine", "-o", file), 1, "not a folder");
    }

    [Theory]
    [InlineData("--frobnicate", "unknown option '--frobnicate'")]
    [InlineData("linux-x64 --self-contained", "unknown option '--self-contained'")]
    [InlineData("linux-x64 -o", "-o needs a folder")]
    [InlineData("osx-arm64", "give win-x64 or linux-x64, not 'osx-arm64'")]
    public void Publish_refuses_an_option_it_does_not_know_before_building(string args, string expected)
    {
        string launcher = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "losses"));
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(launcher);
        start.ArgumentList.Add("publish");
        foreach (string a in args.Split(' ')) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        string stderr = p.StandardError.ReadToEnd(), stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        AssertOneLine(new EngineCli.Outcome(p.ExitCode, stdout, stderr), 2, expected);
    }

    [Fact]
    public void Rings_lists_each_ring_its_engine_and_whether_it_is_alive_and_removes_one_a_killed_engine_left()
    {
        using var alive = new TestRing();
        using var closed = new TestRing();
        using var killed = new TestRing();
        using var pipe = new TestRing();
        using (var w = FrameRingWriter.Create(closed.Name, 8)) TestRing.Publish(w, 3);
        Shell("mkfifo", "-m", "600", pipe.Path);
        string dir = EngineCli.TempDir();
        using (var engine = Child.Engine("render", VisualiserKit.MakeMidi(dir, seconds: 60), "-o", Path.Combine(dir, "out.wav"), "--ring", killed.Name, "--realtime"))
        {
            WaitUntil(() => RingDirectory.Find(killed.Name) is { Alive: true, Frames: > 0 }, "the engine to publish");
            engine.Signal("KILL");
            engine.Wait(TimeSpan.FromSeconds(10));
        }
        using var writer = FrameRingWriter.Create(alive.Name, 8);
        TestRing.Publish(writer, 5);

        EngineCli.Outcome list = EngineCli.Run("rings");
        Assert.True(list.ExitCode == 0, list.Stderr);
        string Line(TestRing r) => list.Stdout.Split('\n').Single(l => l.StartsWith(r.Name + " ", StringComparison.Ordinal));
        Assert.Contains($"alive: engine pid {Environment.ProcessId}, generation ", Line(alive));
        Assert.Contains(", 5 frames published", Line(alive));
        Assert.Contains("stopped: its engine (pid " + Environment.ProcessId + ") closed it, 3 frames", Line(closed));
        Assert.Contains("died without closing it (killed or crashed)", Line(killed));
        Assert.Contains("not a ring: a named pipe", Line(pipe));

        // A running engine's ring is not removed; a killed one's is (rm alone cannot when the engine ran as root: append-only).
        AssertOneLine(EngineCli.Run("rings", "--remove", alive.Name), 1, $"ring '{alive.Name}' is in use by a running engine (pid {Environment.ProcessId})");
        Assert.True(File.Exists(alive.Path));
        foreach (TestRing r in new[] { killed, pipe, closed })
        {
            EngineCli.Outcome removed = EngineCli.Run("rings", "--remove", r.Name);
            Assert.True(removed.ExitCode == 0, removed.Stderr);
            Assert.False(Posix.TryLStat(r.Path, out _), $"{r.Path} is still there");
        }
        AssertOneLine(EngineCli.Run("rings", "--remove", killed.Name), 1, "no ring");
        AssertOneLine(EngineCli.Run("rings", "--remove", "../etc"), 2, "not a valid ring name");
    }
}
