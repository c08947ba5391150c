using Losses.Engine.Config;

namespace Losses.Engine.Parts;

/// <summary>
/// How a loss becomes the overtones' detune (docs/piece.md): m·L of the model training, or its
/// signed mean residual, or a start detune scaled by the loss relative to the target's first — clamped
/// to the config's largest. Holds what the choice needs (each model's first loss, the latest residual).
/// </summary>
public sealed class DetunePolicy
{
    private readonly DetuneSettings _settings;
    private readonly float _startDetune;
    private readonly float[] _startLoss;  // by model (the piece's index): its loss at its target's start
    private readonly float[] _multiplier; // by model: m of m·L
    private float _meanResidual;         // of the current model after its latest step (signed residual only)

    /// <param name="multipliers">Each model's m (by the piece's index of the model).</param>
    public DetunePolicy(DetuneSettings settings, ReadOnlySpan<float> multipliers)
    {
        _settings = settings;
        _startDetune = MathF.Pow(2f, settings.StartCents / 1200f) - 1f;
        _startLoss = new float[multipliers.Length];
        _multiplier = multipliers.ToArray();
    }

    /// <summary>Whether the detune follows the signed residual (so the models must keep it).</summary>
    public bool UsesResidual => _settings.Scale == DetuneScale.SignedResidual;

    /// <summary>As constructed (a piece started again).</summary>
    public void Clear()
    {
        Array.Clear(_startLoss);
        _meanResidual = 0f;
    }

    /// <summary>A new target of model <paramref name="model"/> starts at <paramref name="loss"/>.</summary>
    public void TargetStarts(int model, float loss) => _startLoss[model] = loss;

    /// <summary>The current model's signed mean residual (kept only when <see cref="UsesResidual"/>).</summary>
    public void Residual(float meanResidual)
    {
        if (UsesResidual) _meanResidual = meanResidual;
    }

    /// <summary>The overtones' detune for a loss of model <paramref name="model"/> (−1: none yet), clamped to [0, max] (signed residual: to ±max).</summary>
    public float For(float loss, int model)
    {
        float d;
        float multiplier = model >= 0 ? _multiplier[model] : 0f;
        if (_settings.Scale == DetuneScale.SignedResidual)
        {
            d = multiplier * _meanResidual;
            return float.IsNaN(d) ? 0f : Math.Clamp(d, -_settings.Max, _settings.Max);
        }
        if (_settings.Scale == DetuneScale.FirstLoss)
        {
            float start = model >= 0 ? _startLoss[model] : 0f;
            d = start > 0f ? _startDetune * (loss / start) : 0f;
        }
        else
        {
            d = multiplier * loss;
        }
        return d >= 0f ? MathF.Min(d, _settings.Max) : (float.IsNaN(d) ? _settings.Max : 0f);
    }
}
