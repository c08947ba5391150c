using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;
using Losses.Engine.Midi;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Live;

/// <summary>`live --play FILE.mid`: the file reaches the processor at its own sample times on the engine's clock.</summary>
public class PlayFileTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(37)]
    [InlineData(256)]
    public void A_played_file_driven_cycle_by_cycle_is_the_offline_render_at_any_buffer_size(int buffer)
    {
        MidiPerformance performance = MidiPerformance.Load(PlayedSet.File, 48000);
        var processor = new LossesProcessor(EngineConfig.Default, PlayedSet.Seed);
        processor.Prepare(48000, 8192);
        var core = new LiveCore(processor) { Play = performance.Events };
        WavData offline = PlayedSet.Offline;
        var left = new float[buffer];
        var right = new float[buffer];
        for (int at = 0; at < offline.Frames; at += buffer)
        {
            core.Cycle(left, right, buffer / 48000.0);
            for (int i = 0; i < buffer && at + i < offline.Frames; i++)
                Assert.True(left[i] == offline.Samples[0][at + i] && right[i] == offline.Samples[1][at + i], $"sample {at + i} differs");
        }
        Assert.Equal(performance.Events.Length, core.Played);
    }

    [Fact]
    public void Played_events_merge_with_live_ones_in_offset_order_and_are_recorded_at_their_samples()
    {
        TimedMidiEvent[] file = [new(10, 0x90, 60, 100), new(70, 0x90, 64, 100), new(200, 0x80, 60, 0)];
        var processor = new LossesProcessor(EngineConfig.Default, 1);
        processor.Prepare(48000, 8192);
        var core = new LiveCore(processor) { Play = file };
        var left = new float[64];
        var right = new float[64];
        core.AddEvent(5, 0x91, 40, 90);
        core.AddEvent(10, 0x91, 41, 90); // at the same offset as the file's: the live one first
        core.AddEvent(30, 0x91, 42, 90);
        core.Cycle(left, right, 64 / 48000.0);
        core.Cycle(left, right, 64 / 48000.0); // the file's second event: sample 70 = offset 6 of cycle 2
        var recorded = new List<RecordedMidi>();
        while (core.Recording.TryDequeue(out RecordedMidi m)) recorded.Add(m);
        Assert.Equal([(5L, 40), (10L, 41), (10L, 60), (30L, 42), (70L, 64)], recorded.Select(m => (m.SampleTime, (int)m.Data1)));
        Assert.Equal(2, core.Played);
    }
}

/// <summary>`live --play` on a real JACK server: the file and a piano at once.</summary>
[Collection("jack")]
public class JackPlayFileTests(JackServer server, ITestOutputHelper output)
{
    private readonly JackServer _server = server;

    [Fact]
    public async Task On_jack_a_played_file_is_recorded_at_its_exact_samples_merged_with_the_piano()
    {
        string dir = EngineCli.TempDir();
        string client = "losses-p" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + client);
        using var piano = new JackTestClient(client + "-piano");
        piano.Start();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"), "live", "--client", client, "--no-connect",
                     "--play", PlayedSet.File, "--record", dir, "--duration", "3.5", "--seed", PlayedSet.Seed.ToString(CultureInfo.InvariantCulture), "--ring", "t-" + client,
                     "--summary-json", dir + ".summary.json" })
            info.ArgumentList.Add(a);
        using Process engine = Process.Start(info)!;
        Task<string> stdout = engine.StandardOutput.ReadToEndAsync(), stderr = engine.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (!piano.HasPort($"{client}:midi_in") && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);
        piano.PlayInto(client);
        Thread.Sleep(300);
        uint now = piano.Now();
        piano.Play([(now + 4800, 0x91, 84, 100), (now + 9600, 0x81, 84, 0), (now + 14400, 0x91, 86, 100), (now + 19200, 0x81, 86, 0)]);
        Assert.True(engine.WaitForExit(TimeSpan.FromSeconds(60)), "the engine did not finish");
        string said = await stdout;
        output.WriteLine(said + await stderr);
        Assert.Equal(0, engine.ExitCode);

        TimedMidiEvent[] recorded = MidiPerformance.Load(Path.Combine(dir, "performance.mid"), 48000).Events;
        // Every event of the file at its own sample of the engine's clock, whatever JACK's cycles did.
        Assert.Equal(MidiPerformance.Load(PlayedSet.File, 48000).Events, recorded.Where(e => (e.Status & 0x0F) == 0));
        // The piano's messages joined them (JACK drops MIDI only in a cycle it ran without the engine).
        Assert.InRange(recorded.Count(e => (e.Status & 0x0F) == 1), 2, 4);
        Assert.Contains("played 26 of 26 events", said);

        // The summary for scripts says what the recording and the server say, not what the text said.
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir + ".summary.json"));
        JsonElement summary = json.RootElement;
        Assert.Equal(26, summary.GetProperty("played").GetInt32());
        Assert.Equal(recorded.Length + summary.GetProperty("midiDropped").GetInt64(), summary.GetProperty("midiEvents").GetInt64());
        Assert.Equal(48000, summary.GetProperty("sampleRate").GetInt32());
        Assert.Equal(64, summary.GetProperty("bufferSize").GetInt32());
        double seconds = summary.GetProperty("seconds").GetDouble();
        Assert.InRange(seconds, 3.5, 3.6);
        Assert.Equal(seconds * 48000 / 64, summary.GetProperty("cycles").GetInt64(), 3);
        using (var log = Losses.Protocol.FrameLogReader.Open(Path.Combine(dir, "frames.frames")))
            Assert.Equal(log.Count, summary.GetProperty("frames").GetInt64());
        // Note-ons: the file's 11 and the piano's that arrived.
        Assert.Equal(recorded.Count(e => (e.Status & 0xF0) == 0x90 && e.Data2 > 0), summary.GetProperty("notes").GetInt32());
        Assert.True(summary.GetProperty("gradientSteps").GetInt64() > 4, "the bass note's steps and the chord's");
        Assert.Equal(JsonValueKind.Null, summary.GetProperty("ending").ValueKind);
        Assert.Equal(3, summary.GetProperty("gcCollections").GetArrayLength());
        float median = summary.GetProperty("dspMedian").GetSingle(), p99 = summary.GetProperty("dspP99").GetSingle(), max = summary.GetProperty("dspMax").GetSingle();
        Assert.True(median > 0 && median <= p99 && p99 <= max, $"dsp load median {median}, p99 {p99}, max {max}");
        // The warm-up's cycles are the ones before the measured ones (the audio runs on a moment after they are read).
        long warmUp = summary.GetProperty("warmUpCycles").GetInt64();
        Assert.True(warmUp > 0, "the set had a warm-up");
        Assert.True(warmUp + summary.GetProperty("dspCycles").GetInt64() <= summary.GetProperty("cycles").GetInt64());
        Assert.True(summary.GetProperty("warmUpDspMax").GetSingle() > 0);
        Assert.InRange(summary.GetProperty("warmUpOverruns").GetInt64(), 0, warmUp);
    }
}
