using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Protocol;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Audio;

public class ProcessorTests
{
    private const int Rate = 48000;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(37)]
    [InlineData(100)]
    [InlineData(255)]
    public void A_note_on_at_offset_k_starts_sounding_at_exactly_sample_k(int k)
    {
        var processor = new LossesProcessor(EngineConfig.Default, 1);
        processor.Prepare(Rate, 256);
        var left = new float[256];
        var right = new float[256];
        processor.Process(left, right, []); // some silence first, so the clock is not at zero
        processor.Process(left, right, [MidiEvent.NoteOn(k, 60, 100)]);
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(0f, left[i]);
            Assert.Equal(0f, right[i]);
        }
        Assert.NotEqual(0f, left[k]);
        Assert.NotEqual(0f, right[k]);
    }

    [Fact]
    public void Output_does_not_depend_on_the_block_size()
    {
        TimedMidiEvent[] events = BusyPerformance(seconds: 12);
        long total = 13 * Rate;
        Result reference = Run(events, total, block: 64);
        foreach (int block in new[] { 32, 256, 1, 1000 })
        {
            Result other = Run(events, total, block: block);
            for (long i = 0; i < total; i++)
            {
                if (Math.Abs(reference.Left[i] - other.Left[i]) > 1e-6f || Math.Abs(reference.Right[i] - other.Right[i]) > 1e-6f)
                    Assert.Fail($"block {block} differs from block 64 at sample {i}: {other.Left[i]} vs {reference.Left[i]}");
            }
            Assert.Equal(reference.Processor.Piece.GradientSteps, other.Processor.Piece.GradientSteps);
        }
        Assert.True(reference.Processor.Piece.GradientSteps > 100, "the busy performance trains");
    }

    [Fact]
    public void Same_seed_gives_the_same_audio_and_another_seed_does_not()
    {
        TimedMidiEvent[] events = BusyPerformance(seconds: 6);
        long total = 6 * Rate;
        Result a = Run(events, total, seed: 7);
        Result b = Run(events, total, seed: 7);
        Result c = Run(events, total, seed: 8);
        Assert.Equal(a.Left, b.Left);
        Assert.Equal(a.Right, b.Right);
        Assert.NotEqual(a.Left, c.Left);
    }

    [Theory]
    [InlineData(1e6f, 1e6f)]
    [InlineData(1e3f, 50f)]
    [InlineData(1.9f, 0.3f)]
    public void Output_stays_within_unity_and_finite_even_when_training_diverges(float cubicRate, float knotRate)
    {
        var config = EngineConfig.Default with
        {
            Learning = EngineConfig.Default.Learning with
            {
                Cubic = new CubicSettings { LearningRate = cubicRate },
                Knot = new KnotSettings { LearningRate = knotRate },
            },
            Detune = new DetuneSettings { Scale = DetuneScale.Absolute, CubicMultiplier = 10f, KnotMultiplier = 10f, Max = 2f },
            Master = new MasterSettings { GainDb = 12f },
        };
        TimedMidiEvent[] events = BusyPerformance(seconds: 10);
        Result r = Run(events, 11 * Rate, config: config);
        for (int i = 0; i < r.Left.Length; i++)
        {
            Assert.True(float.IsFinite(r.Left[i]) && float.IsFinite(r.Right[i]), $"non-finite sample at {i}");
            Assert.True(Math.Abs(r.Left[i]) <= 1f && Math.Abs(r.Right[i]) <= 1f, $"sample {i} beyond ±1");
        }
        Assert.True(float.IsFinite(r.Processor.Piece.Loss));
        if (cubicRate >= 1e3f) Assert.True(r.Processor.Piece.Resets > 0, "a diverging model is reset");
    }

    /// <summary>
    /// Whatever reaches the limiter non-finite leaves it as silence. A master gain of +∞ dB (a config
    /// built in code: a config file that says so is refused) makes every sounding sample ±∞ and every
    /// silent one NaN (0·∞); a NaN gain makes every sample NaN. The same performance at 0 dB shows
    /// that all three reach the limiter: it has positive, negative and zero samples on both channels.
    /// </summary>
    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void Non_finite_samples_leave_the_limiter_as_silence(float gainDb)
    {
        TimedMidiEvent[] events = [On(0.05, 60), On(0.1, 64), Off(0.3, 60), Off(0.3, 64)];
        long total = Rate / 2;
        Result plain = Run(events, total);
        foreach (float[] channel in new[] { plain.Left, plain.Right })
        {
            Assert.Contains(channel, x => x > 0f);
            Assert.Contains(channel, x => x < 0f);
            Assert.Contains(channel, x => x == 0f);
        }
        var config = EngineConfig.Default with { Master = new MasterSettings { GainDb = gainDb } };
        Result r = Run(events, total, config: config);
        for (int i = 0; i < total; i++)
        {
            if (r.Left[i] != 0f || r.Right[i] != 0f)
                Assert.Fail($"sample {i}: {r.Left[i]}, {r.Right[i]} (at 0 dB: {plain.Left[i]}, {plain.Right[i]})");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_allocates_nothing_over_ten_thousand_busy_blocks(bool publishing)
    {
        const int block = 64;
        var processor = new LossesProcessor(EngineConfig.Default, 3);
        processor.Prepare(Rate, block);
        using var ring = new Protocol.TestRing();
        using FrameRingWriter? writer = publishing ? FrameRingWriter.Create(ring.Name, 1024) : null;
        processor.FrameSink = writer;
        var left = new float[block];
        var right = new float[block];
        // A busy stream, prepared before measuring: chords, runs, pedals and part changes.
        TimedMidiEvent[] events = BusyPerformance(seconds: 10000.0 * block / Rate + 1);
        var perBlock = new MidiEvent[10000][];
        int next = 0;
        for (int b = 0; b < perBlock.Length; b++)
        {
            var list = new List<MidiEvent>();
            long start = (long)b * block;
            while (next < events.Length && events[next].SampleTime < start + block)
                list.Add(events[next].At((int)(events[next++].SampleTime - start)));
            perBlock[b] = list.ToArray();
        }
        for (int b = 0; b < 200; b++) processor.Process(left, right, perBlock[b]); // warm-up: JIT and tiering

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int b = 200; b < perBlock.Length; b++) processor.Process(left, right, perBlock[b]);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);
        if (publishing) Assert.True(writer!.Position >= 10000, "a frame per block at least");
        Assert.True(processor.Piece.GradientSteps > 50 && processor.Piece.PartChanges >= 3,
            $"the stream was busy ({processor.Piece.GradientSteps} steps, {processor.Piece.PartChanges} part changes)");
    }

    [Fact]
    public void Zero_length_blocks_and_out_of_range_offsets_are_harmless()
    {
        var processor = new LossesProcessor(EngineConfig.Default, 1);
        processor.Prepare(Rate, 64);
        var left = new float[64];
        var right = new float[64];
        processor.Process(Span<float>.Empty, Span<float>.Empty, [MidiEvent.NoteOn(0, 60, 90)]);
        processor.Process(left, right, [MidiEvent.NoteOn(-5, 64, 90), MidiEvent.NoteOn(500, 67, 90)]);
        Assert.Equal(3, processor.Voices.ActiveVoices);
        Assert.Equal(64, processor.SampleTime);
    }

    /// <summary>
    /// A dense, repeatable stream that visits every part: bass notes and runs in parts 1 and 4,
    /// held chords with notes over them in parts 2 and 3, sustain pedal, part pedal.
    /// </summary>
    internal static TimedMidiEvent[] BusyPerformance(double seconds)
    {
        var events = new List<TimedMidiEvent>();
        var rng = new Rng(99);
        double t = 0.01;
        int part = 1;
        while (t < seconds - 1)
        {
            if (part is 1 or 4)
            {
                events.Add(On(t, 36 + rng.NextInt(0, 10)));
                events.Add(Off(t + 0.5, events[^1].Data1));
                for (int i = 0; i < 16 && t < seconds - 1; i++)
                {
                    t += 0.05 + 0.1 * rng.NextFloat();
                    int note = rng.NextInt(48, 96);
                    events.Add(On(t, note, rng.NextInt(20, 127)));
                    events.Add(Off(t + 0.05 + 0.3 * rng.NextFloat(), note));
                    if (i == 8) { events.Add(Cc(t, 64, 127)); events.Add(Cc(t + 0.4, 64, 0)); }
                }
            }
            else
            {
                for (int c = 0; c < 2 && t < seconds - 1; c++)
                {
                    int root = rng.NextInt(40, 50);
                    foreach (int n in new[] { root, root + 4, root + 7 }) { events.Add(On(t, n)); events.Add(Off(t + 2.5, n)); }
                    for (int i = 0; i < 4; i++)
                    {
                        int note = rng.NextInt(60, 90);
                        events.Add(On(t + 0.3 + 0.5 * i, note));
                        events.Add(Off(t + 0.6 + 0.5 * i, note));
                    }
                    t += 2.6;
                }
            }
            t += 0.3;
            events.Add(Cc(t, 67, 127));
            events.Add(Cc(t + 0.05, 67, 0));
            part = part % 4 + 1;
            t += 0.2;
        }
        return events.Where(e => e.SampleTime < seconds * Rate).OrderBy(e => e.SampleTime).ToArray();
    }
}
