using System.Text;
using Losses.Platform;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Visualiser;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// Every output of a command goes through one writer: exclusive, unpredictable temporary files
/// beside the target, all moved into place together or none, never onto a device, a folder or an
/// input; an interrupted or failed render leaves nothing and clobbers nothing.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class OutputFileTests
{
    [Theory]
    [InlineData("render", "IN", "-o", "")]
    [InlineData("render", "IN", "-o", "OUT", "--summary-json", "")]
    [InlineData("render", "IN", "-o", "OUT", "--frames", "")]
    [InlineData("render", "IN", "-o", "OUT", "--config", "")]
    [InlineData("render", "", "-o", "OUT")]
    [InlineData("render", "IN", "-o", "DIR/")]
    [InlineData("frames", "")]
    [InlineData("config", "--check", "")]
    [InlineData("example", "-o", "")]
    [InlineData("live", "--config", "")]
    public void Empty_and_malformed_paths_are_one_line_and_exit_two(params string[] args)
    {
        string dir = EngineCli.TempDir();
        string[] resolved = args.Select(a => a switch { "IN" => TestFiles.FourParts, "OUT" => Path.Combine(dir, "out.wav"), "DIR/" => dir + "/", _ => a }).ToArray();
        AssertOneLine(EngineCli.Run(resolved), 2, args[0] + ":");
        AssertNothingLeft(dir);
    }

    [Fact]
    public void An_empty_frame_log_path_for_the_visualiser_is_one_line_and_exit_two()
    {
        AssertOneLine(VisualiserKit.Run("--frames", "", "-o", "x.mp4"), 2, "--frames is empty");
        AssertOneLine(VisualiserKit.Run("--frames", "x.frames", "-o", ""), 2, "-o is empty");
    }

    [Theory]
    [InlineData("character device")]
    [InlineData("named pipe")]
    [InlineData("directory")]
    public void An_output_that_is_not_a_regular_file_is_refused_and_left_as_it_was(string kind)
    {
        string dir = EngineCli.TempDir();
        string target = Path.Combine(dir, "out.wav");
        switch (kind)
        {
            case "character device": Shell("mknod", "-m", "666", target, "c", "1", "3"); break; // a /dev/null of our own
            case "named pipe": Shell("mkfifo", target); break;
            default: Directory.CreateDirectory(target); break;
        }
        AssertOneLine(EngineCli.Run("render", TestFiles.FourParts, "-o", target), 1, kind);
        Assert.True(Posix.TryLStat(target, out FileStatus after));
        Assert.Equal(kind == "directory" ? "a directory" : "a " + kind, after.Kind);
        AssertNothingLeft(dir, "out.wav");
        // The real /dev/null too: still the device afterwards.
        AssertOneLine(EngineCli.Run("render", TestFiles.FourParts, "-o", "/dev/null"), 1, "/dev/null is a character device");
        Assert.True(Posix.TryLStat("/dev/null", out FileStatus devNull) && devNull.Kind == "a character device");
        Assert.Empty(Directory.GetFiles("/dev", ".null.tmp-*"));
    }

    [Theory]
    [InlineData("same path")]
    [InlineData("another spelling")]
    [InlineData("hard link")]
    [InlineData("symbolic link")]
    [InlineData("summary onto the config")]
    public void An_output_that_is_an_input_is_refused_and_the_input_kept(string how)
    {
        string dir = EngineCli.TempDir();
        string input = Path.Combine(dir, "in.mid"), config = Path.Combine(dir, "config.json");
        File.Copy(TestFiles.FourParts, input);
        File.WriteAllText(config, "{}");
        byte[] midi = File.ReadAllBytes(input);
        string[] extra = [];
        string output = Path.Combine(dir, "out.wav");
        switch (how)
        {
            case "same path": output = input; break;
            case "another spelling": output = Path.Combine(dir, ".", "..", Path.GetFileName(dir), "in.mid"); break;
            case "hard link": output = Path.Combine(dir, "alias.mid"); Shell("ln", input, output); break;
            case "symbolic link": output = Path.Combine(dir, "link.wav"); File.CreateSymbolicLink(output, input); break;
            default: extra = ["--config", config, "--summary-json", config]; break;
        }
        AssertOneLine(EngineCli.Run(["render", input, "-o", output, .. extra]), 1, "is also an input of this command");
        Assert.Equal(midi, File.ReadAllBytes(input));
        Assert.Equal("{}", File.ReadAllText(config));
        AssertNothingLeft(dir, "in.mid", "config.json", "alias.mid", "link.wav");
    }

    [Fact]
    public void Two_outputs_on_one_file_are_refused()
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "out.wav");
        AssertOneLine(EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--frames", wav), 1, "given for two outputs");
        AssertNothingLeft(dir);
    }

    [Fact]
    public void A_summary_that_cannot_be_written_leaves_no_wav_and_keeps_the_old_one()
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "out.wav"), frames = Path.Combine(dir, "out.frames");
        File.WriteAllText(wav, "the previous take");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--frames", frames, "--summary-json", Path.Combine(dir, "no-such-folder", "s.json"));
        AssertOneLine(o, 1, "no-such-folder");
        Assert.Equal("the previous take", File.ReadAllText(wav));
        AssertNothingLeft(dir, "out.wav");
    }

    [Fact]
    public void All_outputs_of_a_render_arrive_together()
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "out.wav"), frames = Path.Combine(dir, "out.frames"), json = Path.Combine(dir, "out.json");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--frames", frames, "--summary-json", json);
        Assert.True(o.ExitCode == 0, o.Stderr);
        AssertNothingLeft(dir, "out.wav", "out.frames", "out.json");
        Assert.Contains("\"frames\"", File.ReadAllText(json));
    }

    [Theory]
    [InlineData("TERM", 143, "SIGTERM")]
    [InlineData("INT", 130, "SIGINT")]
    public void An_interrupted_render_removes_every_temporary_file_and_keeps_the_old_outputs(string signal, int exitCode, string word)
    {
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 60);
        string wav = Path.Combine(dir, "out.wav");
        File.WriteAllText(wav, "the previous take");
        using var engine = Child.Engine("render", midi, "-o", wav, "--frames", Path.Combine(dir, "out.frames"),
            "--summary-json", Path.Combine(dir, "out.json"), "--realtime");
        WaitUntil(() => Temporaries(dir).Length == 3, "the render's three temporary files");
        Thread.Sleep(300); // well inside the render loop
        engine.Signal(signal);
        EngineCli.Outcome o = engine.Wait(TimeSpan.FromSeconds(30));
        AssertOneLine(o, exitCode, $"interrupted by {(signal == "INT" ? "Ctrl-C (SIGINT)" : word)}");
        Assert.Equal("the previous take", File.ReadAllText(wav));
        AssertNothingLeft(dir, "out.wav", Path.GetFileName(midi));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_render_longer_than_the_limit_is_refused_before_anything_is_written(bool slowest)
    {
        string dir = EngineCli.TempDir();
        string midi = EndlessMidi(dir, slowest);
        Assert.True(new FileInfo(midi).Length < 100);
        string wav = Path.Combine(dir, "out.wav");
        AssertOneLine(EngineCli.Run("render", midi, "-o", wav, "--frames", Path.Combine(dir, "f.frames")), 1, "beyond the limit of 4.0 h — ");
        AssertNothingLeft(dir, "endless.mid");
        // Raised as far as it goes (11.6 days): 143 years is a damaged file; 3.1 days is more than a WAV file holds.
        AssertOneLine(EngineCli.Run("render", midi, "-o", wav, "--max-seconds", "1000000"), 1,
            slowest ? "its last event is at 143 years, beyond the limit of 11.6 days — no performance is that long: the file is damaged" : "more than one WAV file holds (4 GiB: 3.1 h at 48000 Hz)");
        AssertNothingLeft(dir, "endless.mid");
    }

    [Fact]
    public void A_render_larger_than_the_free_space_is_refused_before_anything_is_written()
    {
        using var disk = new SmallDisk("1m");
        AssertOneLine(EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(disk.Path, "out.wav")), 1, "not enough disk space");
        AssertNothingLeft(disk.Path);
    }

    [Fact]
    public void A_disk_that_fills_during_a_render_is_one_line_and_the_space_comes_back()
    {
        using var disk = new SmallDisk("48m");
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 30);
        using var engine = Child.Engine("render", midi, "-o", Path.Combine(disk.Path, "out.wav"), "--frames", Path.Combine(disk.Path, "out.frames"), "--block", "512", "--realtime");
        WaitUntil(() => Temporaries(disk.Path).Length == 2, "the render's temporary files");
        // Someone else fills the disk while the render writes.
        string filler = Path.Combine(disk.Path, "filler");
        try
        {
            using var f = new FileStream(filler, FileMode.CreateNew);
            var block = new byte[1 << 20];
            while (true) f.Write(block);
        }
        catch (IOException)
        {
        }
        EngineCli.Outcome o = engine.Wait(TimeSpan.FromSeconds(90));
        AssertOneLine(o, 1, "No space left on device");
        AssertNothingLeft(disk.Path, "filler");
        File.Delete(filler);
        Assert.True(new DriveInfo(disk.Path).AvailableFreeSpace > 47L << 20, "the temporary files' space was not given back");
    }

    [Fact]
    public void A_symlink_planted_at_a_temporary_name_is_never_followed()
    {
        string dir = EngineCli.TempDir();
        string victim = Path.Combine(dir, "victim.txt"), target = Path.Combine(dir, "out.json");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(Path.Combine(dir, ".out.tmp-planted.json"), victim);
        PendingFile.SuffixForTests = attempt => attempt == 0 ? "planted" : null;
        try
        {
            PendingFile.WriteAllText(target, "result");
        }
        finally
        {
            PendingFile.SuffixForTests = null;
        }
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal("result", File.ReadAllText(target));
        Assert.Equal(victim, new FileInfo(Path.Combine(dir, ".out.tmp-planted.json")).LinkTarget);
        AssertNothingLeft(dir, "victim.txt", "out.json", ".out.tmp-planted.json");
    }

    [Fact]
    public void Temporary_names_are_unpredictable()
    {
        string dir = EngineCli.TempDir();
        using var a = new PendingFile(Path.Combine(dir, "out.wav"));
        using var b = new PendingFile(Path.Combine(dir, "out.wav"));
        Assert.NotEqual(a.TempPath, b.TempPath);
        Assert.DoesNotContain(Environment.ProcessId.ToString(), Path.GetFileName(a.TempPath));
        Assert.Equal(dir, Path.GetDirectoryName(a.TempPath));
    }

    [Fact]
    public void A_set_of_outputs_is_committed_whole_or_not_at_all()
    {
        string dir = EngineCli.TempDir();
        using (var set = new OutputSet())
        {
            var wav = new PendingFile(Path.Combine(dir, "a.wav"), set: set);
            var json = new PendingFile(Path.Combine(dir, "a.json"), set: set);
            wav.Stream.Write(Encoding.UTF8.GetBytes("audio"));
            wav.Commit(); // ready, but not yet in place
            json.Stream.Write(Encoding.UTF8.GetBytes("{"));
            Assert.Throws<InvalidOperationException>(set.Commit); // the summary never finished
            Assert.False(File.Exists(Path.Combine(dir, "a.wav")));
        }
        AssertNothingLeft(dir);
    }

    /// <summary>A tmpfs of a given size mounted for one test (we are root here).</summary>
    private sealed class SmallDisk : IDisposable
    {
        public SmallDisk(string size)
        {
            Path = EngineCli.TempDir();
            Shell("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", Path);
        }

        public string Path { get; }

        public void Dispose() => Shell("umount", "-l", Path);
    }
}
