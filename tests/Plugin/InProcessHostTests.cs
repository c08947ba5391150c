using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Tests.Cli;
using Losses.Tests.Live;
using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>The NativeAOT library driven block by block by a host the test writes: any block size, even 0.</summary>
public class InProcessHostTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    [Fact]
    public void Four_parts_through_the_plugin_at_varying_block_sizes_including_zero_equals_the_offline_render_and_run_allocates_nothing()
    {
        WavData offline = FourPartsRender.Offline;
        TimedMidiEvent[] events = FourPartsRender.Events;

        using var host = new Lv2TestHost(PluginBundle.Library, Rate, new Dictionary<uint, float> { [Lv2TestHost.Seed] = FourPartsRender.Seed, [Lv2TestHost.Ring] = 0 });
        host.Activate();
        // Hosts may run any length (LV2 allows 0, and some hosts split blocks at automation points).
        int[] blocks = [64, 0, 1, 37, 256, 0, 1000, 5, 128, 4096, 0, 63, 2];
        var left = new float[offline.Frames];
        var right = new float[offline.Frames];
        var blockEvents = new List<(int, byte, byte, byte)>();
        int next = 0, zeroBlocksWithEvents = 0;
        long pos = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int b = 0; pos < offline.Frames; b++)
        {
            int n = (int)Math.Min(blocks[b % blocks.Length], offline.Frames - pos);
            // Every third event: a block ends just before it and a zero-length block delivers it.
            if (next < events.Length && next % 3 == 0 && events[next].SampleTime < pos + n) n = (int)(events[next].SampleTime - pos);
            blockEvents.Clear();
            // An event at this block's first sample goes into a zero-length block when one comes.
            while (next < events.Length && (events[next].SampleTime < pos + n || (n == 0 && events[next].SampleTime == pos)))
            {
                TimedMidiEvent e = events[next++];
                blockEvents.Add(((int)(e.SampleTime - pos), e.Status, e.Data1, e.Data2));
            }
            if (n == 0 && blockEvents.Count > 0) zeroBlocksWithEvents++;
            var (l, rr) = host.Run(n, blockEvents.ToArray());
            l.CopyTo(left, pos);
            rr.CopyTo(right, pos);
            pos += n;
        }
        TimeSpan runTime = clock.Elapsed;
        output.WriteLine($"{offline.Frames} samples in blocks of {string.Join(",", blocks)}; {zeroBlocksWithEvents} zero-length blocks carried events");
        Assert.Equal(events.Length, next);

        Assert.True(zeroBlocksWithEvents > 20, $"only {zeroBlocksWithEvents} zero-length blocks carried events");
        output.WriteLine($"run() for the whole performance: {runTime.TotalSeconds:F2} s for {(double)offline.Frames / Rate:F1} s of audio");

        int differing = 0;
        float worst = 0;
        for (int i = 0; i < offline.Frames; i++)
        {
            float d = MathF.Max(MathF.Abs(left[i] - offline.Samples[0][i]), MathF.Abs(right[i] - offline.Samples[1][i]));
            if (d > 1e-6f) differing++;
            worst = MathF.Max(worst, d);
        }
        output.WriteLine($"largest difference from the offline render: {worst:G3}; samples beyond 1e-6: {differing}");
        Assert.Equal(0, differing);
        Assert.True(offline.Samples[0].Max() > 0.05f, "the render is not silent");
        Assert.Equal(4, host[Lv2TestHost.CurrentPart]);
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);
    }

    [Fact]
    public void The_gain_and_seed_controls_play_as_the_config_and_seed_of_a_render()
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "loud.json"), wav = Path.Combine(dir, "loud.wav");
        File.WriteAllText(config, """{ "master": { "gainDb": 3 } }""");
        EngineCli.Outcome r = EngineCli.Run("render", PlayedSet.File, "-o", wav, "--seed", "9", "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        WavData offline = WavData.Read(wav);
        TimedMidiEvent[] events = MidiPerformance.Load(PlayedSet.File, Rate).Events;

        using var host = new Lv2TestHost(PluginBundle.Library, Rate, new Dictionary<uint, float> { [Lv2TestHost.Seed] = 9, [Lv2TestHost.Gain] = 3, [Lv2TestHost.Ring] = 0 });
        host.Activate();
        var (left, right) = host.Play(events, offline.Frames, 128);
        Assert.Equal(0, StateTests.Differing(offline, left, right));
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);
    }
}
