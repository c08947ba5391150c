using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Protocol;

namespace Losses.Tests.Audio;

/// <summary>
/// The flags the visualiser acts on, read from the frames a render publishes: a bass note sets
/// NewTarget on exactly its own frame; a diverging learning rate sets Reset.
/// </summary>
public class FrameFlagsTests
{
    /// <summary>What a test reads of each frame (xunit's messages cannot print a whole Frame).</summary>
    private readonly record struct Logged(long SampleTime, FrameFlags Flags, int CubicTargets, float Loss);

    private sealed class FrameList : IFrameSink
    {
        public readonly List<Logged> Frames = [];
        public void Publish(in Frame frame) => Frames.Add(new Logged(frame.SampleTime, frame.Flags, frame.CubicTargets, frame.Loss));
    }

    private static List<Logged> Render(EngineConfig config, IReadOnlyList<TimedMidiEvent> events, long samples, int block = 64)
    {
        var sink = new FrameList();
        var processor = new LossesProcessor(config, seed: 1);
        processor.Prepare(48_000, block);
        processor.FrameSink = sink;
        var left = new float[block];
        var right = new float[block];
        var due = new List<MidiEvent>();
        int next = 0;
        for (long start = 0; start < samples; start += block)
        {
            due.Clear();
            for (; next < events.Count && events[next].SampleTime < start + block; next++)
                due.Add(events[next].At((int)(events[next].SampleTime - start)));
            processor.Process(left, right, due.ToArray());
        }
        return sink.Frames;
    }

    private static TimedMidiEvent On(long sample, int note) => new(sample, 0x90, (byte)note, 100);

    [Theory]
    [InlineData(64)]
    [InlineData(100)]
    public void A_bass_note_sets_NewTarget_on_exactly_the_frame_of_its_sample(int block)
    {
        // Part 1: bass D2 at sample 1000 (a new cubic), upper notes at 3000 and 5000 (steps), bass G2 at 7001.
        List<Logged> frames = Render(EngineConfig.Default, [On(1000, 38), On(3000, 72), On(5000, 74), On(7001, 43)], 9600, block);

        Logged[] marked = frames.Where(f => f.Flags.HasFlag(FrameFlags.NewTarget)).ToArray();
        Assert.Equal([1000L, 7001L], marked.Select(f => f.SampleTime));
        Assert.Equal([1, 2], marked.Select(f => f.CubicTargets));
        Logged[] stepped = frames.Where(f => f.Flags.HasFlag(FrameFlags.Stepped) && !f.Flags.HasFlag(FrameFlags.NewTarget)).ToArray();
        Assert.Equal([3000L, 5000L], stepped.Select(f => f.SampleTime));
        Assert.DoesNotContain(frames, f => f.Flags.HasFlag(FrameFlags.Reset));
    }

    [Fact]
    public void A_diverging_learning_rate_sets_Reset_on_the_frames_of_the_steps_that_reset()
    {
        var config = EngineConfig.Default with
        {
            Learning = EngineConfig.Default.Learning with
            {
                StopLoss = 0,
                Cubic = EngineConfig.Default.Learning.Cubic with { LearningRate = 1e6f },
            },
        };
        var events = new List<TimedMidiEvent> { On(500, 38) };
        for (int i = 1; i <= 20; i++) events.Add(On(500 + i * 480, 60 + i));
        List<Logged> frames = Render(config, events, 12_000);

        Logged[] resets = frames.Where(f => f.Flags.HasFlag(FrameFlags.Reset)).ToArray();
        Assert.NotEmpty(resets);
        Assert.All(resets, f => Assert.True(f.Flags.HasFlag(FrameFlags.Stepped)));
        Assert.All(resets, f => Assert.Contains(f.SampleTime, events.Select(e => e.SampleTime)));
        Assert.All(frames, f => Assert.True(float.IsFinite(f.Loss)));
    }
}
