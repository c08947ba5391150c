using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Core;

namespace Losses.Engine.Learning;

/// <summary>
/// A loss kind as an operator: the models' kernels take it as a type argument, so the choice is
/// made once per evaluation and compiled into the loop (as <c>IFilterMode</c> does for the filters).
/// </summary>
public interface ILoss
{
    /// <summary>One residual's summand of the loss, and its weight w with ∂summand/∂θ ∝ w·∂model/∂θ.</summary>
    static abstract float Term(float r, out float weight);

    /// <summary><see cref="Term(float, out float)"/> for eight residuals.</summary>
    static abstract Vector256<float> Term(Vector256<float> r, out Vector256<float> weight);

    /// <summary>The loss from the sum of the terms and 1/count.</summary>
    static abstract float Mean(float sum, float inverseCount);
}

/// <summary><see cref="LossKind.HalfMse"/>: summand r², weight r, mean ½·Σ/n.</summary>
public readonly struct HalfMseLoss : ILoss
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Term(float r, out float weight)
    {
        weight = r;
        return r * r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Term(Vector256<float> r, out Vector256<float> weight)
    {
        weight = r;
        return r * r;
    }

    public static float Mean(float sum, float inverseCount) => 0.5f * sum * inverseCount;
}

/// <summary><see cref="LossKind.MeanAbsolute"/>: summand |r|, weight sign(r) (0 at r = 0), mean Σ/n.</summary>
public readonly struct MeanAbsoluteLoss : ILoss
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Term(float r, out float weight)
    {
        weight = r > 0f ? 1f : r < 0f ? -1f : 0f;
        return MathF.Abs(r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Term(Vector256<float> r, out Vector256<float> weight)
    {
        var one = Vector256<float>.One;
        weight = (Vector256.GreaterThan(r, Vector256<float>.Zero) & one) - (Vector256.LessThan(r, Vector256<float>.Zero) & one);
        return Vector256.Abs(r);
    }

    public static float Mean(float sum, float inverseCount) => sum * inverseCount;
}
