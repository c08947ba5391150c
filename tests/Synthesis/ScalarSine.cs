using Losses.Engine.Synthesis;

namespace Losses.Tests.Synthesis;

/// <summary>The scalar twin of <see cref="Sine.OfCycles"/>: the same operations in the same order, one lane.</summary>
internal static class ScalarSine
{
    public static float OfCycles(float x)
    {
        // Fold onto the quarter wave: sin(2π(½−|x|)) = sin(2π|x|), sign restored after.
        float ax = MathF.Abs(x);
        float q = MathF.Min(ax, 0.5f - ax);
        float z = q * Sine.TwoPi;
        float z2 = z * z;
        float p = MathF.FusedMultiplyAdd(z2, Sine.C11, Sine.C9);
        p = MathF.FusedMultiplyAdd(z2, p, Sine.C7);
        p = MathF.FusedMultiplyAdd(z2, p, Sine.C5);
        p = MathF.FusedMultiplyAdd(z2, p, Sine.C3);
        p = MathF.FusedMultiplyAdd(z2, p, 1f);
        float s = z * p;
        return x < 0 ? -s : s;
    }
}
