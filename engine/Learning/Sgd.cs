namespace Losses.Engine.Learning;

/// <summary>The plain gradient-descent update both models share, with the divergence check that guards it.</summary>
internal static class Sgd
{
    /// <summary>
    /// θ ← θ − lr·∇L, unless the loss, the gradient or the new θ is non-finite or |θ| exceeds
    /// <paramref name="maxTheta"/>: then θ is left as it was and false says the model diverged.
    /// </summary>
    public static bool TryStep(Span<float> theta, ReadOnlySpan<float> gradient, float loss, float learningRate, float maxTheta, Span<float> scratch)
    {
        if (!float.IsFinite(loss) || !AllFinite(gradient)) return false;
        for (int j = 0; j < theta.Length; j++)
        {
            float t = theta[j] - learningRate * gradient[j];
            if (!float.IsFinite(t) || MathF.Abs(t) > maxTheta) return false;
            scratch[j] = t;
        }
        scratch[..theta.Length].CopyTo(theta);
        return true;
    }

    public static bool AllFinite(ReadOnlySpan<float> v)
    {
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i])) return false;
        return true;
    }
}
