using Losses.Platform;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Protocol;
using Losses.Tests.Visualiser;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// Shared memory trusted no further than it must be: no symbolic link followed, no file of another
/// user or open to others used, one writer per ring, truncation survived, a killed engine and a
/// garbage ring reported — with the real /dev/shm, real engines and real signals.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RingHardeningTests
{
    [Fact]
    public void A_symlink_at_the_ring_path_is_never_followed()
    {
        using var ring = new TestRing();
        string dir = EngineCli.TempDir();
        string victim = Path.Combine(dir, "victim");
        File.WriteAllText(victim, "precious");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(ring.Path, victim);

        var writer = Assert.Throws<RingException>(() => FrameRingWriter.Create(ring.Name, 8));
        Assert.Contains("is a symbolic link", writer.Message);
        var reader = Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name));
        Assert.Contains("is a symbolic link", reader.Message);
        // A dangling link too: nothing is created at its target.
        File.Delete(victim);
        Assert.Throws<RingException>(() => FrameRingWriter.Create(ring.Name, 8));
        Assert.False(File.Exists(victim));
        File.WriteAllText(victim, "precious");

        string wav = Path.Combine(dir, "out.wav");
        AssertOneLine(EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--ring", ring.Name), 1, $"{ring.Path} is a symbolic link");
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.NotNull(new FileInfo(ring.Path).LinkTarget);
        AssertNothingLeft(dir, "victim");
    }

    [Theory]
    [InlineData("chmod 0666", "has mode 0666")]
    [InlineData("chmod 0640", "has mode 0640")]
    [InlineData("chown 65534", "belongs to uid 65534")]
    public void A_ring_file_open_to_others_or_owned_by_another_user_is_refused(string change, string expected)
    {
        using var ring = new TestRing();
        using (var w = FrameRingWriter.Create(ring.Name, 8)) TestRing.Publish(w, 3);
        string[] words = change.Split(' ');
        Shell(words[0], words[1], ring.Path);
        byte[] before = File.ReadAllBytes(ring.Path);

        Assert.Contains(expected, Assert.Throws<RingException>(() => FrameRingWriter.Create(ring.Name, 8)).Message);
        Assert.Contains(expected, Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name)).Message);
        string line = AssertOneLine(EngineCli.Run("watch", "--ring", ring.Name, "--timeout", "1"), 1, expected);
        Assert.Contains($"remove it (rm {ring.Path})", line);
        Assert.Equal(before, File.ReadAllBytes(ring.Path)); // untouched
    }

    [Fact]
    public void A_second_writer_on_a_ring_is_told_which_engine_holds_it()
    {
        using var ring = new TestRing();
        using (var first = FrameRingWriter.Create(ring.Name, 8))
        {
            var e = Assert.Throws<RingException>(() => FrameRingWriter.Create(ring.Name, 8));
            Assert.Contains($"in use by another engine (pid {Environment.ProcessId})", e.Message);
        }
        using (FrameRingWriter.Create(ring.Name, 8)) { } // free again once the first is gone

        // Two engines: the second says who holds the ring, exits 1 and writes nothing.
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 30);
        using var engine = Child.Engine("render", midi, "-o", Path.Combine(dir, "first.wav"), "--ring", ring.Name, "--realtime");
        WaitUntil(() => File.Exists(ring.Path) && Temporaries(dir).Length == 1, "the first engine's ring");
        Thread.Sleep(200);
        AssertOneLine(EngineCli.Run("render", midi, "-o", Path.Combine(dir, "second.wav"), "--ring", ring.Name), 1,
            $"ring '{ring.Name}' is in use by another engine (pid {engine.Process.Id})");
        Assert.False(File.Exists(Path.Combine(dir, "second.wav")));
        engine.Signal("TERM");
        engine.Wait(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void A_killed_engine_is_reported_stopped_by_watch()
    {
        using var ring = new TestRing();
        string dir = EngineCli.TempDir();
        using var engine = Child.Engine("render", VisualiserKit.MakeMidi(dir, seconds: 60), "-o", Path.Combine(dir, "out.wav"), "--ring", ring.Name, "--realtime");
        using var watch = Child.Engine("watch", "--ring", ring.Name, "--timeout", "5");
        WaitUntil(() => watch.Stderr.Contains("reading ring"), "watch to follow the engine");
        engine.Signal("KILL");
        engine.Wait(TimeSpan.FromSeconds(10));
        EngineCli.Outcome w = watch.Wait(TimeSpan.FromSeconds(30));
        Assert.Contains("\nengine stopped: no heartbeat for", "\n" + w.Stderr);
        Assert.Equal(0, w.ExitCode); // it waited out its timeout, as asked
        // The killed engine left its ring protected (read-only, append-only): the next one takes it over.
        EngineCli.Outcome next = EngineCli.Run("render", VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false), "-o", Path.Combine(dir, "next.wav"), "--ring", ring.Name);
        Assert.True(next.ExitCode == 0, next.Stderr);
    }

    [Fact]
    public void A_ring_overwritten_with_garbage_is_corrupt_and_watch_exits_one()
    {
        using var ring = new TestRing();
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false);
        Assert.Equal(0, EngineCli.Run("render", midi, "-o", Path.Combine(dir, "out.wav"), "--ring", ring.Name).ExitCode);
        using var watch = Child.Engine("watch", "--ring", ring.Name, "--timeout", "30");
        WaitUntil(() => watch.Stderr.Contains("the engine stopped"), "watch to find the closed ring");
        var garbage = new byte[new FileInfo(ring.Path).Length];
        new Random(7).NextBytes(garbage);
        Overwrite(ring.Path, garbage);
        EngineCli.Outcome w = watch.Wait(TimeSpan.FromSeconds(20));
        Assert.Equal(1, w.ExitCode);
        Assert.Contains($"losses: ring '{ring.Name}' is corrupt", w.Stderr);
    }

    [Fact]
    public void A_ring_truncated_under_a_reader_stops_watch_with_one_line()
    {
        using var ring = new TestRing();
        string dir = EngineCli.TempDir();
        Assert.Equal(0, EngineCli.Run("render", VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false), "-o", Path.Combine(dir, "out.wav"), "--ring", ring.Name).ExitCode);
        using var watch = Child.Engine("watch", "--ring", ring.Name, "--timeout", "30");
        WaitUntil(() => watch.Stderr.Contains("the engine stopped"), "watch to find the closed ring");
        Shell("truncate", "-s", "100", ring.Path);
        EngineCli.Outcome w = watch.Wait(TimeSpan.FromSeconds(20));
        Assert.Equal(1, w.ExitCode); // not a SIGBUS death (135)
        Assert.Contains($"losses: ring '{ring.Name}' was truncated to 100 bytes while mapped", w.Stderr);
    }

    [Fact]
    public void A_live_ring_cannot_be_truncated_under_its_engine_and_readers()
    {
        using var ring = new TestRing();
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 4, toPart4: false);
        using var engine = Child.Engine("render", midi, "-o", Path.Combine(dir, "out.wav"), "--ring", ring.Name, "--realtime");
        using var watch = Child.Engine("watch", "--ring", ring.Name, "--timeout", "3");
        WaitUntil(() => watch.Stderr.Contains("reading ring"), "watch to follow the engine");
        long size = new FileInfo(ring.Path).Length;

        // As root (we are): the append-only flag refuses it; as the user, mode 0400 does.
        var truncate = new System.Diagnostics.ProcessStartInfo("truncate", ["-s", "0", ring.Path]) { RedirectStandardError = true };
        using (var p = System.Diagnostics.Process.Start(truncate)!)
        {
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(1, p.ExitCode);
            Assert.Contains("Operation not permitted", error);
        }
        Assert.Equal(size, new FileInfo(ring.Path).Length);

        EngineCli.Outcome e = engine.Wait(TimeSpan.FromSeconds(60));
        Assert.True(e.ExitCode == 0, e.Stderr); // the performance rendered to its end
        Assert.True(File.Exists(Path.Combine(dir, "out.wav")));
        EngineCli.Outcome w = watch.Wait(TimeSpan.FromSeconds(30));
        Assert.Equal(0, w.ExitCode);
        Assert.Contains("the engine stopped", w.Stderr);
        Assert.True(w.Stdout.Split('\n').Length > 100, "watch saw the frames");
        // Closed, the ring is an ordinary private file again for the next engine.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ring.Path));
        Shell("truncate", "-s", "0", ring.Path);
    }

    [Fact]
    public void The_writer_grows_a_truncated_ring_back_and_stops()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        TestRing.Publish(writer, 3);
        Assert.Equal(3, TestRing.Drain(reader).Count);
        long size = new FileInfo(ring.Path).Length;
        // Root can clear the protection on purpose: the watchdog is the second line.
        Shell("chattr", "-a", ring.Path);
        Shell("truncate", "-s", "0", ring.Path);
        WaitUntil(() => writer.Fault is not null, "the writer's watchdog", seconds: 5);
        Assert.True(writer.Broken.IsCancellationRequested);
        Assert.Contains("was truncated to 0 bytes by another process", writer.Fault);
        Assert.Equal(size, new FileInfo(ring.Path).Length);
        TestRing.Publish(writer, 3); // the mapping is whole again: no SIGBUS
        Assert.Equal([3L, 4L, 5L], TestRing.Drain(reader)); // what was written after the restore reads whole
    }

    /// <summary>Writes over a file in place (no truncation, no flock), as another process scribbling on shared memory would.</summary>
    private static void Overwrite(string path, byte[] bytes)
    {
        using var f = Posix.Open(path, Posix.ReadWrite, 0, out int errno);
        Assert.False(f.IsInvalid, $"errno {errno}");
        RandomAccess.Write(f, bytes, 0);
    }
}
