using Losses.Engine.Midi;
using Losses.Tests.Audio;
using Xunit.Abstractions;
using Position = Losses.Tests.Plugin.Lv2TestHost.Position;

namespace Losses.Tests.Plugin;

/// <summary>
/// The plugin follows the host's timeline (LV2 time:Position on its atom input), driven by the
/// tests' in-process host as a DAW drives it: the transport starting, stopping, locating, looping.
/// </summary>
public class TransportTests(ITestOutputHelper output)
{
    private const int Rate = FourPartsRender.Rate;
    private const int Block = 512;

    private static Lv2TestHost Host() =>
        new(PluginBundle.Library, Rate, new Dictionary<uint, float> { [Lv2TestHost.Seed] = FourPartsRender.Seed, [Lv2TestHost.Ring] = 0 });

    /// <summary>
    /// The timeline from <paramref name="from"/> for <paramref name="frames"/> samples, rolling, in blocks of
    /// <see cref="Block"/>: the events fall where their sample times are on the timeline; the host
    /// says where it is in the first block only, as DAWs do (again only at a jump).
    /// </summary>
    private static (float[] Left, float[] Right) Roll(Lv2TestHost host, TimedMidiEvent[] events, long from, long frames, int firstOffset = 0)
    {
        var left = new float[frames];
        var right = new float[frames];
        var blockEvents = new List<(int, byte, byte, byte)>();
        int next = 0;
        while (next < events.Length && events[next].SampleTime < from) next++;
        // A first block that ends where the roll begins (a transport starting mid-block).
        if (firstOffset > 0) host.Run(firstOffset, []);
        for (long pos = 0; pos < frames; pos += Block)
        {
            int n = (int)Math.Min(Block, frames - pos);
            blockEvents.Clear();
            for (; next < events.Length && events[next].SampleTime < from + pos + n; next++)
                blockEvents.Add(((int)(events[next].SampleTime - from - pos), events[next].Status, events[next].Data1, events[next].Data2));
            Position[] positions = pos == 0 ? [new Position(0, from, 1f)] : [];
            var (l, r) = host.Run(n, blockEvents.ToArray(), positions);
            l.CopyTo(left, pos);
            r.CopyTo(right, pos);
        }
        return (left, right);
    }

    /// <summary>The transport stops at <paramref name="at"/>; then <paramref name="frames"/> stopped samples with these live messages at their offsets from the stop.</summary>
    private static (float[] Left, float[] Right) Stopped(Lv2TestHost host, long at, long frames, (int Offset, byte S, byte D1, byte D2)[] live)
    {
        var left = new float[frames];
        var right = new float[frames];
        for (long pos = 0; pos < frames; pos += Block)
        {
            int n = (int)Math.Min(Block, frames - pos);
            var now = live.Where(e => e.Offset >= pos && e.Offset < pos + n).Select(e => (e.Offset - (int)pos, e.S, e.D1, e.D2)).ToArray();
            var (l, r) = host.Run(n, now, pos == 0 ? [new Position(0, at, 0f)] : []);
            l.CopyTo(left, pos);
            r.CopyTo(right, pos);
        }
        return (left, right);
    }

    private static int Differing(float[] expectedLeft, float[] expectedRight, float[] left, float[] right, long from = 0)
    {
        int differing = 0;
        for (long i = from; i < Math.Min(expectedLeft.Length, left.Length); i++)
            if (Math.Abs(left[i] - expectedLeft[i]) > 1e-6f || Math.Abs(right[i] - expectedRight[i]) > 1e-6f) differing++;
        return differing;
    }

    [Fact]
    public void A_bounce_from_the_top_is_the_offline_render_however_long_the_plugin_ran_before_and_a_second_bounce_is_the_first()
    {
        WavData offline = FourPartsRender.Offline;
        TimedMidiEvent[] events = FourPartsRender.Events;
        using Lv2TestHost host = Host();
        host.Activate();
        // Activated 3.3 s before the transport starts (Ardour's lag measured here), with a chord played live meanwhile.
        (float[] live, _) = Stopped(host, 0, (long)(3.3 * Rate), [(1000, 0x90, 40, 90), (1000, 0x90, 44, 90), (1000, 0x90, 47, 90), (60000, 0x80, 40, 0), (60000, 0x80, 44, 0), (60000, 0x80, 47, 0)]);
        Assert.True(live.Max() > 0.01f, "live input plays while the transport is stopped");

        var (left, right) = Roll(host, events, 0, offline.Frames);
        Assert.Equal(0, StateTests.Differing(offline, left, right));
        Assert.True(left.Max() > 0.05f);

        // Stopped at the end, the locate to the start, a second bounce (the transport starting mid-block this time).
        Stopped(host, offline.Frames, Rate, []);
        var (again, againRight) = Roll(host, events, 0, offline.Frames, firstOffset: 100);
        Assert.Equal(left, again);
        Assert.Equal(right, againRight);
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);
    }

    [Fact]
    public void A_locate_while_rolling_starts_the_piece_again_there_as_a_render_with_nothing_before_that_point()
    {
        TimedMidiEvent[] events = FourPartsRender.Events;
        long jumpTo = 19 * Rate + 1234; // part 2, mid-chord, off every grid
        long length = events[^1].SampleTime + Rate - jumpTo;
        using Lv2TestHost host = Host();
        host.Activate();
        Roll(host, events, 0, 8 * Rate); // the first 8 s, then the locate (forwards) while rolling
        var (left, right) = Roll(host, events, jumpTo, length);

        // The engine itself (this process's JIT build): the same events at their timeline samples, nothing before the jump.
        TimedMidiEvent[] after = events.Where(e => e.SampleTime >= jumpTo).ToArray();
        Rendering.Result expected = Rendering.Run(after, jumpTo + length, seed: FourPartsRender.Seed);
        float[] expectedLeft = expected.Left[(int)jumpTo..], expectedRight = expected.Right[(int)jumpTo..];
        Assert.Equal(0, Differing(expectedLeft, expectedRight, left, right));
        Assert.True(left.Max() > 0.05f);

        // And a jump backwards to the same point gives the same again.
        var (again, _) = Roll(host, events, jumpTo, length);
        Assert.Equal(left, again);
    }

    [Fact]
    public void Each_pass_of_a_loop_plays_as_the_first_and_the_wrap_may_fall_inside_a_block()
    {
        TimedMidiEvent[] events = FourPartsRender.Events;
        long loopStart = 2 * Rate + 17, loopEnd = 9 * Rate + 300; // the loop's end is not on a block edge
        long length = loopEnd - loopStart;
        using Lv2TestHost host = Host();
        host.Activate();
        var passes = new List<float[]>();
        var left = new float[length];
        var blockEvents = new List<(int, byte, byte, byte)>();
        // Three passes with no gap: a block that crosses the loop's end carries the host's new position at the wrap.
        long timeline = loopStart, written = 0, total = 3 * length;
        int next = events.TakeWhile(e => e.SampleTime < loopStart).Count(), pass = 0;
        bool first = true;
        while (written < total)
        {
            int n = Block;
            var positions = new List<Position>();
            if (first) { positions.Add(new Position(0, loopStart, 1f)); first = false; }
            blockEvents.Clear();
            var audioPass = new List<(int Offset, int Pass)>();
            int offset = 0;
            while (offset < n && written < total)
            {
                int run = (int)Math.Min(n - offset, loopEnd - timeline);
                for (; next < events.Length && events[next].SampleTime < timeline + run; next++)
                    blockEvents.Add(((int)(events[next].SampleTime - timeline) + offset, events[next].Status, events[next].Data1, events[next].Data2));
                offset += run;
                timeline += run;
                written += run;
                if (timeline == loopEnd)
                {
                    timeline = loopStart;
                    next = events.TakeWhile(e => e.SampleTime < loopStart).Count();
                    if (written < total) positions.Add(new Position(offset, loopStart, 1f));
                }
            }
            var (l, _) = host.Run(offset, blockEvents.ToArray(), positions.ToArray());
            for (int i = 0; i < offset; i++)
            {
                long at = written - offset + i;
                if (at / length != pass) { passes.Add(left); left = new float[length]; pass++; }
                left[at % length] = l[i];
            }
        }
        passes.Add(left);
        output.WriteLine($"{passes.Count} passes of {length} samples; peaks {string.Join(", ", passes.Select(p => p.Max().ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.Equal(3, passes.Count);
        Assert.True(passes[0].Max() > 0.05f);
        Assert.Equal(passes[0], passes[1]);
        Assert.Equal(passes[0], passes[2]);
    }

    [Fact]
    public void Stopping_keeps_the_piece_where_it_is_live_input_plays_on_and_starting_again_starts_it_from_the_top()
    {
        TimedMidiEvent[] events = FourPartsRender.Events;
        long pedal = events.First(e => e.Status == 0xB0 && e.Data1 == 67 && e.Data2 >= 64).SampleTime;
        long stopAt = pedal + Rate;
        using Lv2TestHost host = Host();
        host.Activate();
        Roll(host, events, 0, stopAt); // through the first soft-pedal press: part 2
        Assert.Equal(2f, host[Lv2TestHost.CurrentPart]);

        // Stopped for two seconds with a chord played live: it sounds, and the piece stays in part 2.
        var (left, _) = Stopped(host, stopAt, 2 * Rate, [(100, 0x90, 40, 100), (100, 0x90, 44, 100), (100, 0x90, 47, 100), (50000, 0x80, 40, 0), (50000, 0x80, 44, 0), (50000, 0x80, 47, 0)]);
        Assert.True(left[200..].Max() > 0.01f, "the chord sounds while the transport is stopped");
        Assert.Equal(2f, host[Lv2TestHost.CurrentPart]);

        // The transport starts again where it stopped: the piece from the top there (nothing before it on the timeline counts).
        Roll(host, [], stopAt, Block);
        Assert.Equal(1f, host[Lv2TestHost.CurrentPart]);
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);
    }

    [Fact]
    public void The_seed_control_acts_where_the_piece_starts_again_so_an_automation_lane_can_set_it()
    {
        TimedMidiEvent[] events = FourPartsRender.Events.Where(e => e.SampleTime < 10 * Rate).ToArray();
        long length = 11 * Rate;
        using Lv2TestHost host = Host();
        host.Activate();
        var (first, firstRight) = Roll(host, events, 0, length);
        host[Lv2TestHost.Seed] = 9; // while rolling: nothing changes until the piece starts again
        var (rolledOn, _) = Roll(host, [], length, Rate);
        var (again, againRight) = Roll(host, events, 0, length); // the locate to the start
        Rendering.Result seed9 = Rendering.Run(events, length, seed: 9);
        Rendering.Result seed5 = Rendering.Run(events, length, seed: FourPartsRender.Seed);
        Assert.Equal(0, Differing(seed5.Left, seed5.Right, first, firstRight));
        Assert.Equal(0, Differing(seed9.Left, seed9.Right, again, againRight));
        Assert.NotEqual(first, again);
        Assert.True(rolledOn.Max() > 0f, "the first piece rings on past the seed change");
    }
}
