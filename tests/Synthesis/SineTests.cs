using System.Runtime.Intrinsics;
using Losses.Engine.Core;
using Losses.Engine.Synthesis;

namespace Losses.Tests.Synthesis;

public class SineTests
{
    [Fact]
    public void The_polynomial_sine_is_within_2e_7_of_the_true_sine_over_a_whole_cycle()
    {
        double worst = 0;
        for (int i = -500000; i <= 500000; i++)
        {
            float x = i / 1000000f;
            worst = Math.Max(worst, Math.Abs(ScalarSine.OfCycles(x) - Math.Sin(2 * Math.PI * x)));
        }
        Assert.True(worst < 2e-7, $"worst error {worst}");
    }

    [Fact]
    public void The_vector_sine_equals_the_scalar_sine_lane_for_lane()
    {
        var rng = new Rng(5);
        Span<float> lanes = stackalloc float[8];
        for (int trial = 0; trial < 10000; trial++)
        {
            for (int l = 0; l < 8; l++) lanes[l] = rng.Uniform(-0.5f, 0.5f);
            Vector256<float> v = Sine.OfCycles(Vector256.Create<float>(lanes));
            for (int l = 0; l < 8; l++) Assert.Equal(ScalarSine.OfCycles(lanes[l]), v[l]);
        }
    }
}
