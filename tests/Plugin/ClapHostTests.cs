using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>The same library as a CLAP plugin, driven by a host the test writes (no CLAP host is packaged here).</summary>
public class ClapHostTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    [Fact]
    public void Clap_entry_factory_ports_and_params_describe_the_instrument_and_the_state_carries_the_params()
    {
        var (major, minor, factory) = ClapTestHost.Entry(PluginBundle.Library);
        Assert.Equal(1u, major);
        Assert.True(minor >= 2);
        Assert.Equal("org.losses.instrument", ClapTestHost.DescriptorId(factory, out uint count));
        Assert.Equal(1u, count);

        using var a = new ClapTestHost(PluginBundle.Library);
        Assert.NotEqual(0, a.Extension("clap.audio-ports"));
        Assert.NotEqual(0, a.Extension("clap.note-ports"));
        Assert.Equal(0, a.Extension("clap.gui"));
        Assert.Equal(0.0, a.Param(0)); // 0 dB over the config's master gain: the plugin plays as a render does
        a.AddParam(0, 0, 3.5);
        a.AddParam(0, 2, 42);
        a.AddParam(0, 4, 99); // read-only: ignored
        a.Flush();
        Assert.Equal(3.5, a.Param(0));
        Assert.Equal(42.0, a.Param(2));
        Assert.Equal(0.0, a.Param(4));
        byte[] state = a.SaveState();
        output.WriteLine($"state: {state.Length} bytes");

        using var b = new ClapTestHost(PluginBundle.Library);
        Assert.True(b.LoadState(state));
        Assert.Equal(3.5, b.Param(0));
        Assert.Equal(42.0, b.Param(2));
        Assert.Equal(1.0, b.Param(1));
        Assert.False(b.LoadState([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36]), "a foreign state is refused");
        Assert.Equal(3.5, b.Param(0));
    }

    [Fact]
    public void Four_parts_as_clap_notes_and_midi_at_varying_block_sizes_equals_the_offline_render_and_process_allocates_nothing()
    {
        WavData offline = FourPartsRender.Offline;
        TimedMidiEvent[] events = FourPartsRender.Events;

        using var host = new ClapTestHost(PluginBundle.Library);
        host.AddParam(0, 2, FourPartsRender.Seed); // seed, read on activation
        host.AddParam(0, 3, 0); // no ring
        host.Flush();
        Assert.True(host.Activate(Rate, 0, 4096));
        int[] blocks = [64, 0, 1, 37, 256, 1000, 5, 128, 4096, 63, 2];
        var left = new float[offline.Frames];
        var right = new float[offline.Frames];
        int next = 0, notes = 0, midi = 0;
        long pos = 0;
        for (int b = 0; pos < offline.Frames; b++)
        {
            int n = (int)Math.Min(blocks[b % blocks.Length], offline.Frames - pos);
            while (next < events.Length && events[next].SampleTime < pos + n)
            {
                TimedMidiEvent e = events[next++];
                uint time = (uint)(e.SampleTime - pos);
                // Notes as CLAP note events (velocity 0..1), everything else as MIDI: both dialects.
                if ((e.Status & 0xF0) == 0x90 && e.Data2 > 0) { host.AddNote(time, true, e.Data1, e.Data2 / 127.0, e.Status & 15); notes++; }
                else if ((e.Status & 0xF0) == 0x80) { host.AddNote(time, false, e.Data1, 0, e.Status & 15); notes++; }
                else { host.AddMidi(time, e.Status, e.Data1, e.Data2); midi++; }
            }
            var (l, rr) = host.Process(n);
            l.CopyTo(left, pos);
            rr.CopyTo(right, pos);
            pos += n;
        }
        Assert.Equal(events.Length, next);
        int differing = 0;
        for (int i = 0; i < offline.Frames; i++)
            if (Math.Abs(left[i] - offline.Samples[0][i]) > 1e-6f || Math.Abs(right[i] - offline.Samples[1][i]) > 1e-6f) differing++;
        output.WriteLine($"{notes} CLAP note events, {midi} MIDI events; samples beyond 1e-6 of the offline render: {differing}");
        Assert.Equal(0, differing);
        Assert.Equal(0.0, host.Param(4));
    }

    [Fact]
    public void With_the_hosts_transport_a_bounce_from_the_top_is_the_offline_render_after_any_time_stopped_and_a_second_bounce_is_the_first()
    {
        WavData offline = FourPartsRender.Offline;
        TimedMidiEvent[] events = FourPartsRender.Events;
        using var host = new ClapTestHost(PluginBundle.Library);
        host.AddParam(0, 2, FourPartsRender.Seed);
        host.AddParam(0, 3, 0);
        host.Flush();
        Assert.True(host.Activate(Rate, 0, 4096));
        const int block = 480;
        // Every process() carries the transport, as CLAP hosts send it: two seconds stopped at 0, then playing from 0.
        (float[], float[]) Bounce(int stoppedBlocks)
        {
            for (int b = 0; b < stoppedBlocks; b++) host.Process(block, new ClapTestHost.Transport(false, 0, Rate));
            var left = new float[offline.Frames];
            var right = new float[offline.Frames];
            int next = 0;
            for (long pos = 0; pos < offline.Frames; pos += block)
            {
                int n = (int)Math.Min(block, offline.Frames - pos);
                for (; next < events.Length && events[next].SampleTime < pos + n; next++)
                    host.AddMidi((uint)(events[next].SampleTime - pos), events[next].Status, events[next].Data1, events[next].Data2);
                var (l, r) = host.Process(n, new ClapTestHost.Transport(true, pos, Rate));
                l.CopyTo(left, pos);
                r.CopyTo(right, pos);
            }
            return (left, right);
        }
        var (first, firstRight) = Bounce(stoppedBlocks: 200);
        Assert.Equal(0, StateTests.Differing(offline, first, firstRight));
        var (second, _) = Bounce(stoppedBlocks: 37);
        Assert.Equal(first, second);
        Assert.Equal(0.0, host.Param(4));
    }
}
