using System.Diagnostics;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Tests.Live;
using Losses.Tests.Osc;

namespace Losses.Tests.Cli;

/// <summary>`config`, `example`, `watch` and `devices`, run as the performer runs them: real processes, real files, a real ring and JACK server.</summary>
public class SmallCommandTests
{
    [Fact]
    public void Config_prints_the_defaults_as_json_that_config_check_accepts()
    {
        string dir = EngineCli.TempDir();
        EngineCli.Outcome printed = EngineCli.Run("config");
        Assert.Equal(0, printed.ExitCode);
        Assert.Equal("", printed.Stderr);
        Assert.Equal(EngineConfig.Default, EngineConfig.Parse(printed.Stdout, "printed"));

        string file = Path.Combine(dir, "losses.json");
        File.WriteAllText(file, printed.Stdout);
        EngineCli.Outcome check = EngineCli.Run("config", "--check", file);
        Assert.Equal(0, check.ExitCode);
        Assert.Equal($"{file}: ok", check.Stdout.Trim());

        // The same file with one value of the wrong type is refused, naming the key.
        File.WriteAllText(file, printed.Stdout.Replace("\"bassSplit\": 48", "\"bassSplit\": \"low\"", StringComparison.Ordinal));
        EngineCli.Outcome bad = EngineCli.Run("config", "--check", file);
        Assert.Equal(1, bad.ExitCode);
        Assert.Equal($"losses: losses.json: 'piece.bassSplit' must be a number", bad.Stderr.Trim());
    }

    [Fact]
    public void Example_writes_the_bundled_demo_as_a_midi_file_that_parses()
    {
        string dir = EngineCli.TempDir();
        string mid = Path.Combine(dir, "demo.mid");
        EngineCli.Outcome o = EngineCli.Run("example", "-o", mid);
        Assert.Equal(0, o.ExitCode);
        Assert.Equal("", o.Stderr);
        byte[] written = File.ReadAllBytes(mid);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestFiles.RepositoryRoot, "examples", "demo.mid")), written);
        var performance = MidiPerformance.Parse(written, "demo.mid", 48_000);
        Assert.Equal(75, performance.NoteOnCount); // the demo's note-ons (ExamplePerformance's remarks)
        Assert.Equal(["demo.mid"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Watch_count_prints_that_many_frames_of_a_realtime_render_as_the_frame_log_has_them()
    {
        string dir = EngineCli.TempDir();
        string midi = OscCommandTests.WritePerformance(dir);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        string log = Path.Combine(dir, "x.frames");
        const int count = 25;

        using Process watch = OscCommandTests.Start("watch", "--ring", ring, "--csv", "--count", count.ToString(), "--timeout", "30");
        Task<string> stdout = watch.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(watch, "waiting for the engine", lines);
        EngineCli.Outcome render = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "x.wav"), "--ring", ring, "--realtime", "--frames", log);
        Assert.True(render.ExitCode == 0, render.Stderr);
        Assert.True(watch.WaitForExit(30_000), "watch did not stop after --count frames");
        Assert.Equal(0, watch.ExitCode);
        string rest = watch.StandardError.ReadToEnd();
        Assert.Contains($"\n{count} frames read, 0 dropped", "\n" + rest);

        string[] watched = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        EngineCli.Outcome logged = EngineCli.Run("frames", log, "--csv");
        string[] all = logged.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(count + 1, watched.Length); // the CSV header and the frames
        Assert.Equal(all[0], watched[0]);
        // The reader joins where the writer is when it attaches: the frames are consecutive ones of the log.
        int first = Array.IndexOf(all, watched[1]);
        Assert.True(first >= 1, $"the first watched frame is not in the log: {watched[1]}");
        Assert.Equal(all.Skip(first).Take(count), watched.Skip(1));
    }

    [Fact]
    public void Devices_reports_a_running_jack_server_and_says_so_when_there_is_none()
    {
        string name = "losses-devices-" + Environment.ProcessId;
        using (JackServer.StartNamed(name))
        {
            EngineCli.Outcome with = EngineCli.RunWith(new Dictionary<string, string> { ["JACK_DEFAULT_SERVER"] = name }, "devices");
            Assert.Equal(0, with.ExitCode);
            Assert.Contains("jack   server running at 48000 Hz, 64 frames; playback ports: system:playback_1, system:playback_2", with.Stdout);
        }
        EngineCli.Outcome without = EngineCli.RunWith(new Dictionary<string, string> { ["JACK_DEFAULT_SERVER"] = name }, "devices");
        Assert.Equal(0, without.ExitCode);
        Assert.Contains("jack   no server running", without.Stdout);
        Assert.DoesNotContain("server running at", without.Stdout);
    }
}
