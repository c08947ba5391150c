using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Losses.Engine.Audio;
using Losses.Tests.Cli;
using Losses.Tests.Live;
using Xunit.Abstractions;

namespace Losses.Tests.Asio;

/// <summary>
/// The win-x64 engine under Wine, on the project's test ASIO driver: a played set's audio, as the
/// driver received it in its output buffers, against the offline render of the same file; the
/// driver's reset request, createBuffers failure and silence (unplugged); exit codes.
/// </summary>
[Collection("wine")]
public class AsioLiveTests(WineAsio wine, ITestOutputHelper output)
{
    private const int Rate = 48000;
    private const string Seconds = "3.5";

    [Fact]
    public void Devices_lists_the_test_driver_under_the_asio_heading_and_no_jack()
    {
        output.WriteLine($"set-up: driver build {wine.DriverBuild.TotalSeconds:0.0} s, win-x64 publish {wine.Publish.TotalSeconds:0.0} s, Wine prefix + registration {wine.PrefixSetUp.TotalSeconds:0.0} s");
        EngineCli.Outcome r = wine.RunEngine([], "devices");
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.Equal(0, r.ExitCode);
        string[] lines = r.Stdout.ReplaceLineEndings("\n").Split('\n');
        int heading = Array.FindIndex(lines, l => l.StartsWith("ASIO drivers"));
        Assert.True(heading >= 0, r.Stdout);
        Assert.Equal("  " + WineAsio.DriverName, lines[heading + 1]);
        Assert.Contains(lines, l => l.StartsWith("MIDI inputs"));
        Assert.DoesNotContain("jack", r.Stdout, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, int, bool> Formats()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (string type in new[] { "float32", "int32", "int24", "int16" })
            foreach (int frames in new[] { 32, 64, 256 })
                data.Add(type, frames, type == "int16"); // int16 as a plainer driver: no outputReady, no time info
        data.Add("float32", 96, false); // a preferred size that is no power of two (granularity 32)
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void A_played_set_reaches_the_driver_exactly_as_the_offline_render(string type, int frames, bool plainDriver)
    {
        var env = new Dictionary<string, string>
        {
            ["LOSSES_ASIO_SAMPLE_TYPE"] = type,
            ["LOSSES_ASIO_BUFFER"] = frames == 96 ? "32,1024,96,32" : $"32,2048,{frames},-1",
        };
        if (plainDriver) { env["LOSSES_ASIO_OUTPUT_READY"] = "0"; env["LOSSES_ASIO_TIME_INFO"] = "0"; }
        Set set = Play(env, "--duration", Seconds);
        Assert.True(set.Outcome.ExitCode == 0, set.Outcome.Stdout + set.Outcome.Stderr);
        Assert.Contains($"{frames} frames", set.Outcome.Stderr);
        Assert.All(set.Capture.Buffers, b => Assert.Equal(frames, b));
        Assert.Equal(type, AsioCapture.TypeName(set.Capture.Type));
        AssertEqualsOffline(set.Capture, PlayedSet.Offline, whole: true);
        Assert.Equal(EngineSamples(set.Dir), set.Capture.Frames); // every sample the engine made reached the driver

        // The driver's own count: a driver that offers outputReady heard it after every buffer.
        string log = File.ReadAllText(set.Log);
        output.WriteLine(log);
        long switches = Field(log, "switches"), ready = Field(log, "outputReady");
        Assert.Equal(plainDriver ? 0 : switches, ready);
        Assert.Equal(plainDriver ? 0 : 1, Field(log, "timeInfo"));

        // Process-wide, after warm-up: nothing allocated, nothing collected.
        Assert.Contains("gc collections 0/0/0", set.Outcome.Stdout);
        Assert.Contains("allocated bytes 0", set.Outcome.Stdout);
        // The recording of the set re-renders to what the driver received.
        if (type == "float32" && frames == 64) AssertEqualsOffline(set.Capture, ReRender(set.Dir), whole: true);
    }

    [Fact]
    public void A_reset_request_reopens_the_driver_at_its_new_buffer_size_and_the_set_plays_on()
    {
        // After 0.8 s the "user" changes the buffer from 64 to 128 frames in the control panel.
        Set set = Play(new() { ["LOSSES_ASIO_RESET_AFTER"] = "600", ["LOSSES_ASIO_RESET_PREFERRED"] = "128" }, "--duration", Seconds);
        Assert.True(set.Outcome.ExitCode == 0, set.Outcome.Stdout + set.Outcome.Stderr);
        string[] said = ErrorLines(set.Outcome.Stderr).Where(l => l.Contains("reset")).ToArray();
        Assert.Single(said);
        Assert.Contains("re-opened at 48000 Hz, 128 frames (was 64)", said[0]);
        // The driver calls back until the engine stops it (on its main thread, within a few buffers).
        int before = set.Capture.Buffers.TakeWhile(b => b == 64).Count();
        Assert.InRange(before, 600, 1200);
        Assert.All(set.Capture.Buffers.Skip(before), b => Assert.Equal(128, b));
        Assert.True(set.Capture.Buffers.Length - before > 500, "the set played on after the reset");
        // The engine's clock runs on through the reset: the set is still the offline render, sample for sample.
        AssertEqualsOffline(set.Capture, PlayedSet.Offline, whole: true);
        Assert.Equal(2, File.ReadAllLines(set.Log).Length); // two driver sessions
    }

    [Fact]
    public void A_createBuffers_failure_at_the_start_is_one_line_a_failing_exit_and_nothing_written()
    {
        Set set = Play(new() { ["LOSSES_ASIO_FAIL_CREATEBUFFERS"] = "1" }, "--duration", Seconds);
        Assert.Equal(1, set.Outcome.ExitCode);
        string line = Assert.Single(ErrorLines(set.Outcome.Stderr));
        Assert.StartsWith("losses: ASIO driver 'Losses Test ASIO' failed createBuffers (ASE_HWMalfunction: test fault: createBuffers fails)", line);
        Assert.Empty(Directory.GetFiles(set.Dir));
    }

    [Fact]
    public void A_createBuffers_failure_after_a_reset_ends_the_set_in_one_line_with_the_recording_complete()
    {
        Set set = Play(new() { ["LOSSES_ASIO_RESET_AFTER"] = "600", ["LOSSES_ASIO_FAIL_CREATEBUFFERS"] = "2" }, "--duration", "10");
        Assert.Equal(1, set.Outcome.ExitCode);
        string[] lines = ErrorLines(set.Outcome.Stderr).Where(l => !l.StartsWith("live on")).ToArray();
        string line = Assert.Single(lines);
        Assert.Contains("after a reset request: ASIO driver 'Losses Test ASIO' failed createBuffers", line);
        Assert.InRange(set.Capture.Buffers.Length, 600, 1200);
        AssertRecordingComplete(set);
        AssertEqualsOffline(set.Capture, ReRender(set.Dir), whole: false);
    }

    [Fact]
    public void A_driver_that_stops_calling_back_ends_the_set_in_one_line_with_the_recording_complete()
    {
        var clock = Stopwatch.StartNew();
        Set set = Play(new() { ["LOSSES_ASIO_STOP_AFTER"] = "1200" }, "--duration", "30");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"the engine ran {clock.Elapsed.TotalSeconds:0.0} s after the driver went silent");
        Assert.Equal(1, set.Outcome.ExitCode);
        string line = Assert.Single(ErrorLines(set.Outcome.Stderr), l => !l.StartsWith("live on"));
        Assert.Contains("stopped calling back", line);
        Assert.Equal(1200, set.Capture.Buffers.Length);
        AssertRecordingComplete(set);
        AssertEqualsOffline(set.Capture, ReRender(set.Dir), whole: false);
    }

    [Fact]
    public void Bad_drivers_and_inputs_under_wine_are_one_line_and_the_right_exit_code()
    {
        string ring = "t-" + Guid.NewGuid().ToString("N")[..6];
        EngineCli.Outcome wrong = wine.RunEngine([], "live", "--audio", "asio", "--driver", "no-such-interface", "--ring", ring, "--duration", "1");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Equal($"losses: no ASIO driver matches 'no-such-interface' (installed: {WineAsio.DriverName})", Assert.Single(ErrorLines(wrong.Stderr)));

        EngineCli.Outcome missing = wine.RunEngine([], "live", "--audio", "asio", "--play", "/nonexistent/set.mid", "--ring", ring, "--duration", "1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("file not found", Assert.Single(ErrorLines(missing.Stderr)));

        EngineCli.Outcome usage = wine.RunEngine([], "live", "--audio", "asio", "--no-such-option");
        Assert.Equal(2, usage.ExitCode);
        Assert.Single(ErrorLines(usage.Stderr));

        wine.Unregister();
        try
        {
            EngineCli.Outcome none = wine.RunEngine([], "live", "--audio", "asio", "--ring", ring, "--duration", "1");
            Assert.Equal(1, none.ExitCode);
            Assert.Contains("no ASIO driver is installed", Assert.Single(ErrorLines(none.Stderr)));
        }
        finally
        {
            wine.Register();
        }
    }

    private sealed record Set(EngineCli.Outcome Outcome, AsioCapture Capture, string Dir, string Log);

    /// <summary>A `live --play` set on the test driver, recorded; the driver set up by <paramref name="env"/>.</summary>
    private Set Play(Dictionary<string, string> env, params string[] args)
    {
        string work = EngineCli.TempDir();
        string dir = Path.Combine(work, "set");
        Directory.CreateDirectory(dir);
        string capture = Path.Combine(work, "capture.raw"), log = Path.Combine(work, "driver.log");
        env["LOSSES_ASIO_CAPTURE"] = WineAsio.WindowsPath(capture);
        env["LOSSES_ASIO_LOG"] = WineAsio.WindowsPath(log);
        var clock = Stopwatch.StartNew();
        EngineCli.Outcome r = wine.RunEngine(env, ["live", "--audio", "asio", "--driver", "Losses Test", "--play", PlayedSet.File,
            "--seed", PlayedSet.Seed.ToString(CultureInfo.InvariantCulture), "--record", dir, "--ring", "t-" + Guid.NewGuid().ToString("N")[..6], .. args]);
        output.WriteLine($"{string.Join(' ', env.Where(e => !e.Key.EndsWith("CAPTURE") && !e.Key.EndsWith("LOG")).Select(e => $"{e.Key}={e.Value}"))}: exit {r.ExitCode} in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(r.Stdout + r.Stderr);
        return new Set(r, AsioCapture.Read(capture), dir, log);
    }

    /// <summary>
    /// Every captured sample against the render: bit for bit for float, within one step of the format
    /// otherwise. A whole set covers the render and is silent after it; a cut-short one matches as far as it went.
    /// </summary>
    private static void AssertEqualsOffline(AsioCapture capture, WavData wav, bool whole)
    {
        int n = Math.Min(capture.Frames, wav.Frames);
        if (whole) Assert.True(capture.Frames >= wav.Frames, $"the set ({capture.Frames} frames) is shorter than the render ({wav.Frames})");
        double scale = AsioCapture.Scale(capture.Type);
        double tolerance = scale == 0 ? 0 : 1 / scale;
        for (int i = 0; i < capture.Frames; i++)
        {
            double l = i < n ? wav.Samples[0][i] : 0, r = i < n ? wav.Samples[1][i] : 0;
            if (Math.Abs(capture.Left[i] - l) > tolerance || Math.Abs(capture.Right[i] - r) > tolerance)
                Assert.Fail($"sample {i} ({i / (double)Rate:0.0000} s): driver got {capture.Left[i]}, {capture.Right[i]}; offline {l}, {r}");
        }
        Assert.Contains(wav.Samples[0].Take(n), s => Math.Abs(s) > 0.01); // the comparison covered sound, not silence
    }

    private static WavData ReRender(string dir)
    {
        using JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "session.json")));
        string wav = Path.Combine(dir, "..", "replay.wav");
        EngineCli.Outcome r = EngineCli.Run("render", Path.Combine(dir, "performance.mid"), "-o", wav, "--config", Path.Combine(dir, "config.json"),
            "--seed", session.RootElement.GetProperty("seed").GetUInt64().ToString(CultureInfo.InvariantCulture),
            "--sample-rate", session.RootElement.GetProperty("sampleRate").GetInt32().ToString(CultureInfo.InvariantCulture));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return WavData.Read(wav);
    }

    private static long EngineSamples(string dir)
    {
        using JsonDocument session = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "session.json")));
        return session.RootElement.GetProperty("engineSamples").GetInt64();
    }

    private static void AssertRecordingComplete(Set set)
    {
        foreach (string file in new[] { "performance.mid", "frames.frames", "config.json", "session.json" })
            Assert.True(File.Exists(Path.Combine(set.Dir, file)), $"{file} missing");
        Assert.False(File.Exists(Path.Combine(set.Dir, "midi.partial")));
        Assert.Equal(EngineSamples(set.Dir), set.Capture.Frames);
    }

    /// <summary>stderr's lines (a stack trace would show up here as more of them).</summary>
    private static string[] ErrorLines(string stderr) => stderr.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static long Field(string log, string name)
    {
        string[] words = log.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(words[Array.IndexOf(words, name) + 1], CultureInfo.InvariantCulture);
    }
}
