using System.Runtime.Intrinsics;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Engine.Synthesis;
using Losses.Tests.Audio;
using Xunit.Abstractions;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Synthesis;

/// <summary>
/// The two vector paths of the voice bank — Vector256 (AVX2) and Vector512 (AVX-512) — are one
/// instrument: a whole performance renders to the same bits on either. Where the CPU has no
/// AVX-512 the wide path runs emulated (correct, slow) and the output says so.
/// </summary>
public class VoiceBankPathTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    [Fact]
    public void Both_vector_paths_render_a_busy_performance_to_the_same_bits()
    {
        output.WriteLine(Vector512.IsHardwareAccelerated
            ? "this CPU has AVX-512: both paths ran in hardware"
            : "this CPU has no AVX-512: the Vector512 path ran emulated");
        TimedMidiEvent[] events = ProcessorTests.BusyPerformance(seconds: 12);
        long total = 13 * Rate;
        Result narrow = Run(events, total, width: VectorWidth.Narrow256);
        Result wide = Run(events, total, width: VectorWidth.Wide512);
        Assert.Equal(VectorWidth.Narrow256, narrow.Processor.Voices.Width);
        Assert.Equal(VectorWidth.Wide512, wide.Processor.Voices.Width);
        Assert.True(narrow.Left.Max(MathF.Abs) > 0.05f, "the performance is audible");
        for (long i = 0; i < total; i++)
        {
            if (BitConverter.SingleToInt32Bits(narrow.Left[i]) != BitConverter.SingleToInt32Bits(wide.Left[i])
                || BitConverter.SingleToInt32Bits(narrow.Right[i]) != BitConverter.SingleToInt32Bits(wide.Right[i]))
                Assert.Fail($"sample {i}: Vector256 ({narrow.Left[i]}, {narrow.Right[i]}) vs Vector512 ({wide.Left[i]}, {wide.Right[i]})");
        }
    }

    [Theory]
    [InlineData("256", VectorWidth.Narrow256)]
    [InlineData(" 512 ", VectorWidth.Wide512)]
    public void LOSSES_VECTOR_forces_a_path(string value, VectorWidth expected) =>
        Assert.Equal(expected, VectorPath.Choose(value));

    [Fact]
    public void Unset_or_auto_takes_the_widest_path_the_CPU_accelerates_and_anything_else_is_refused()
    {
        VectorWidth widest = Vector512.IsHardwareAccelerated ? VectorWidth.Wide512 : VectorWidth.Narrow256;
        Assert.Equal(widest, VectorPath.Choose(null));
        Assert.Equal(widest, VectorPath.Choose("auto"));
        Assert.Null(VectorPath.Choose("avx2"));
        Assert.Null(VectorPath.Choose("128"));
    }

    [Theory]
    [InlineData(VectorWidth.Narrow256, false)]
    [InlineData(VectorWidth.Narrow256, true)]
    [InlineData(VectorWidth.Wide512, false)]
    [InlineData(VectorWidth.Wide512, true)]
    public void Five_partials_written_out_give_the_bits_of_the_general_loop(VectorWidth width, bool coupled)
    {
        // Notes starting between control points, gliding detunes, releases, steals past the
        // polyphony: the two kernels must agree on every sample, bit for bit.
        var settings = new VoiceSettings { Partials = 5, Polyphony = 40, ReleaseSeconds = 0.3f, LongReleaseSeconds = 0.6f, DetuneAmplitude = coupled ? 0.5f : 0f };
        var unrolled = new VoiceBank(settings, Rate, maxDetune: 0.5f, seed: 11, width: width);
        var general = new VoiceBank(settings, Rate, maxDetune: 0.5f, seed: 11, width: width) { UnrollsFive = false };
        var left = new float[2][];
        var right = new float[2][];
        for (int b = 0; b < 2; b++) { left[b] = new float[VoiceBank.ControlPeriod]; right[b] = new float[VoiceBank.ControlPeriod]; }
        uint seed = 7;
        bool audible = false;
        for (int period = 0; period < 3000; period++)
        {
            unrolled.ControlUpdate();
            general.ControlUpdate();
            int done = 0;
            while (done < VoiceBank.ControlPeriod)
            {
                seed = seed * 1664525u + 1013904223u;
                int length = Math.Min(VoiceBank.ControlPeriod - done, 1 + (int)(seed >> 28));
                if (period % 3 == 0 && done == 0)
                {
                    int note = 30 + (int)(seed >> 8) % 60, velocity = 20 + (int)(seed >> 16) % 100;
                    float detune = (seed >> 20) * (0.05f / 4096f);
                    Assert.Equal(unrolled.NoteOn(note, velocity, detune), general.NoteOn(note, velocity, detune));
                }
                if (period % 7 == 3 && done == 0)
                {
                    int voice = (int)(seed >> 10) % unrolled.Capacity;
                    if (unrolled.IsSounding(voice)) { unrolled.Release(voice); general.Release(voice); }
                }
                if (period % 8 == 0 && done == 0)
                {
                    for (int v = 0; v < unrolled.Capacity; v++)
                    {
                        float target = v % 5 * 0.01f + period % 3 * 0.003f;
                        unrolled.SetDetuneTarget(v, target);
                        general.SetDetuneTarget(v, target);
                    }
                }
                unrolled.Render(left[0].AsSpan(0, length), right[0].AsSpan(0, length));
                general.Render(left[1].AsSpan(0, length), right[1].AsSpan(0, length));
                for (int i = 0; i < length; i++)
                {
                    audible |= MathF.Abs(left[0][i]) > 1e-3f;
                    if (BitConverter.SingleToInt32Bits(left[0][i]) != BitConverter.SingleToInt32Bits(left[1][i])
                        || BitConverter.SingleToInt32Bits(right[0][i]) != BitConverter.SingleToInt32Bits(right[1][i]))
                        Assert.Fail($"period {period}, sample {done + i}: written out ({left[0][i]}, {right[0][i]}) vs loop ({left[1][i]}, {right[1][i]})");
                }
                done += length;
            }
        }
        Assert.True(audible, "the voices sounded");
        Assert.True(unrolled.Steals > 0, "voices were stolen");
    }
}
