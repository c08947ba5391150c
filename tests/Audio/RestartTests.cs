using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Protocol;
using Losses.Tests.Plugin;

namespace Losses.Tests.Audio;

/// <summary>A piece started again at a clock position (a host's timeline jump) is a fresh processor's, bit for bit.</summary>
public class RestartTests
{
    private const int Rate = 48000;

    private sealed class Frames : IFrameSink
    {
        public readonly List<Frame> List = [];
        public void Publish(in Frame frame) => List.Add(frame);
    }

    /// <summary>Four parts, all the way, then a restart at <paramref name="at"/> and the four parts again from there.</summary>
    [Theory]
    [InlineData(0L)]
    [InlineData(1_234_567L)] // off the 32-sample control grid and off every block edge
    [InlineData(2_000_032L)] // on the grid
    public void After_a_whole_performance_a_restart_at_P_plays_as_a_fresh_processor_that_heard_nothing_before_P(long at)
    {
        TimedMidiEvent[] events = MidiPerformance.Load(TestFiles.FourParts, Rate).Events;
        long length = at + events[^1].SampleTime + 2 * Rate;
        TimedMidiEvent[] shifted = events.Select(e => e with { SampleTime = e.SampleTime + at }).ToArray();

        // The played processor: a whole performance in blocks of 100, then the restart, then blocks of 64.
        var played = new LossesProcessor(EngineConfig.Default, FourPartsRender.Seed);
        played.Prepare(Rate, 256);
        Drive(played, events, 0, events[^1].SampleTime + 2 * Rate, 100);
        long before = played.Piece.GradientSteps;
        Assert.True(before > 100, "the first performance trains");
        var playedFrames = new Frames();
        played.FrameSink = playedFrames;
        played.Restart(at);
        Assert.Equal(at, played.SampleTime);
        (float[] l, float[] r) = Drive(played, shifted, at, length, 64);

        // The fresh one: silence from 0 to P in blocks of 37 (nothing there), then the same events in the same blocks (a frame ends each).
        var fresh = new LossesProcessor(EngineConfig.Default, FourPartsRender.Seed);
        fresh.Prepare(Rate, 256);
        Drive(fresh, [], 0, at, 37);
        var freshFrames = new Frames();
        fresh.FrameSink = freshFrames;
        (float[] fl, float[] fr) = Drive(fresh, shifted, at, length, 64);

        Assert.Equal(fl, l);
        Assert.Equal(fr, r);
        Assert.True(l.Max() > 0.05f, "the second performance sounds");
        Assert.Equal(fresh.Piece.GradientSteps, played.Piece.GradientSteps);
        if (at == 0) Assert.Equal(before, played.Piece.GradientSteps); // the same performance again (elsewhere the 60/s step grid falls otherwise under the chords)
        Assert.Equal(fresh.Piece.Targets.ToArray(), played.Piece.Targets.ToArray());
        Assert.Equal(fresh.Voices.Steals, played.Voices.Steals);
        // The frames after the restart: the same pictures (their index counts from the first one after the restart in both).
        Assert.True(playedFrames.List.Count > 100);
        Assert.Equal(freshFrames.List.Count, playedFrames.List.Count);
        for (int i = 0; i < playedFrames.List.Count; i++)
        {
            Frame a = playedFrames.List[i], b = freshFrames.List[i];
            a.Index = b.Index = 0;
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(ref a)).SequenceEqual(
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(ref b))), $"frame {i} after the restart differs");
        }
    }

    /// <summary>Drives [from, to) of the clock in blocks; returns that stretch of audio.</summary>
    private static (float[], float[]) Drive(LossesProcessor p, TimedMidiEvent[] events, long from, long to, int block)
    {
        var left = new float[to - from];
        var right = new float[to - from];
        var blockEvents = new List<MidiEvent>();
        int next = 0;
        while (next < events.Length && events[next].SampleTime < from) next++;
        for (long start = from; start < to; start += block)
        {
            int n = (int)Math.Min(block, to - start);
            blockEvents.Clear();
            for (; next < events.Length && events[next].SampleTime < start + n; next++)
                blockEvents.Add(events[next].At((int)(events[next].SampleTime - start)));
            p.Process(left.AsSpan((int)(start - from), n), right.AsSpan((int)(start - from), n), blockEvents.ToArray());
        }
        return (left, right);
    }
}
