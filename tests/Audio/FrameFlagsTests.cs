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

    /// <summary>
    /// Reset marks the frames of the steps that reset and no other: the cubic at a learning rate of 1e6
    /// resets on every press (θ − 1e6·direction lands beyond <see cref="Losses.Engine.Learning.Model.MaxTheta"/>
    /// whatever the direction, unless it is exactly zero), then in part 2 a held chord trains the knot
    /// at its default rate, where no step resets: those steps come after resets and must not carry the flag.
    /// </summary>
    [Fact]
    public void A_diverging_learning_rate_sets_Reset_on_the_frames_of_the_steps_that_reset_and_no_other()
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
        var presses = new List<long>();
        for (int i = 1; i <= 20; i++)
        {
            presses.Add(500 + i * 480);
            events.Add(On(500 + i * 480, 60 + i));
        }
        // Part 2 (soft pedal down and up), then a chord held for half a second: the knot steps at the step rate.
        const long chord = 12_000;
        events.Add(new TimedMidiEvent(11_000, 0xB0, 67, 127));
        events.Add(new TimedMidiEvent(11_100, 0xB0, 67, 0));
        foreach (int note in new[] { 48, 52, 55 }) events.Add(On(chord, note));
        List<Logged> frames = Render(config, events, chord + 24_000);

        Logged[] resets = frames.Where(f => f.Flags.HasFlag(FrameFlags.Reset)).ToArray();
        Assert.Equal(presses, resets.Select(f => f.SampleTime));
        Assert.All(resets, f => Assert.True(f.Flags.HasFlag(FrameFlags.Stepped)));
        Logged[] knotSteps = frames.Where(f => f.SampleTime >= chord && f.Flags.HasFlag(FrameFlags.Stepped)).ToArray();
        Assert.True(knotSteps.Length >= 25, $"the held chord stepped {knotSteps.Length} times in 0.5 s");
        Assert.All(knotSteps, f => Assert.False(f.Flags.HasFlag(FrameFlags.Reset), $"step at {f.SampleTime} flagged Reset"));
        Assert.All(frames, f => Assert.True(float.IsFinite(f.Loss)));
    }
}
