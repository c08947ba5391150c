using System.Runtime.Intrinsics;
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
}
